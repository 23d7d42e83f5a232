/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Steering a pool at run time: new targets, drain, a new configuration from a reload. */
#pragma once

#include "core/pool.h"

int pool_set_targets(Pool *p, const SizeTarget *targets, size_t n);
void pool_drain(Pool *p);
bool pool_config_compatible(const Pool *p, const PoolConfig *pc);
int pool_reconfigure(Pool *p, const PoolConfig *pc);
void pool_retire(Pool *p);
bool pool_is_unused(const Pool *p);
