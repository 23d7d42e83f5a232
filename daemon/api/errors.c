/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The io.privmemd errors, each with the numbers that were wrong: built in one place. */
#include "api/errors.h"

static json_object *object_new(void) {
        return json_object_new_object();
}

int reply_no_such_pool(VarlinkCall *c, const char *pool) {
        json_object *o = object_new();
        if (o)
                json_object_object_add(o, "pool", json_object_new_string(pool));
        return varlink_call_error(c, "io.privmemd.NoSuchPool", o);
}

int reply_no_such_lease(VarlinkCall *c, const char *id) {
        json_object *o = object_new();
        if (o)
                json_object_object_add(o, "id", json_object_new_string(id));
        return varlink_call_error(c, "io.privmemd.NoSuchLease", o);
}

int reply_invalid_size(VarlinkCall *c, int64_t size, uint64_t page_size) {
        json_object *o = object_new();
        if (o) {
                json_object_object_add(o, "size", json_object_new_int64(size));
                json_object_object_add(o, "pageSize", json_object_new_int64((int64_t) page_size));
        }
        return varlink_call_error(c, "io.privmemd.InvalidSize", o);
}

int reply_pool_exhausted(VarlinkCall *c, const Pool *p, uint64_t size, const char *reason) {
        json_object *o = object_new();
        if (o) {
                json_object_object_add(o, "pool", json_object_new_string(p->config->name));
                json_object_object_add(o, "size", json_object_new_int64((int64_t) size));
                json_object_object_add(o, "reason", json_object_new_string(reason));
                json_object_object_add(o, "limit", json_object_new_int64((int64_t) p->config->limit));
                json_object_object_add(o, "used", json_object_new_int64((int64_t) pool_bytes_used(p)));
        }
        return varlink_call_error(c, "io.privmemd.PoolExhausted", o);
}

int reply_quota_exceeded(VarlinkCall *c, const Pool *p, const char *resource, uint64_t limit, uint64_t used,
                         uint64_t requested) {
        json_object *o = object_new();
        if (o) {
                json_object_object_add(o, "pool", json_object_new_string(p->config->name));
                json_object_object_add(o, "resource", json_object_new_string(resource));
                json_object_object_add(o, "limit", json_object_new_int64((int64_t) limit));
                json_object_object_add(o, "used", json_object_new_int64((int64_t) used));
                json_object_object_add(o, "requested", json_object_new_int64((int64_t) requested));
        }
        return varlink_call_error(c, "io.privmemd.QuotaExceeded", o);
}

int reply_permission_denied(VarlinkCall *c) {
        return varlink_call_error(c, "org.varlink.service.PermissionDenied", NULL);
}

int reply_no_such_domain(VarlinkCall *c, const char *domain) {
        json_object *o = object_new();
        if (o)
                json_object_object_add(o, "domain", json_object_new_string(domain));
        return varlink_call_error(c, "io.privmemd.NoSuchDomain", o);
}

int reply_libvirt_unavailable(VarlinkCall *c, const char *reason) {
        json_object *o = object_new();
        if (o)
                json_object_object_add(o, "reason", json_object_new_string(reason));
        return varlink_call_error(c, "io.privmemd.LibvirtUnavailable", o);
}
