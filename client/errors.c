/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The last error of a connection: privmemd's varlink errors mapped to errnos and messages. */
#include <stdarg.h>
#include <stdio.h>

#include "privmem-internal.h"
#include "schema/io-privmemd.h"

void privmem_error_clear(privmem *p) {
        p->error_name = mfree(p->error_name);
        p->error_message = mfree(p->error_message);
        json_object_put(p->error_parameters);
        p->error_parameters = NULL;
        json_object_put(p->reply);
        p->reply = NULL;
}

__attribute__((format(printf, 4, 0)))
static int error_set(privmem *p, int error, const char *name, const char *format, va_list ap) {
        char *m = NULL;
        privmem_error_clear(p);
        if (vasprintf(&m, format, ap) < 0)
                m = NULL;
        p->error_message = m;
        p->error_name = name ? strdup(name) : NULL;
        return error;
}

int privmem_error_local(privmem *p, int error, const char *format, ...) {
        va_list ap;
        va_start(ap, format);
        error_set(p, error, NULL, format, ap);
        va_end(ap);
        return error;
}

int privmem_error_transport(privmem *p, const char *what, int r) {
        if (r == -EBADMSG || r == -EPROTO || r == -EMSGSIZE)
                r = -EPROTO;
        else if (r == -EPIPE)
                r = -ECONNRESET;
        return privmem_error_local(p, r, "%s: %s", what,
                                   r == -EPROTO ? "privmemd broke the varlink protocol" :
                                   r == -ECONNRESET ? "privmemd closed the connection" :
                                   strerrordesc_np(-r) ?: "unknown error");
}

static _printf_(4, 5) int error_remote(privmem *p, int error, const char *name, const char *format, ...) {
        va_list ap;
        va_start(ap, format);
        error_set(p, error, name, format, ap);
        va_end(ap);
        return error;
}

/* A parameter of the error as text: numbers in decimal, "?" when the daemon left it out. */
static const char *val(json_object *params, const char *key) {
        json_object *v = NULL;
        if (!json_object_object_get_ex(params, key, &v) || !v)
                return "?";
        return json_object_get_string(v);
}

static int64_t num(json_object *params, const char *key) {
        json_object *v = NULL;
        if (!json_object_object_get_ex(params, key, &v) || !json_object_is_type(v, json_type_int))
                return -1;
        return json_object_get_int64(v);
}

/* No ready memfd and the caller would not wait: worth trying again, unlike a full pool. */
static bool exhausted_for_now(json_object *params, bool no_wait) {
        int64_t limit = num(params, SCHEMA_POOL_EXHAUSTED_LIMIT), used = num(params, SCHEMA_POOL_EXHAUSTED_USED);
        int64_t size = num(params, SCHEMA_POOL_EXHAUSTED_SIZE);
        return no_wait && limit >= 0 && used >= 0 && size >= 0 && used <= limit && size <= limit - used;
}

static int system_error(privmem *p, const char *name, json_object *params) {
        int64_t e = num(params, SCHEMA_SYSTEM_ERROR_ERRNO);
        int error = e > 0 && e < 4096 ? (int) -e : -EIO;
        return error_remote(p, error, name, "privmemd failed: %s (%s, errno %s)",
                            val(params, SCHEMA_SYSTEM_ERROR_MESSAGE), val(params, SCHEMA_SYSTEM_ERROR_ERRNO_NAME),
                            val(params, SCHEMA_SYSTEM_ERROR_ERRNO));
}

/* "(cause: populateTimeout)" at the end, when privmemd said it (0.3 on). */
static int pool_exhausted(privmem *p, const char *name, json_object *q, bool no_wait) {
        bool has_cause = json_object_object_get(q, SCHEMA_POOL_EXHAUSTED_CAUSE);
        return error_remote(p, exhausted_for_now(q, no_wait) ? -EAGAIN : -ENOSPC, name,
                            "pool '%s' exhausted: %s bytes wanted, %s: limit %s, used %s%s%s%s",
                            val(q, SCHEMA_POOL_EXHAUSTED_POOL), val(q, SCHEMA_POOL_EXHAUSTED_SIZE),
                            val(q, SCHEMA_POOL_EXHAUSTED_REASON), val(q, SCHEMA_POOL_EXHAUSTED_LIMIT),
                            val(q, SCHEMA_POOL_EXHAUSTED_USED), has_cause ? " (cause: " : "",
                            has_cause ? val(q, SCHEMA_POOL_EXHAUSTED_CAUSE) : "", has_cause ? ")" : "");
}

static int io_privmemd_error(privmem *p, const char *name, json_object *q, bool no_wait) {
        if (streq(name, PRIVMEM_ERROR_NO_SUCH_POOL))
                return error_remote(p, -ENOENT, name, "no pool '%s'", val(q, SCHEMA_NO_SUCH_POOL_POOL));
        if (streq(name, PRIVMEM_ERROR_NO_SUCH_LEASE))
                return error_remote(p, -ENOENT, name, "no lease '%s'", val(q, SCHEMA_NO_SUCH_LEASE_ID));
        if (streq(name, PRIVMEM_ERROR_INVALID_SIZE))
                return error_remote(p, -EINVAL, name, "size %s is not a positive multiple of the page size %s",
                                    val(q, SCHEMA_INVALID_SIZE_SIZE), val(q, SCHEMA_INVALID_SIZE_PAGE_SIZE));
        if (streq(name, PRIVMEM_ERROR_POOL_EXHAUSTED))
                return pool_exhausted(p, name, q, no_wait);
        if (streq(name, PRIVMEM_ERROR_QUOTA_EXCEEDED))
                return error_remote(p, -EDQUOT, name, "quota of %s in pool '%s' exceeded: limit %s, used %s, requested %s",
                                    val(q, SCHEMA_QUOTA_EXCEEDED_RESOURCE), val(q, SCHEMA_QUOTA_EXCEEDED_POOL),
                                    val(q, SCHEMA_QUOTA_EXCEEDED_LIMIT), val(q, SCHEMA_QUOTA_EXCEEDED_USED),
                                    val(q, SCHEMA_QUOTA_EXCEEDED_REQUESTED));
        if (streq(name, PRIVMEM_ERROR_TOO_MANY_LEASES))
                return error_remote(p, -EMFILE, name, "privmemd holds all the leases it can keep across a restart "
                                    "(%s: limit %s leases and owner processes, used %s)",
                                    val(q, SCHEMA_TOO_MANY_LEASES_RESOURCE), val(q, SCHEMA_TOO_MANY_LEASES_LIMIT),
                                    val(q, SCHEMA_TOO_MANY_LEASES_USED));
        if (streq(name, PRIVMEM_ERROR_NO_SUCH_DOMAIN))
                return error_remote(p, -ENOENT, name, "no libvirt domain '%s'", val(q, SCHEMA_NO_SUCH_DOMAIN_DOMAIN));
        if (streq(name, PRIVMEM_ERROR_LIBVIRT_UNAVAILABLE))
                return error_remote(p, -EHOSTDOWN, name, "libvirt is unavailable: %s",
                                    val(q, SCHEMA_LIBVIRT_UNAVAILABLE_REASON));
        if (streq(name, PRIVMEM_ERROR_BAD_CONFIGURATION))
                return error_remote(p, -EINVAL, name, "bad configuration: %s", val(q, SCHEMA_BAD_CONFIGURATION_MESSAGE));
        if (streq(name, PRIVMEM_ERROR_SYSTEM_ERROR))
                return system_error(p, name, q);
        return error_remote(p, -EIO, name, "privmemd answered %s", name);
}

static int varlink_service_error(privmem *p, const char *name, json_object *q) {
        const char *e = name + strlen("org.varlink.service.");

        if (streq(e, "InvalidParameter"))
                return error_remote(p, -EINVAL, name, "invalid parameter '%s'", val(q, "parameter"));
        if (streq(name, PRIVMEM_ERROR_PERMISSION_DENIED))
                return error_remote(p, -EACCES, name, "permission denied");
        if (streq(e, "MethodNotFound") || streq(e, "MethodNotImplemented"))
                return error_remote(p, -EOPNOTSUPP, name, "privmemd does not implement %s", val(q, "method"));
        if (streq(e, "InterfaceNotFound"))
                return error_remote(p, -EOPNOTSUPP, name, "privmemd does not implement %s", val(q, "interface"));
        return error_remote(p, -EIO, name, "privmemd answered %s", name);
}

static int error_from_reply(privmem *p, const char *name, json_object *parameters, bool no_wait) {
        if (strncmp(name, SCHEMA_INTERFACE ".", strlen(SCHEMA_INTERFACE ".")) == 0)
                return io_privmemd_error(p, name, parameters, no_wait);
        if (strncmp(name, "org.varlink.service.", strlen("org.varlink.service.")) == 0)
                return varlink_service_error(p, name, parameters);
        return error_remote(p, -EIO, name, "privmemd answered %s", name);
}

int privmem_error_from_reply(privmem *p, const char *name, json_object *parameters, bool no_wait) {
        int r = error_from_reply(p, name, parameters, no_wait);
        p->error_parameters = json_object_get(parameters);
        return r;
}

static json_object *error_parameter(const privmem *p, const char *parameter) {
        json_object *v = NULL;
        if (!p || !parameter || !p->error_parameters)
                return NULL;
        json_object_object_get_ex(p->error_parameters, parameter, &v);
        return v;
}

_public_ int privmem_last_error_u64(const privmem *p, const char *parameter, uint64_t *ret) {
        if (!p || !parameter || !ret)
                return -EINVAL;
        json_object *v = error_parameter(p, parameter);
        if (!v || !json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
                return -ENODATA;
        *ret = (uint64_t) json_object_get_int64(v);
        return 0;
}

_public_ const char *privmem_last_error_string(const privmem *p, const char *parameter) {
        json_object *v = error_parameter(p, parameter);
        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

_public_ const char *privmem_last_error_name(const privmem *p) {
        return p ? p->error_name : NULL;
}

_public_ const char *privmem_last_error_message(const privmem *p) {
        return p ? p->error_message : NULL;
}
