/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The io.privmemd errors, each with the numbers that were wrong: built in one place. */
#include "api/errors.h"
#include "schema/io-privmemd.h"

static json_object *object_new(void) {
        return json_object_new_object();
}

int reply_no_such_pool(VarlinkCall *c, const char *pool) {
        json_object *o = object_new();
        if (o)
                json_object_object_add(o, SCHEMA_NO_SUCH_POOL_POOL, json_object_new_string(pool));
        return varlink_call_error(c, SCHEMA_ERROR_NO_SUCH_POOL, o);
}

int reply_no_such_lease(VarlinkCall *c, const char *id) {
        json_object *o = object_new();
        if (o)
                json_object_object_add(o, SCHEMA_NO_SUCH_LEASE_ID, json_object_new_string(id));
        return varlink_call_error(c, SCHEMA_ERROR_NO_SUCH_LEASE, o);
}

int reply_invalid_size(VarlinkCall *c, int64_t size, uint64_t page_size) {
        json_object *o = object_new();
        if (o) {
                json_object_object_add(o, SCHEMA_INVALID_SIZE_SIZE, json_object_new_int64(size));
                json_object_object_add(o, SCHEMA_INVALID_SIZE_PAGE_SIZE, json_object_new_int64((int64_t) page_size));
        }
        return varlink_call_error(c, SCHEMA_ERROR_INVALID_SIZE, o);
}

int reply_pool_exhausted(VarlinkCall *c, const Pool *p, uint64_t size, const char *reason) {
        json_object *o = object_new();
        if (o) {
                json_object_object_add(o, SCHEMA_POOL_EXHAUSTED_POOL, json_object_new_string(p->config->name));
                json_object_object_add(o, SCHEMA_POOL_EXHAUSTED_SIZE, json_object_new_int64((int64_t) size));
                json_object_object_add(o, SCHEMA_POOL_EXHAUSTED_REASON, json_object_new_string(reason));
                json_object_object_add(o, SCHEMA_POOL_EXHAUSTED_LIMIT, json_object_new_int64((int64_t) p->config->limit));
                json_object_object_add(o, SCHEMA_POOL_EXHAUSTED_USED, json_object_new_int64((int64_t) pool_bytes_used(p)));
        }
        return varlink_call_error(c, SCHEMA_ERROR_POOL_EXHAUSTED, o);
}

int reply_quota_exceeded(VarlinkCall *c, const Pool *p, const char *resource, uint64_t limit, uint64_t used,
                         uint64_t requested) {
        json_object *o = object_new();
        if (o) {
                json_object_object_add(o, SCHEMA_QUOTA_EXCEEDED_POOL, json_object_new_string(p->config->name));
                json_object_object_add(o, SCHEMA_QUOTA_EXCEEDED_RESOURCE, json_object_new_string(resource));
                json_object_object_add(o, SCHEMA_QUOTA_EXCEEDED_LIMIT, json_object_new_int64((int64_t) limit));
                json_object_object_add(o, SCHEMA_QUOTA_EXCEEDED_USED, json_object_new_int64((int64_t) used));
                json_object_object_add(o, SCHEMA_QUOTA_EXCEEDED_REQUESTED, json_object_new_int64((int64_t) requested));
        }
        return varlink_call_error(c, SCHEMA_ERROR_QUOTA_EXCEEDED, o);
}

int reply_too_many_leases(VarlinkCall *c, const char *resource, unsigned limit, unsigned used) {
        json_object *o = object_new();
        if (o) {
                json_object_object_add(o, SCHEMA_TOO_MANY_LEASES_RESOURCE, json_object_new_string(resource));
                json_object_object_add(o, SCHEMA_TOO_MANY_LEASES_LIMIT, json_object_new_int64(limit));
                json_object_object_add(o, SCHEMA_TOO_MANY_LEASES_USED, json_object_new_int64(used));
        }
        return varlink_call_error(c, SCHEMA_ERROR_TOO_MANY_LEASES, o);
}

int reply_system_error(VarlinkCall *c, int error, const char *message) {
        json_object *o = object_new();
        int e = error < 0 ? -error : error;
        if (o) {
                json_object_object_add(o, SCHEMA_SYSTEM_ERROR_ERRNO, json_object_new_int(e));
                json_object_object_add(o, SCHEMA_SYSTEM_ERROR_ERRNO_NAME, json_object_new_string(strerrorname_np(e) ?: "unknown"));
                json_object_object_add(o, SCHEMA_SYSTEM_ERROR_MESSAGE, json_object_new_string(message));
        }
        return varlink_call_error(c, SCHEMA_ERROR_SYSTEM_ERROR, o);
}

int reply_permission_denied(VarlinkCall *c) {
        return varlink_call_error(c, SCHEMA_ERROR_PERMISSION_DENIED, NULL);
}

int reply_no_such_domain(VarlinkCall *c, const char *domain) {
        json_object *o = object_new();
        if (o)
                json_object_object_add(o, SCHEMA_NO_SUCH_DOMAIN_DOMAIN, json_object_new_string(domain));
        return varlink_call_error(c, SCHEMA_ERROR_NO_SUCH_DOMAIN, o);
}

int reply_libvirt_unavailable(VarlinkCall *c, const char *reason) {
        json_object *o = object_new();
        if (o)
                json_object_object_add(o, SCHEMA_LIBVIRT_UNAVAILABLE_REASON, json_object_new_string(reason));
        return varlink_call_error(c, SCHEMA_ERROR_LIBVIRT_UNAVAILABLE, o);
}
