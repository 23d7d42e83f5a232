/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Allocation failures on demand (see fail-alloc.h). */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "fail-alloc.h"

void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

static struct {
        bool armed;
        int which;
        unsigned ok, failed;
} fail;

void fail_alloc_after(int which, unsigned ok) {
        fail.armed = true;
        fail.which = which;
        fail.ok = ok;
        fail.failed = 0;
}

void fail_alloc_stop(void) {
        fail.armed = false;
}

unsigned fail_alloc_failed(void) {
        return fail.failed;
}

static bool fail_now(int which) {
        if (!fail.armed || fail.which != which)
                return false;
        if (fail.ok > 0) {
                fail.ok--;
                return false;
        }
        fail.failed++;
        errno = ENOMEM;
        return true;
}

void *__wrap_calloc(size_t n, size_t size) {
        return fail_now(FAIL_CALLOC) ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size) {
        return fail_now(FAIL_REALLOC) ? NULL : __real_realloc(p, size);
}
