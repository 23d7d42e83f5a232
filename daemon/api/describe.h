/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Leases, pools and the libvirt link as the JSON objects of io.privmemd (types Lease, Pool,
 * LibvirtLink). */
#pragma once

#include <json-c/json.h>

#include "core/lease.h"
#include "core/pool.h"
#include "virt/libvirt.h"

json_object *describe_lease(const Lease *l, uint64_t now_usec);
json_object *describe_pool(const Pool *p);
/* Pool.failure's value (a SchemaFailure) for f; -1 for POOL_FAILURE_NONE. */
int describe_pool_failure(PoolFailure f);
/* Type PoolMetrics: the pool's counters. */
json_object *describe_pool_metrics(const Pool *p);
/* A disabled link has no time of its own: it is so since start_usec. */
json_object *describe_libvirt_link(const VirtLinkInfo *link, uint64_t start_usec, uint64_t now_usec);
