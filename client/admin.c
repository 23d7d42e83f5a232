/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The calls that steer pools: SetTargets, Drain, Reload (root and the admin group only). */
#include "privmem-internal.h"
#include "schema/io-privmemd.h"

static int pool_check(privmem *p, const char *what, const char *pool) {
        if (!pool || !*pool)
                return privmem_error_local(p, -EINVAL, "%s: no pool name", what);
        return 0;
}

static json_object *targets_new(const struct privmem_target *targets, size_t n) {
        json_object *array = json_object_new_array();

        for (size_t i = 0; array && i < n; i++) {
                json_object *t = json_object_new_object();
                if (!t || json_object_array_add(array, t) < 0) {
                        json_object_put(t);
                        json_object_put(array);
                        return NULL;
                }
                json_object_object_add(t, SCHEMA_TARGET_SIZE, json_object_new_int64((int64_t) targets[i].size));
                json_object_object_add(t, SCHEMA_TARGET_TARGET, json_object_new_int64((int64_t) targets[i].target));
        }
        return array;
}

static int targets_check(privmem *p, const struct privmem_target *targets, size_t n) {
        if (n > 0 && !targets)
                return privmem_error_local(p, -EINVAL, "set targets: no targets");
        for (size_t i = 0; i < n; i++)
                if (targets[i].size == 0 || targets[i].size > INT64_MAX || targets[i].target > INT64_MAX)
                        return privmem_error_local(p, -EINVAL, "set targets: size %llu, target %llu out of range",
                                                   (unsigned long long) targets[i].size,
                                                   (unsigned long long) targets[i].target);
        return 0;
}

/* Sends a call whose success reply has no parameters. */
static int call_simple(privmem *p, const char *method, json_object *request) {
        _cleanup_(varlink_reply_donep) VarlinkReply reply = {};

        if (!request)
                return -ENOMEM;
        return privmem_call(p, method, request, NULL, 0, false, &reply);
}

_public_ int privmem_set_targets(privmem *p, const char *pool, const struct privmem_target *targets, size_t n_targets) {
        if (!p)
                return -EINVAL;
        privmem_error_clear(p);
        int r = pool_check(p, "set targets", pool);
        if (r >= 0)
                r = targets_check(p, targets, n_targets);
        if (r < 0)
                return r;
        json_object *request = json_object_new_object(), *array = targets_new(targets, n_targets);
        if (!request || !array) {
                json_object_put(request);
                json_object_put(array);
                return -ENOMEM;
        }
        json_object_object_add(request, SCHEMA_SET_TARGETS_POOL, json_object_new_string(pool));
        json_object_object_add(request, SCHEMA_SET_TARGETS_TARGETS, array);
        return call_simple(p, SCHEMA_METHOD_SET_TARGETS, request);
}

_public_ int privmem_drain(privmem *p, const char *pool) {
        if (!p)
                return -EINVAL;
        privmem_error_clear(p);
        int r = pool_check(p, "drain", pool);
        if (r < 0)
                return r;
        json_object *request = json_object_new_object();
        if (request)
                json_object_object_add(request, SCHEMA_DRAIN_POOL, json_object_new_string(pool));
        return call_simple(p, SCHEMA_METHOD_DRAIN, request);
}

_public_ int privmem_reload(privmem *p) {
        if (!p)
                return -EINVAL;
        return call_simple(p, SCHEMA_METHOD_RELOAD, json_object_new_object());
}
