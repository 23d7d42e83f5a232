/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The calls other than Acquire: Release, GetLease, ListLeases, ListPools, GetStatus. */
#include "json-get.h"
#include "privmem-internal.h"
#include "schema/io-privmemd.h"

static int id_check(privmem *p, const char *what, const char *id) {
        if (!id || !*id)
                return privmem_error_local(p, -EINVAL, "%s: no lease id", what);
        return 0;
}

static json_object *object_with_string(const char *key, const char *value) {
        json_object *o = json_object_new_object();
        if (o && value)
                json_object_object_add(o, key, json_object_new_string(value));
        return o;
}

static int reply_mismatch(privmem *p, const char *method) {
        return privmem_error_local(p, -EPROTO, "%s: privmemd's reply does not match the interface", method);
}

/* Parsed, or the failure recorded: a parser's -EPROTO means the reply broke the interface. */
int privmem_parsed(privmem *p, const char *method, int r) {
        return r == -EPROTO ? reply_mismatch(p, method) : r;
}

int privmem_call_get(privmem *p, const char *method, json_object *request, const char *key, json_type type,
                    VarlinkReply *reply, json_object **ret) {
        json_object *v = NULL;

        if (!request)
                return -ENOMEM;
        int r = privmem_call(p, method, request, NULL, 0, false, reply);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(reply->parameters, key, &v) || !json_object_is_type(v, type))
                return reply_mismatch(p, method);
        *ret = v;
        return 0;
}

_public_ int privmem_release(privmem *p, const char *lease_id) {
        _cleanup_(varlink_reply_donep) VarlinkReply reply = {};

        if (!p)
                return -EINVAL;
        privmem_error_clear(p);
        int r = id_check(p, "release", lease_id);
        if (r < 0)
                return r;
        json_object *request = object_with_string(SCHEMA_RELEASE_ID, lease_id);
        if (!request)
                return -ENOMEM;
        return privmem_call(p, SCHEMA_METHOD_RELEASE, request, NULL, 0, false, &reply);
}

_public_ int privmem_get_lease(privmem *p, const char *lease_id, privmem_lease **ret) {
        _cleanup_(varlink_reply_donep) VarlinkReply reply = {};
        json_object *v;

        if (!p || !ret)
                return -EINVAL;
        privmem_error_clear(p);
        int r = id_check(p, "get lease", lease_id);
        if (r >= 0)
                r = privmem_call_get(p, SCHEMA_METHOD_GET_LEASE, object_with_string(SCHEMA_GET_LEASE_ID, lease_id), SCHEMA_GET_LEASE_LEASE,
                             json_type_object, &reply, &v);
        return r < 0 ? r : privmem_parsed(p, SCHEMA_METHOD_GET_LEASE, lease_from_json(v, ret));
}

_public_ int privmem_list_leases(privmem *p, const char *pool, privmem_lease_list **ret) {
        _cleanup_(varlink_reply_donep) VarlinkReply reply = {};
        json_object *v;

        if (!p || !ret)
                return -EINVAL;
        int r = privmem_call_get(p, SCHEMA_METHOD_LIST_LEASES, object_with_string(SCHEMA_LIST_LEASES_POOL, pool), SCHEMA_LIST_LEASES_LEASES,
                         json_type_array, &reply, &v);
        return r < 0 ? r : privmem_parsed(p, SCHEMA_METHOD_LIST_LEASES, lease_list_from_json(v, ret));
}

_public_ int privmem_list_pools(privmem *p, privmem_pool_list **ret) {
        _cleanup_(varlink_reply_donep) VarlinkReply reply = {};
        json_object *v;

        if (!p || !ret)
                return -EINVAL;
        int r = privmem_call_get(p, SCHEMA_METHOD_LIST_POOLS, json_object_new_object(), SCHEMA_LIST_POOLS_POOLS,
                         json_type_array, &reply, &v);
        return r < 0 ? r : privmem_parsed(p, SCHEMA_METHOD_LIST_POOLS, pool_list_from_json(v, ret));
}

_public_ int privmem_get_status(privmem *p, privmem_status **ret) {
        _cleanup_(varlink_reply_donep) VarlinkReply reply = {};
        json_object *v;

        if (!p || !ret)
                return -EINVAL;
        int r = privmem_call_get(p, SCHEMA_METHOD_GET_STATUS, json_object_new_object(), SCHEMA_GET_STATUS_STATUS,
                         json_type_object, &reply, &v);
        return r < 0 ? r : privmem_parsed(p, SCHEMA_METHOD_GET_STATUS, status_from_json(v, ret));
}
