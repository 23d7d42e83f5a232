/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* After a restart: how much of a recovered ready memfd of a 2M shmem pool is huge, measured again
 * on a worker (the figure lived in the privmemd that populated it). */
#pragma once

#include "core/pool.h"

void recover_thp_measure(Manager *m, Pool *p, const ReadyMemfd *r);
