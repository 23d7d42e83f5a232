/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* io.privmemd methods that steer pools: SetTargets, Drain, Reload. Root and the admin group only. */
#include "api/access.h"
#include "api/errors.h"
#include "api/methods.h"
#include "core/pool-admin.h"
#include "schema/io-privmemd.h"
#include "manager/manager.h"
#include "util/macro.h"
#include "varlink/varlink-dispatch.h"

/* Answers PermissionDenied and returns false for everyone but root and the admin group. */
static bool require_admin(VarlinkCall *c, Manager *m) {
        if (access_is_admin(m, varlink_call_connection(c)))
                return true;
        reply_permission_denied(c);
        return false;
}

/* Reads one {size, target} of SetTargets, checking the size against the pool's pages. */
static int parse_target(VarlinkCall *c, const Pool *p, json_object *e, SizeTarget *ret) {
        json_object *size = json_object_object_get(e, SCHEMA_TARGET_SIZE), *target = json_object_object_get(e, SCHEMA_TARGET_TARGET);

        if (!json_object_is_type(e, json_type_object) || json_object_object_length(e) != 2 ||
            !json_object_is_type(size, json_type_int) || !json_object_is_type(target, json_type_int))
                return varlink_call_error_invalid_parameter(c, SCHEMA_SET_TARGETS_TARGETS), -EBADMSG;
        int64_t sz = json_object_get_int64(size), t = json_object_get_int64(target);
        if (sz <= 0 || (uint64_t) sz % p->config->page_size != 0)
                return reply_invalid_size(c, sz, p->config->page_size), -EBADMSG;
        if (t < 0 || t > 4096)
                return varlink_call_error_invalid_parameter(c, SCHEMA_TARGET_TARGET), -EBADMSG;
        *ret = (SizeTarget) { .size = (uint64_t) sz, .target = (unsigned) t };
        return 0;
}

/* Bytes the pool would keep ready with these targets (other classes keep theirs). */
static uint64_t warm_bytes(const Pool *p, const SizeTarget *t, size_t n) {
        uint64_t warm = 0;
        for (size_t i = 0; i < n; i++)
                warm += t[i].size * t[i].target;
        for (const SizeClass *c = p->classes; c; c = c->next) {
                bool listed = false;
                for (size_t i = 0; i < n; i++)
                        listed = listed || t[i].size == c->size;
                if (!listed)
                        warm += c->size * c->target;
        }
        return warm;
}

static int parse_targets(VarlinkCall *c, const Pool *p, json_object *array, SizeTarget **ret, size_t *ret_n) {
        size_t n = json_object_array_length(array);
        _cleanup_free_ SizeTarget *t = calloc(n ?: 1, sizeof(SizeTarget));

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                int r = parse_target(c, p, json_object_array_get_idx(array, i), &t[i]);
                if (r < 0)
                        return r;
        }
        uint64_t warm = warm_bytes(p, t, n);
        if (warm > p->config->limit)
                return reply_pool_exhausted(c, p, warm, "the targets need more than the pool's limit"), -EBADMSG;
        *ret = TAKE_PTR(t);
        *ret_n = n;
        return 0;
}

typedef struct PoolParams {
        const char *pool;
        json_object *targets;
} PoolParams;

/* The pool named by the call, for an admin; else answered and NULL. */
static Pool *admin_pool(VarlinkCall *c, Manager *m, const char *name) {
        if (!require_admin(c, m))
                return NULL;
        Pool *p = manager_find_pool(m, name);
        if (!p)
                reply_no_such_pool(c, name);
        return p;
}

int method_set_targets(VarlinkCall *c, json_object *params, void *userdata) {
        static const VarlinkField table[] = {
                { SCHEMA_SET_TARGETS_POOL, VARLINK_FIELD_STRING, offsetof(PoolParams, pool), VARLINK_FIELD_MANDATORY },
                { SCHEMA_SET_TARGETS_TARGETS, VARLINK_FIELD_ARRAY, offsetof(PoolParams, targets), VARLINK_FIELD_MANDATORY },
                {}
        };
        PoolParams p = {};
        _cleanup_free_ SizeTarget *t = NULL;
        size_t n;
        int r = varlink_dispatch(c, params, table, &p);
        if (r < 0)
                return r;
        Pool *pool = admin_pool(c, userdata, p.pool);
        if (!pool)
                return 0;
        r = parse_targets(c, pool, p.targets, &t, &n);
        if (r < 0)
                return r;
        r = pool_set_targets(pool, t, n);
        if (r < 0)
                return r;
        return varlink_call_reply(c, NULL);
}

int method_drain(VarlinkCall *c, json_object *params, void *userdata) {
        static const VarlinkField table[] = {
                { SCHEMA_DRAIN_POOL, VARLINK_FIELD_STRING, offsetof(PoolParams, pool), VARLINK_FIELD_MANDATORY },
                {}
        };
        PoolParams p = {};
        int r = varlink_dispatch(c, params, table, &p);
        if (r < 0)
                return r;
        Pool *pool = admin_pool(c, userdata, p.pool);
        if (!pool)
                return 0;
        pool_drain(pool);
        return varlink_call_reply(c, NULL);
}

int method_reload(VarlinkCall *c, json_object *params, void *userdata) {
        _cleanup_free_ char *error = NULL;
        int r = varlink_dispatch(c, params, NULL, NULL);
        if (r < 0)
                return r;
        if (!require_admin(c, userdata))
                return 0;
        r = manager_reload(userdata, &error);
        if (r < 0 && error) {
                json_object *o = json_object_new_object();
                if (o)
                        json_object_object_add(o, SCHEMA_BAD_CONFIGURATION_MESSAGE, json_object_new_string(error));
                return varlink_call_error(c, SCHEMA_ERROR_BAD_CONFIGURATION, o);
        }
        if (r < 0)
                return r;
        return varlink_call_reply(c, NULL);
}
