/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Allocation failures on demand, for a test linked with -Wl,--wrap=calloc,--wrap=realloc: only the
 * code linked into the test (common/, the test's own) sees them; json-c and the C library allocate
 * as usual. Single-threaded tests only. */
#pragma once

enum { FAIL_CALLOC, FAIL_REALLOC, _FAIL_ALLOC_MAX };

/* After `ok` more successful calls to `which`, every call fails with ENOMEM until fail_alloc_stop(). */
void fail_alloc_after(int which, unsigned ok);
void fail_alloc_stop(void);
/* How many calls failed since the last fail_alloc_after(). */
unsigned fail_alloc_failed(void);
