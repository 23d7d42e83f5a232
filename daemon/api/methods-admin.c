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

/* PermissionDenied for everyone but root and the admin group. */
static int require_admin(VarlinkCall *c, Manager *m, ApiError *e) {
        return access_is_admin(m, varlink_call_connection(c)) ? 0 : api_error_permission_denied(e);
}

/* Reads one {size, target} of SetTargets, checking the size against the pool's pages. */
static int parse_target(const Pool *p, json_object *o, SizeTarget *ret, ApiError *e) {
        json_object *size = json_object_object_get(o, SCHEMA_TARGET_SIZE), *target = json_object_object_get(o, SCHEMA_TARGET_TARGET);

        if (!json_object_is_type(o, json_type_object) || json_object_object_length(o) != 2 ||
            !json_object_is_type(size, json_type_int) || !json_object_is_type(target, json_type_int))
                return api_error_invalid_parameter(e, SCHEMA_SET_TARGETS_TARGETS);
        int64_t sz = json_object_get_int64(size), t = json_object_get_int64(target);
        if (sz <= 0 || (uint64_t) sz % p->config->page_size != 0)
                return api_error_invalid_size(e, sz, p->config->page_size);
        if (t < 0 || t > 4096)
                return api_error_invalid_parameter(e, SCHEMA_TARGET_TARGET);
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

static int parse_targets(const Pool *p, json_object *array, SizeTarget **ret, size_t *ret_n, ApiError *e) {
        size_t n = json_object_array_length(array);
        _cleanup_free_ SizeTarget *t = calloc(n ?: 1, sizeof(SizeTarget));

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                int r = parse_target(p, json_object_array_get_idx(array, i), &t[i], e);
                if (r != 0)
                        return r;
        }
        uint64_t warm = warm_bytes(p, t, n);
        if (warm > p->config->limit)
                return api_error_pool_exhausted(e, p, warm, SCHEMA_FAILURE_LIMIT, "the targets need more than the pool's limit");
        *ret = TAKE_PTR(t);
        *ret_n = n;
        return 0;
}

typedef struct PoolParams {
        const char *pool;
        json_object *targets;
} PoolParams;

/* The pool named by the call, for an admin. */
static int admin_pool(VarlinkCall *c, Manager *m, const char *name, Pool **ret, ApiError *e) {
        int r = require_admin(c, m, e);
        if (r != 0)
                return r;
        *ret = manager_find_pool(m, name);
        return *ret ? 0 : api_error_no_such_pool(e, name);
}

static int set_targets(VarlinkCall *c, Manager *m, const PoolParams *p, ApiError *e) {
        _cleanup_free_ SizeTarget *t = NULL;
        Pool *pool;
        size_t n = 0;
        int r = admin_pool(c, m, p->pool, &pool, e);

        if (r == 0)
                r = parse_targets(pool, p->targets, &t, &n, e);
        if (r == 0)
                r = pool_set_targets(pool, t, n);
        return r;
}

int method_set_targets(VarlinkCall *c, json_object *params, void *userdata) {
        static const VarlinkField table[] = {
                { SCHEMA_SET_TARGETS_POOL, VARLINK_FIELD_STRING, offsetof(PoolParams, pool), VARLINK_FIELD_MANDATORY },
                { SCHEMA_SET_TARGETS_TARGETS, VARLINK_FIELD_ARRAY, offsetof(PoolParams, targets), VARLINK_FIELD_MANDATORY },
                {}
        };
        PoolParams p = {};
        ApiError e;
        int r = varlink_dispatch(c, params, table, &p);  /* answers InvalidParameter itself */

        if (r >= 0)
                r = set_targets(c, userdata, &p, &e);
        if (r == 0)
                r = varlink_call_reply(c, NULL);
        return api_end(c, r, &e);
}

int method_drain(VarlinkCall *c, json_object *params, void *userdata) {
        static const VarlinkField table[] = {
                { SCHEMA_DRAIN_POOL, VARLINK_FIELD_STRING, offsetof(PoolParams, pool), VARLINK_FIELD_MANDATORY },
                {}
        };
        PoolParams p = {};
        ApiError e;
        Pool *pool;
        int r = varlink_dispatch(c, params, table, &p);

        if (r >= 0)
                r = admin_pool(c, userdata, p.pool, &pool, &e);
        if (r == 0) {
                pool_drain(pool);
                r = varlink_call_reply(c, NULL);
        }
        return api_end(c, r, &e);
}

int method_reload(VarlinkCall *c, json_object *params, void *userdata) {
        _cleanup_free_ char *error = NULL;
        ApiError e;
        int r = varlink_dispatch(c, params, NULL, NULL);

        if (r >= 0)
                r = require_admin(c, userdata, &e);
        if (r == 0) {
                r = manager_reload(userdata, &error);
                if (r < 0 && error)
                        r = api_error_bad_configuration(&e, error);
        }
        if (r == 0)
                r = varlink_call_reply(c, NULL);
        return api_end(c, r, &e);
}
