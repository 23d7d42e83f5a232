/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Leases and pools as the JSON objects of io.privmemd (types Lease, Pool). */
#pragma once

#include <json-c/json.h>

#include "core/lease.h"
#include "core/pool.h"

json_object *describe_lease(const Lease *l, uint64_t now_usec);
json_object *describe_pool(const Pool *p);
