/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* 2M shmem (THP) pools: how much of what they lend is huge, what to do when too little is
 * (huge_fallback=), and whether the host's settings give them huge pages at all. */
#pragma once

#include "core/pool.h"

bool pool_is_thp(const Pool *p);
/* Counts a built memfd's huge bytes against the pool's huge_min: > 0 to lend it (huge enough,
 * any pool that is not 2M shmem, or huge_fallback=lend); 0 to drop it and retry with the waiters
 * waiting (retry); -ENOMEM to drop it and fail them (refuse). */
int pool_thp_accept(Pool *p, const ReadyMemfd *m);
/* At start and reload: says, for a 2M shmem pool, whether the host's settings give it huge pages
 * and what to change if not. */
void pool_thp_check_host(Pool *p);
