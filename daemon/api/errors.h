/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The io.privmemd errors. The steps of a method send nothing: a caller's mistake or a refusal is a
 * positive ApiErrorCode with its numbers in an ApiError (dbus-broker's DRIVER_E_*), the daemon's own
 * failure a negative errno. Each method ends in one place that turns either into the varlink error
 * (api_reply_error, or SystemError), its metric and its log line. */
#pragma once

#include "core/quota.h"
#include "varlink/varlink-server.h"

typedef enum ApiErrorCode {
        API_E_INVALID_PARAMETER = 1,    /* name: the parameter */
        API_E_PERMISSION_DENIED,
        API_E_NO_SUCH_POOL,             /* name */
        API_E_NO_SUCH_LEASE,            /* name: the id */
        API_E_INVALID_SIZE,             /* size, page_size */
        API_E_POOL_EXHAUSTED,           /* pool, size, reason */
        API_E_QUOTA_EXCEEDED,           /* pool, quota */
        API_E_NO_SUCH_DOMAIN,           /* name */
        API_E_LIBVIRT_UNAVAILABLE,      /* reason */
        API_E_BAD_CONFIGURATION,        /* reason: the file, line and key */
        API_E_TOO_MANY_LEASES,          /* reason: the resource; limit, used */
        API_E_NO_ROOM_FOR_LEASE_FILE,   /* name: the directory (answered as SystemError ENOSPC) */
        _API_E_MAX,
} ApiErrorCode;

typedef struct ApiError {
        ApiErrorCode code;
        const char *name;
        const Pool *pool;
        int64_t size;
        uint64_t page_size;
        const char *reason;             /* not copied: lives until the error is sent */
        const char *cause;              /* PoolExhausted: a schema_failures name */
        QuotaExceeded quota;
        unsigned limit, used;           /* TooManyLeases */
} ApiError;

/* Each fills e and returns its code, so a step says `return api_error_no_such_pool(e, name);`. */
int api_error_invalid_parameter(ApiError *e, const char *parameter);
int api_error_permission_denied(ApiError *e);
int api_error_no_such_pool(ApiError *e, const char *pool);
int api_error_no_such_lease(ApiError *e, const char *id);
int api_error_invalid_size(ApiError *e, int64_t size, uint64_t page_size);
/* cause: a SchemaFailure. */
int api_error_pool_exhausted(ApiError *e, const Pool *p, uint64_t size, int cause, const char *reason);
int api_error_quota_exceeded(ApiError *e, const Pool *p, const QuotaExceeded *q);
int api_error_no_such_domain(ApiError *e, const char *domain);
int api_error_libvirt_unavailable(ApiError *e, const char *reason);
int api_error_bad_configuration(ApiError *e, const char *message);
int api_error_too_many_leases(ApiError *e, const char *resource, unsigned limit, unsigned used);
int api_error_no_room_for_lease_file(ApiError *e, const char *dir);

/* The varlink error name of the code. */
const char *api_error_name(ApiErrorCode code);
/* Sends e as its varlink error, with its numbers. */
int api_reply_error(VarlinkCall *c, const ApiError *e);
/* Where a method that needs no metric ends: r > 0 sends e, r < 0 the SystemError (by returning it
 * to the server); both are logged at debug level with the method's name. */
int api_end(VarlinkCall *c, int r, const ApiError *e);
