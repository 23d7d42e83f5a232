/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Knowing that json-c ran out of memory, which json-c 0.16 does not always say.
 *
 * json_object_new_*() return NULL, and json_object_object_add() stores that NULL as a JSON null; a
 * failed add leaves its key out (and the value with its caller); the tokener and the serialiser
 * leave out what they could not append to their buffers. A message can so be built, parsed or
 * serialised "successfully" and be wrong. glibc's allocator sets errno to ENOMEM whenever it fails:
 * errno cleared before a stretch of JSON work and read after it tells whether anything in it failed,
 * without checking each of the many calls (and the ones inside json-c we cannot check):
 *
 *         json_oom_reset();
 *         json_object *o = describe_lease(l, now);
 *         if (!o || json_oom_happened())
 *                 ... out of memory ...
 *
 * Only JSON work (and functions that leave errno alone on success, like strerror()) may run in
 * between: a system call that fails on purpose would be taken for the failure. The one false alarm
 * is glibc itself: a brk() that failed before an mmap() succeeded leaves ENOMEM behind, when memory
 * was short anyway; the caller then answers ENOMEM to a call it could have served. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <json-c/json.h>

static inline void json_oom_reset(void) {
        errno = 0;
}

static inline bool json_oom_happened(void) {
        return errno == ENOMEM;
}

/* json_object_object_add() that owns value in every case (it is put when the add fails) and says
 * -ENOMEM for a value that could not be made (NULL) or an add that failed. */
static inline int json_add(json_object *o, const char *key, json_object *value) {
        if (!value)
                return -ENOMEM;
        if (json_object_object_add(o, key, value) < 0) {
                json_object_put(value);
                return -ENOMEM;
        }
        return 0;
}
