/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* io.privmemd's wire names, written once: the methods, fields, enum values and errors of
 * daemon/io.privmemd.varlink, for the daemon's replies, its lease files, libprivmem and privmemctl.
 * tests/unit/test-schema.c walks the IDL and fails when it and this file disagree. */
#pragma once

#include <stddef.h>

#define SCHEMA_INTERFACE "io.privmemd"

/* Methods */
#define SCHEMA_METHOD_GET_STATUS        SCHEMA_INTERFACE ".GetStatus"
#define SCHEMA_METHOD_ACQUIRE           SCHEMA_INTERFACE ".Acquire"
#define SCHEMA_METHOD_RELEASE           SCHEMA_INTERFACE ".Release"
#define SCHEMA_METHOD_GET_LEASE         SCHEMA_INTERFACE ".GetLease"
#define SCHEMA_METHOD_LIST_LEASES       SCHEMA_INTERFACE ".ListLeases"
#define SCHEMA_METHOD_LIST_POOLS        SCHEMA_INTERFACE ".ListPools"
#define SCHEMA_METHOD_GET_METRICS       SCHEMA_INTERFACE ".GetMetrics"
#define SCHEMA_METHOD_WATCH             SCHEMA_INTERFACE ".Watch"
#define SCHEMA_METHOD_SET_TARGETS       SCHEMA_INTERFACE ".SetTargets"
#define SCHEMA_METHOD_DRAIN             SCHEMA_INTERFACE ".Drain"
#define SCHEMA_METHOD_RELOAD            SCHEMA_INTERFACE ".Reload"

/* Errors */
#define SCHEMA_ERROR_NO_SUCH_POOL       SCHEMA_INTERFACE ".NoSuchPool"
#define SCHEMA_ERROR_NO_SUCH_LEASE      SCHEMA_INTERFACE ".NoSuchLease"
#define SCHEMA_ERROR_INVALID_SIZE       SCHEMA_INTERFACE ".InvalidSize"
#define SCHEMA_ERROR_POOL_EXHAUSTED     SCHEMA_INTERFACE ".PoolExhausted"
#define SCHEMA_ERROR_QUOTA_EXCEEDED     SCHEMA_INTERFACE ".QuotaExceeded"
#define SCHEMA_ERROR_TOO_MANY_LEASES    SCHEMA_INTERFACE ".TooManyLeases"
#define SCHEMA_ERROR_NO_SUCH_DOMAIN     SCHEMA_INTERFACE ".NoSuchDomain"
#define SCHEMA_ERROR_LIBVIRT_UNAVAILABLE SCHEMA_INTERFACE ".LibvirtUnavailable"
#define SCHEMA_ERROR_BAD_CONFIGURATION  SCHEMA_INTERFACE ".BadConfiguration"
#define SCHEMA_ERROR_SYSTEM_ERROR       SCHEMA_INTERFACE ".SystemError"
/* Not io.privmemd's, but answered by it for the admin calls and the pools' ACLs. */
#define SCHEMA_ERROR_PERMISSION_DENIED  "org.varlink.service.PermissionDenied"

/* Fields, by type: SCHEMA_<TYPE>_<FIELD>. */
#define SCHEMA_STATUS_VERSION           "version"
#define SCHEMA_STATUS_UPTIME            "uptime"
#define SCHEMA_STATUS_CONNECTIONS       "connections"
#define SCHEMA_STATUS_POOLS             "pools"
#define SCHEMA_STATUS_LEASES            "leases"
#define SCHEMA_STATUS_LIBVIRT           "libvirt"
#define SCHEMA_STATUS_WORKERS           "workers"
#define SCHEMA_STATUS_STUCK_WORKERS     "stuckWorkers"
#define SCHEMA_STATUS_STUCK_SINCE       "stuckSince"

#define SCHEMA_LIBVIRT_LINK_STATE       "state"
#define SCHEMA_LIBVIRT_LINK_URI         "uri"
#define SCHEMA_LIBVIRT_LINK_SINCE       "since"
#define SCHEMA_LIBVIRT_LINK_LAST_ERROR  "lastError"

#define SCHEMA_OWNER_KIND               "kind"
#define SCHEMA_OWNER_PID                "pid"
#define SCHEMA_OWNER_COMMAND            "command"
#define SCHEMA_OWNER_DOMAIN             "domain"
#define SCHEMA_OWNER_DOMAIN_NAME        "domainName"

#define SCHEMA_LEASE_ID                 "id"
#define SCHEMA_LEASE_POOL               "pool"
#define SCHEMA_LEASE_SIZE               "size"
#define SCHEMA_LEASE_STATE              "state"
#define SCHEMA_LEASE_OWNER              "owner"
#define SCHEMA_LEASE_UID                "uid"
#define SCHEMA_LEASE_LEAKED_BYTES       "leakedBytes"
#define SCHEMA_LEASE_AGE                "age"
#define SCHEMA_LEASE_TAG                "tag"
#define SCHEMA_LEASE_HUGE_BYTES         "hugeBytes"

#define SCHEMA_SIZE_CLASS_SIZE          "size"
#define SCHEMA_SIZE_CLASS_TARGET        "target"
#define SCHEMA_SIZE_CLASS_READY         "ready"
#define SCHEMA_SIZE_CLASS_BUILDING      "building"
#define SCHEMA_SIZE_CLASS_LENT          "lent"

#define SCHEMA_POOL_NAME                "name"
#define SCHEMA_POOL_BACKING             "backing"
#define SCHEMA_POOL_PAGE_SIZE           "pageSize"
#define SCHEMA_POOL_NUMA_NODE           "numaNode"
#define SCHEMA_POOL_SEAL_GUEST          "sealGuest"
#define SCHEMA_POOL_CLASSES             "classes"
#define SCHEMA_POOL_BYTES_READY         "bytesReady"
#define SCHEMA_POOL_BYTES_LENT          "bytesLent"
#define SCHEMA_POOL_BYTES_OTHER         "bytesOther"
#define SCHEMA_POOL_LIMIT               "limit"
#define SCHEMA_POOL_QUOTA_PER_UID       "quotaPerUid"
#define SCHEMA_POOL_STATE               "state"
#define SCHEMA_POOL_LAST_ERROR          "lastError"
#define SCHEMA_POOL_FAILURE             "failure"
#define SCHEMA_POOL_HUGE                "huge"

#define SCHEMA_HUGE_READY_HUGE_BYTES    "readyHugeBytes"
#define SCHEMA_HUGE_POPULATED_BYTES     "populatedBytes"
#define SCHEMA_HUGE_POPULATED_HUGE_BYTES "populatedHugeBytes"
#define SCHEMA_HUGE_SHORT_MEMFDS        "shortMemfds"
#define SCHEMA_HUGE_MIN_PERCENT         "minPercent"
#define SCHEMA_HUGE_FALLBACK            "fallback"
#define SCHEMA_HUGE_HOST_GIVES_HUGE     "hostGivesHuge"
#define SCHEMA_HUGE_HOST_ADVICE         "hostAdvice"

#define SCHEMA_EVENT_KIND               "kind"
#define SCHEMA_EVENT_TIMESTAMP          "timestamp"
#define SCHEMA_EVENT_LEASE              "lease"
#define SCHEMA_EVENT_POOL               "pool"
#define SCHEMA_EVENT_SIZE               "size"
#define SCHEMA_EVENT_REASON             "reason"
#define SCHEMA_EVENT_CAUSE              "cause"

#define SCHEMA_TARGET_SIZE              "size"
#define SCHEMA_TARGET_TARGET            "target"

#define SCHEMA_BUCKET_LE                "le"
#define SCHEMA_BUCKET_COUNT             "count"

#define SCHEMA_HISTOGRAM_BUCKETS        "buckets"
#define SCHEMA_HISTOGRAM_COUNT          "count"
#define SCHEMA_HISTOGRAM_SUM            "sum"

#define SCHEMA_ACQUIRE_COUNT_RESULT     "result"
#define SCHEMA_ACQUIRE_COUNT_COUNT      "count"

#define SCHEMA_METRICS_ACQUIRES         "acquires"
#define SCHEMA_METRICS_INVALIDATIONS    "invalidations"
#define SCHEMA_METRICS_LEAKS            "leaks"
#define SCHEMA_METRICS_ACQUIRE_SECONDS  "acquireSeconds"
#define SCHEMA_METRICS_REFILL_SECONDS   "refillSeconds"
#define SCHEMA_METRICS_POOLS            "pools"

#define SCHEMA_POOL_METRICS_POOL        "pool"
#define SCHEMA_POOL_METRICS_POPULATE_TIMEOUTS "populateTimeouts"
#define SCHEMA_POOL_METRICS_STUCK_WORKERS "stuckWorkers"

/* Method parameters and results: SCHEMA_<METHOD>_<FIELD>; errors': SCHEMA_<ERROR>_<FIELD>. */
#define SCHEMA_GET_STATUS_STATUS        "status"
#define SCHEMA_ACQUIRE_POOL             "pool"
#define SCHEMA_ACQUIRE_SIZE             "size"
#define SCHEMA_ACQUIRE_OWNER_FD         "ownerFileDescriptor"
#define SCHEMA_ACQUIRE_BIND_TO_CONNECTION "bindToConnection"
#define SCHEMA_ACQUIRE_OWNER_DOMAIN     "ownerDomain"
#define SCHEMA_ACQUIRE_WAIT             "wait"
#define SCHEMA_ACQUIRE_TAG              "tag"
#define SCHEMA_ACQUIRE_LEASE            "lease"
#define SCHEMA_ACQUIRE_FD               "fileDescriptor"
#define SCHEMA_RELEASE_ID               "id"
#define SCHEMA_GET_LEASE_ID             "id"
#define SCHEMA_GET_LEASE_LEASE          "lease"
#define SCHEMA_LIST_LEASES_POOL         "pool"
#define SCHEMA_LIST_LEASES_LEASES       "leases"
#define SCHEMA_LIST_POOLS_POOLS         "pools"
#define SCHEMA_GET_METRICS_METRICS      "metrics"
#define SCHEMA_WATCH_EVENT              "event"
#define SCHEMA_SET_TARGETS_POOL         "pool"
#define SCHEMA_SET_TARGETS_TARGETS      "targets"
#define SCHEMA_DRAIN_POOL               "pool"

#define SCHEMA_NO_SUCH_POOL_POOL        "pool"
#define SCHEMA_NO_SUCH_LEASE_ID         "id"
#define SCHEMA_INVALID_SIZE_SIZE        "size"
#define SCHEMA_INVALID_SIZE_PAGE_SIZE   "pageSize"
#define SCHEMA_POOL_EXHAUSTED_POOL      "pool"
#define SCHEMA_POOL_EXHAUSTED_SIZE      "size"
#define SCHEMA_POOL_EXHAUSTED_REASON    "reason"
#define SCHEMA_POOL_EXHAUSTED_LIMIT     "limit"
#define SCHEMA_POOL_EXHAUSTED_USED      "used"
#define SCHEMA_POOL_EXHAUSTED_CAUSE     "cause"
#define SCHEMA_QUOTA_EXCEEDED_POOL      "pool"
#define SCHEMA_QUOTA_EXCEEDED_RESOURCE  "resource"
#define SCHEMA_QUOTA_EXCEEDED_LIMIT     "limit"
#define SCHEMA_QUOTA_EXCEEDED_USED      "used"
#define SCHEMA_QUOTA_EXCEEDED_REQUESTED "requested"

#define SCHEMA_TOO_MANY_LEASES_RESOURCE "resource"
#define SCHEMA_TOO_MANY_LEASES_LIMIT    "limit"
#define SCHEMA_TOO_MANY_LEASES_USED     "used"
/* QuotaExceeded.resource, a string in the IDL ("bytes or leases"). */
#define SCHEMA_QUOTA_RESOURCE_BYTES     "bytes"
#define SCHEMA_QUOTA_RESOURCE_LEASES    "leases"
#define SCHEMA_NO_SUCH_DOMAIN_DOMAIN    "domain"
#define SCHEMA_LIBVIRT_UNAVAILABLE_REASON "reason"
#define SCHEMA_BAD_CONFIGURATION_MESSAGE "message"
#define SCHEMA_SYSTEM_ERROR_ERRNO       "errno"
#define SCHEMA_SYSTEM_ERROR_ERRNO_NAME  "errnoName"
#define SCHEMA_SYSTEM_ERROR_MESSAGE     "message"

/* Enums, their values in the IDL's order: a value indexes its type's string table. */
typedef enum SchemaLibvirtState {
        SCHEMA_LIBVIRT_STATE_DISABLED,
        SCHEMA_LIBVIRT_STATE_CONNECTING,
        SCHEMA_LIBVIRT_STATE_CONNECTED,
        SCHEMA_LIBVIRT_STATE_UNAVAILABLE,
        _SCHEMA_LIBVIRT_STATE_MAX,
} SchemaLibvirtState;

typedef enum SchemaOwnerKind {
        SCHEMA_OWNER_KIND_PROCESS,
        SCHEMA_OWNER_KIND_CONNECTION,
        SCHEMA_OWNER_KIND_UNKNOWN,
        SCHEMA_OWNER_KIND_DOMAIN,
        _SCHEMA_OWNER_KIND_MAX,
} SchemaOwnerKind;

typedef enum SchemaLeaseState {
        SCHEMA_LEASE_STATE_ACTIVE,
        SCHEMA_LEASE_STATE_INVALIDATING,
        SCHEMA_LEASE_STATE_LEAKED,
        _SCHEMA_LEASE_STATE_MAX,
} SchemaLeaseState;

typedef enum SchemaBacking {
        SCHEMA_BACKING_SHMEM,
        SCHEMA_BACKING_HUGETLB,
        _SCHEMA_BACKING_MAX,
} SchemaBacking;

typedef enum SchemaPoolState {
        SCHEMA_POOL_STATE_OK,
        SCHEMA_POOL_STATE_FAILING,
        SCHEMA_POOL_STATE_DRAINED,
        SCHEMA_POOL_STATE_RETIRED,
        _SCHEMA_POOL_STATE_MAX,
} SchemaPoolState;

/* Pool.failure and PoolExhausted.cause. */
typedef enum SchemaFailure {
        SCHEMA_FAILURE_LIMIT,
        SCHEMA_FAILURE_NO_READY,
        SCHEMA_FAILURE_NO_MEMORY,
        SCHEMA_FAILURE_POPULATE_TIMEOUT,
        SCHEMA_FAILURE_STUCK_WORKER,
        SCHEMA_FAILURE_ERROR,
        _SCHEMA_FAILURE_MAX,
} SchemaFailure;

typedef enum SchemaHugeFallback {
        SCHEMA_HUGE_FALLBACK_LEND,
        SCHEMA_HUGE_FALLBACK_RETRY,
        SCHEMA_HUGE_FALLBACK_REFUSE,
        _SCHEMA_HUGE_FALLBACK_MAX,
} SchemaHugeFallback;

typedef enum SchemaEventKind {
        SCHEMA_EVENT_KIND_WATCHING,
        SCHEMA_EVENT_KIND_LEASE_ACQUIRED,
        SCHEMA_EVENT_KIND_LEASE_INVALIDATING,
        SCHEMA_EVENT_KIND_LEASE_RELEASED,
        SCHEMA_EVENT_KIND_LEASE_LEAKED,
        SCHEMA_EVENT_KIND_POOL_EXHAUSTED,
        SCHEMA_EVENT_KIND_POOL_REFILLED,
        SCHEMA_EVENT_KIND_POOL_FAILING,
        SCHEMA_EVENT_KIND_CONFIG_RELOADED,
        _SCHEMA_EVENT_KIND_MAX,
} SchemaEventKind;

/* The string tables, NULL-terminated, indexed by the enums above. */
extern const char *const schema_libvirt_states[_SCHEMA_LIBVIRT_STATE_MAX + 1];
extern const char *const schema_owner_kinds[_SCHEMA_OWNER_KIND_MAX + 1];
extern const char *const schema_lease_states[_SCHEMA_LEASE_STATE_MAX + 1];
extern const char *const schema_backings[_SCHEMA_BACKING_MAX + 1];
extern const char *const schema_pool_states[_SCHEMA_POOL_STATE_MAX + 1];
extern const char *const schema_event_kinds[_SCHEMA_EVENT_KIND_MAX + 1];
extern const char *const schema_huge_fallbacks[_SCHEMA_HUGE_FALLBACK_MAX + 1];
extern const char *const schema_failures[_SCHEMA_FAILURE_MAX + 1];

/* The value's name; NULL when out of range. */
const char *schema_enum_to_string(const char *const table[], int value);
/* The index of s in table; -EINVAL when not there (or s is NULL). */
int schema_enum_from_string(const char *const table[], const char *s);

/* The schema as data, for the test that compares it with the IDL: every type, method (its
 * parameters, then its results) and error, with its fields. A field's type is spelled as in the
 * IDL ("?int", "[]SizeClass"); an enum's is "enum" or "?enum", with its table in values. */
typedef struct SchemaField {
        const char *name;
        const char *type;
        const char *const *values;
} SchemaField;

typedef enum SchemaKind {
        SCHEMA_TYPE,
        SCHEMA_METHOD_IN,
        SCHEMA_METHOD_OUT,
        SCHEMA_ERROR,
} SchemaKind;

typedef struct SchemaMember {
        SchemaKind kind;
        const char *name;               /* without the interface */
        const SchemaField *fields;      /* up to one with name NULL */
} SchemaMember;

extern const SchemaMember schema_members[];     /* up to one with name NULL */
