/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The io.privmemd errors, each with the numbers that were wrong: built in one place. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include "api/errors.h"
#include "schema/io-privmemd.h"
#include "util/log.h"
#include "util/string-table.h"
#include "varlink/json-oom.h"

/* Indexed by code - 1: the codes start at 1. */
static const char *const error_names[_API_E_MAX] = {
        [API_E_INVALID_PARAMETER - 1] = "org.varlink.service.InvalidParameter",
        [API_E_PERMISSION_DENIED - 1] = SCHEMA_ERROR_PERMISSION_DENIED,
        [API_E_NO_SUCH_POOL - 1] = SCHEMA_ERROR_NO_SUCH_POOL,
        [API_E_NO_SUCH_LEASE - 1] = SCHEMA_ERROR_NO_SUCH_LEASE,
        [API_E_INVALID_SIZE - 1] = SCHEMA_ERROR_INVALID_SIZE,
        [API_E_POOL_EXHAUSTED - 1] = SCHEMA_ERROR_POOL_EXHAUSTED,
        [API_E_QUOTA_EXCEEDED - 1] = SCHEMA_ERROR_QUOTA_EXCEEDED,
        [API_E_NO_SUCH_DOMAIN - 1] = SCHEMA_ERROR_NO_SUCH_DOMAIN,
        [API_E_LIBVIRT_UNAVAILABLE - 1] = SCHEMA_ERROR_LIBVIRT_UNAVAILABLE,
        [API_E_BAD_CONFIGURATION - 1] = SCHEMA_ERROR_BAD_CONFIGURATION,
        [API_E_TOO_MANY_LEASES - 1] = SCHEMA_ERROR_TOO_MANY_LEASES,
        [API_E_NO_ROOM_FOR_LEASE_FILE - 1] = SCHEMA_ERROR_SYSTEM_ERROR,
};

const char *api_error_name(ApiErrorCode code) {
        return string_table_to_string(error_names, (int) code - 1);
}

static int fill(ApiError *e, ApiError v) {
        *e = v;
        return v.code;
}

int api_error_invalid_parameter(ApiError *e, const char *parameter) {
        return fill(e, (ApiError) { .code = API_E_INVALID_PARAMETER, .name = parameter });
}

int api_error_permission_denied(ApiError *e) {
        return fill(e, (ApiError) { .code = API_E_PERMISSION_DENIED });
}

int api_error_no_such_pool(ApiError *e, const char *pool) {
        return fill(e, (ApiError) { .code = API_E_NO_SUCH_POOL, .name = pool });
}

int api_error_no_such_lease(ApiError *e, const char *id) {
        return fill(e, (ApiError) { .code = API_E_NO_SUCH_LEASE, .name = id });
}

int api_error_invalid_size(ApiError *e, int64_t size, uint64_t page_size) {
        return fill(e, (ApiError) { .code = API_E_INVALID_SIZE, .size = size, .page_size = page_size });
}

int api_error_pool_exhausted(ApiError *e, const Pool *p, uint64_t size, int cause, const char *reason) {
        return fill(e, (ApiError) { .code = API_E_POOL_EXHAUSTED, .pool = p, .size = (int64_t) size, .reason = reason,
                                    .cause = schema_enum_to_string(schema_failures, cause) });
}

int api_error_quota_exceeded(ApiError *e, const Pool *p, const QuotaExceeded *q) {
        return fill(e, (ApiError) { .code = API_E_QUOTA_EXCEEDED, .pool = p, .quota = *q });
}

int api_error_no_such_domain(ApiError *e, const char *domain) {
        return fill(e, (ApiError) { .code = API_E_NO_SUCH_DOMAIN, .name = domain });
}

int api_error_libvirt_unavailable(ApiError *e, const char *reason) {
        return fill(e, (ApiError) { .code = API_E_LIBVIRT_UNAVAILABLE, .reason = reason });
}

int api_error_bad_configuration(ApiError *e, const char *message) {
        return fill(e, (ApiError) { .code = API_E_BAD_CONFIGURATION, .reason = message });
}

int api_error_too_many_leases(ApiError *e, const char *resource, unsigned limit, unsigned used) {
        return fill(e, (ApiError) { .code = API_E_TOO_MANY_LEASES, .reason = resource, .limit = limit, .used = used });
}

int api_error_no_room_for_lease_file(ApiError *e, const char *dir) {
        return fill(e, (ApiError) { .code = API_E_NO_ROOM_FOR_LEASE_FILE, .name = dir });
}

/* Out of memory, a value is left out (and not leaked): api_reply_error() tells by json-oom.h. */
static void add_string(json_object *o, const char *key, const char *value) {
        (void) json_add(o, key, json_object_new_string(value ?: ""));
}

static void add_int(json_object *o, const char *key, int64_t value) {
        (void) json_add(o, key, json_object_new_int64(value));
}

/* The error's parameters, as the IDL names them. */
static void add_parameters(json_object *o, const ApiError *e) {
        switch (e->code) {
        case API_E_NO_SUCH_POOL:
                return add_string(o, SCHEMA_NO_SUCH_POOL_POOL, e->name);
        case API_E_NO_SUCH_LEASE:
                return add_string(o, SCHEMA_NO_SUCH_LEASE_ID, e->name);
        case API_E_INVALID_SIZE:
                add_int(o, SCHEMA_INVALID_SIZE_SIZE, e->size);
                return add_int(o, SCHEMA_INVALID_SIZE_PAGE_SIZE, (int64_t) e->page_size);
        case API_E_POOL_EXHAUSTED:
                add_string(o, SCHEMA_POOL_EXHAUSTED_POOL, e->pool->config->name);
                add_int(o, SCHEMA_POOL_EXHAUSTED_SIZE, e->size);
                add_string(o, SCHEMA_POOL_EXHAUSTED_REASON, e->reason);
                add_int(o, SCHEMA_POOL_EXHAUSTED_LIMIT, (int64_t) e->pool->config->limit);
                if (e->cause)
                        add_string(o, SCHEMA_POOL_EXHAUSTED_CAUSE, e->cause);
                return add_int(o, SCHEMA_POOL_EXHAUSTED_USED, (int64_t) pool_bytes_used(e->pool));
        case API_E_QUOTA_EXCEEDED:
                add_string(o, SCHEMA_QUOTA_EXCEEDED_POOL, e->pool->config->name);
                add_string(o, SCHEMA_QUOTA_EXCEEDED_RESOURCE, e->quota.resource);
                add_int(o, SCHEMA_QUOTA_EXCEEDED_LIMIT, (int64_t) e->quota.limit);
                add_int(o, SCHEMA_QUOTA_EXCEEDED_USED, (int64_t) e->quota.used);
                return add_int(o, SCHEMA_QUOTA_EXCEEDED_REQUESTED, (int64_t) e->quota.requested);
        case API_E_NO_SUCH_DOMAIN:
                return add_string(o, SCHEMA_NO_SUCH_DOMAIN_DOMAIN, e->name);
        case API_E_LIBVIRT_UNAVAILABLE:
                return add_string(o, SCHEMA_LIBVIRT_UNAVAILABLE_REASON, e->reason);
        case API_E_BAD_CONFIGURATION:
                return add_string(o, SCHEMA_BAD_CONFIGURATION_MESSAGE, e->reason);
        case API_E_TOO_MANY_LEASES:
                add_string(o, SCHEMA_TOO_MANY_LEASES_RESOURCE, e->reason);
                add_int(o, SCHEMA_TOO_MANY_LEASES_LIMIT, e->limit);
                return add_int(o, SCHEMA_TOO_MANY_LEASES_USED, e->used);
        case API_E_NO_ROOM_FOR_LEASE_FILE: {
                char msg[PATH_MAX + 64];
                snprintf(msg, sizeof(msg), "no room for a lease file in %s", e->name);
                add_int(o, SCHEMA_SYSTEM_ERROR_ERRNO, ENOSPC);
                add_string(o, SCHEMA_SYSTEM_ERROR_ERRNO_NAME, "ENOSPC");
                return add_string(o, SCHEMA_SYSTEM_ERROR_MESSAGE, msg);
        }
        default:
                return;
        }
}

int api_reply_error(VarlinkCall *c, const ApiError *e) {
        if (e->code == API_E_INVALID_PARAMETER)
                return varlink_call_error_invalid_parameter(c, e->name);
        if (e->code == API_E_PERMISSION_DENIED)
                return varlink_call_error(c, SCHEMA_ERROR_PERMISSION_DENIED, NULL);
        json_oom_reset();
        json_object *o = json_object_new_object();
        if (o)
                add_parameters(o, e);
        if (!o || json_oom_happened()) {  /* an error without its numbers would mislead */
                json_object_put(o);
                return varlink_call_error_errno(c, -ENOMEM);
        }
        return varlink_call_error(c, api_error_name(e->code), o);
}

int api_end(VarlinkCall *c, int r, const ApiError *e) {
        if (r > 0) {
                log_debug("%s: %s", varlink_call_method(c), api_error_name(e->code));
                (void) api_reply_error(c, e);
                return 0;
        }
        if (r < 0)
                log_debug_errno(r, "%s failed: %m", varlink_call_method(c));
        return r;
}
