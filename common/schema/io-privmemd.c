/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* io.privmemd's enum names and its schema as data (see io-privmemd.h). */
#include <errno.h>
#include <string.h>

#include "schema/io-privmemd.h"
#include "util/string-table.h"

const char *const schema_libvirt_states[_SCHEMA_LIBVIRT_STATE_MAX + 1] = {
        [SCHEMA_LIBVIRT_STATE_DISABLED] = "disabled",
        [SCHEMA_LIBVIRT_STATE_CONNECTING] = "connecting",
        [SCHEMA_LIBVIRT_STATE_CONNECTED] = "connected",
        [SCHEMA_LIBVIRT_STATE_UNAVAILABLE] = "unavailable",
};

const char *const schema_owner_kinds[_SCHEMA_OWNER_KIND_MAX + 1] = {
        [SCHEMA_OWNER_KIND_PROCESS] = "process",
        [SCHEMA_OWNER_KIND_CONNECTION] = "connection",
        [SCHEMA_OWNER_KIND_UNKNOWN] = "unknown",
        [SCHEMA_OWNER_KIND_DOMAIN] = "domain",
};

const char *const schema_lease_states[_SCHEMA_LEASE_STATE_MAX + 1] = {
        [SCHEMA_LEASE_STATE_ACTIVE] = "active",
        [SCHEMA_LEASE_STATE_INVALIDATING] = "invalidating",
        [SCHEMA_LEASE_STATE_LEAKED] = "leaked",
};

const char *const schema_huge_fallbacks[_SCHEMA_HUGE_FALLBACK_MAX + 1] = {
        [SCHEMA_HUGE_FALLBACK_LEND] = "lend",
        [SCHEMA_HUGE_FALLBACK_RETRY] = "retry",
        [SCHEMA_HUGE_FALLBACK_REFUSE] = "refuse",
};

const char *const schema_failures[_SCHEMA_FAILURE_MAX + 1] = {
        [SCHEMA_FAILURE_LIMIT] = "limit",
        [SCHEMA_FAILURE_NO_READY] = "noReady",
        [SCHEMA_FAILURE_NO_MEMORY] = "noMemory",
        [SCHEMA_FAILURE_POPULATE_TIMEOUT] = "populateTimeout",
        [SCHEMA_FAILURE_STUCK_WORKER] = "stuckWorker",
        [SCHEMA_FAILURE_ERROR] = "error",
};

const char *const schema_backings[_SCHEMA_BACKING_MAX + 1] = {
        [SCHEMA_BACKING_SHMEM] = "shmem",
        [SCHEMA_BACKING_HUGETLB] = "hugetlb",
};

const char *const schema_pool_states[_SCHEMA_POOL_STATE_MAX + 1] = {
        [SCHEMA_POOL_STATE_OK] = "ok",
        [SCHEMA_POOL_STATE_FAILING] = "failing",
        [SCHEMA_POOL_STATE_DRAINED] = "drained",
        [SCHEMA_POOL_STATE_RETIRED] = "retired",
};

const char *const schema_event_kinds[_SCHEMA_EVENT_KIND_MAX + 1] = {
        [SCHEMA_EVENT_KIND_WATCHING] = "watching",
        [SCHEMA_EVENT_KIND_LEASE_ACQUIRED] = "leaseAcquired",
        [SCHEMA_EVENT_KIND_LEASE_INVALIDATING] = "leaseInvalidating",
        [SCHEMA_EVENT_KIND_LEASE_RELEASED] = "leaseReleased",
        [SCHEMA_EVENT_KIND_LEASE_LEAKED] = "leaseLeaked",
        [SCHEMA_EVENT_KIND_POOL_EXHAUSTED] = "poolExhausted",
        [SCHEMA_EVENT_KIND_POOL_REFILLED] = "poolRefilled",
        [SCHEMA_EVENT_KIND_POOL_FAILING] = "poolFailing",
        [SCHEMA_EVENT_KIND_CONFIG_RELOADED] = "configReloaded",
};

const char *schema_enum_to_string(const char *const table[], int value) {
        return string_table_to_string(table, value);
}

int schema_enum_from_string(const char *const table[], const char *s) {
        return string_table_from_string(table, s);
}

#define FIELDS(...) ((const SchemaField[]) { __VA_ARGS__, {} })
#define NO_FIELDS ((const SchemaField[]) { {} })

const SchemaMember schema_members[] = {
        { SCHEMA_TYPE, "Status", FIELDS(
                { SCHEMA_STATUS_VERSION, "string" },
                { SCHEMA_STATUS_UPTIME, "float" },
                { SCHEMA_STATUS_CONNECTIONS, "int" },
                { SCHEMA_STATUS_POOLS, "int" },
                { SCHEMA_STATUS_LEASES, "int" },
                { SCHEMA_STATUS_LIBVIRT, "?LibvirtLink" },
                { SCHEMA_STATUS_WORKERS, "int" },
                { SCHEMA_STATUS_STUCK_WORKERS, "int" },
                { SCHEMA_STATUS_STUCK_SINCE, "?float" }) },
        { SCHEMA_TYPE, "LibvirtLink", FIELDS(
                { SCHEMA_LIBVIRT_LINK_STATE, "enum", schema_libvirt_states },
                { SCHEMA_LIBVIRT_LINK_URI, "?string" },
                { SCHEMA_LIBVIRT_LINK_SINCE, "float" },
                { SCHEMA_LIBVIRT_LINK_LAST_ERROR, "?string" }) },
        { SCHEMA_TYPE, "Owner", FIELDS(
                { SCHEMA_OWNER_KIND, "enum", schema_owner_kinds },
                { SCHEMA_OWNER_PID, "?int" },
                { SCHEMA_OWNER_COMMAND, "?string" },
                { SCHEMA_OWNER_DOMAIN, "?string" },
                { SCHEMA_OWNER_DOMAIN_NAME, "?string" }) },
        { SCHEMA_TYPE, "Lease", FIELDS(
                { SCHEMA_LEASE_ID, "string" },
                { SCHEMA_LEASE_POOL, "string" },
                { SCHEMA_LEASE_SIZE, "int" },
                { SCHEMA_LEASE_STATE, "enum", schema_lease_states },
                { SCHEMA_LEASE_OWNER, "Owner" },
                { SCHEMA_LEASE_UID, "int" },
                { SCHEMA_LEASE_LEAKED_BYTES, "?int" },
                { SCHEMA_LEASE_AGE, "float" },
                { SCHEMA_LEASE_TAG, "?string" },
                { SCHEMA_LEASE_HUGE_BYTES, "?int" }) },
        { SCHEMA_TYPE, "SizeClass", FIELDS(
                { SCHEMA_SIZE_CLASS_SIZE, "int" },
                { SCHEMA_SIZE_CLASS_TARGET, "int" },
                { SCHEMA_SIZE_CLASS_READY, "int" },
                { SCHEMA_SIZE_CLASS_BUILDING, "int" },
                { SCHEMA_SIZE_CLASS_LENT, "int" }) },
        { SCHEMA_TYPE, "Pool", FIELDS(
                { SCHEMA_POOL_NAME, "string" },
                { SCHEMA_POOL_BACKING, "enum", schema_backings },
                { SCHEMA_POOL_PAGE_SIZE, "int" },
                { SCHEMA_POOL_NUMA_NODE, "?int" },
                { SCHEMA_POOL_SEAL_GUEST, "bool" },
                { SCHEMA_POOL_CLASSES, "[]SizeClass" },
                { SCHEMA_POOL_BYTES_READY, "int" },
                { SCHEMA_POOL_BYTES_LENT, "int" },
                { SCHEMA_POOL_BYTES_OTHER, "int" },
                { SCHEMA_POOL_LIMIT, "int" },
                { SCHEMA_POOL_QUOTA_PER_UID, "int" },
                { SCHEMA_POOL_STATE, "enum", schema_pool_states },
                { SCHEMA_POOL_LAST_ERROR, "?string" },
                { SCHEMA_POOL_FAILURE, "?enum", schema_failures },
                { SCHEMA_POOL_HUGE, "?HugePages" }) },
        { SCHEMA_TYPE, "HugePages", FIELDS(
                { SCHEMA_HUGE_READY_HUGE_BYTES, "int" },
                { SCHEMA_HUGE_POPULATED_BYTES, "int" },
                { SCHEMA_HUGE_POPULATED_HUGE_BYTES, "int" },
                { SCHEMA_HUGE_SHORT_MEMFDS, "int" },
                { SCHEMA_HUGE_MIN_PERCENT, "int" },
                { SCHEMA_HUGE_FALLBACK, "enum", schema_huge_fallbacks },
                { SCHEMA_HUGE_HOST_GIVES_HUGE, "?bool" },
                { SCHEMA_HUGE_HOST_ADVICE, "?string" }) },
        { SCHEMA_TYPE, "Event", FIELDS(
                { SCHEMA_EVENT_KIND, "enum", schema_event_kinds },
                { SCHEMA_EVENT_TIMESTAMP, "int" },
                { SCHEMA_EVENT_LEASE, "?Lease" },
                { SCHEMA_EVENT_POOL, "?string" },
                { SCHEMA_EVENT_SIZE, "?int" },
                { SCHEMA_EVENT_REASON, "?string" },
                { SCHEMA_EVENT_CAUSE, "?enum", schema_failures }) },
        { SCHEMA_TYPE, "Target", FIELDS(
                { SCHEMA_TARGET_SIZE, "int" },
                { SCHEMA_TARGET_TARGET, "int" }) },
        { SCHEMA_TYPE, "Bucket", FIELDS(
                { SCHEMA_BUCKET_LE, "float" },
                { SCHEMA_BUCKET_COUNT, "int" }) },
        { SCHEMA_TYPE, "Histogram", FIELDS(
                { SCHEMA_HISTOGRAM_BUCKETS, "[]Bucket" },
                { SCHEMA_HISTOGRAM_COUNT, "int" },
                { SCHEMA_HISTOGRAM_SUM, "float" }) },
        { SCHEMA_TYPE, "AcquireCount", FIELDS(
                { SCHEMA_ACQUIRE_COUNT_RESULT, "string" },
                { SCHEMA_ACQUIRE_COUNT_COUNT, "int" }) },
        { SCHEMA_TYPE, "PoolMetrics", FIELDS(
                { SCHEMA_POOL_METRICS_POOL, "string" },
                { SCHEMA_POOL_METRICS_POPULATE_TIMEOUTS, "int" },
                { SCHEMA_POOL_METRICS_STUCK_WORKERS, "int" }) },
        { SCHEMA_TYPE, "Metrics", FIELDS(
                { SCHEMA_METRICS_ACQUIRES, "[]AcquireCount" },
                { SCHEMA_METRICS_INVALIDATIONS, "int" },
                { SCHEMA_METRICS_LEAKS, "int" },
                { SCHEMA_METRICS_ACQUIRE_SECONDS, "Histogram" },
                { SCHEMA_METRICS_REFILL_SECONDS, "Histogram" },
                { SCHEMA_METRICS_POOLS, "[]PoolMetrics" }) },

        { SCHEMA_METHOD_IN, "GetStatus", NO_FIELDS },
        { SCHEMA_METHOD_OUT, "GetStatus", FIELDS({ SCHEMA_GET_STATUS_STATUS, "Status" }) },
        { SCHEMA_METHOD_IN, "Acquire", FIELDS(
                { SCHEMA_ACQUIRE_POOL, "string" },
                { SCHEMA_ACQUIRE_SIZE, "int" },
                { SCHEMA_ACQUIRE_OWNER_FD, "?int" },
                { SCHEMA_ACQUIRE_BIND_TO_CONNECTION, "?bool" },
                { SCHEMA_ACQUIRE_OWNER_DOMAIN, "?string" },
                { SCHEMA_ACQUIRE_WAIT, "?bool" },
                { SCHEMA_ACQUIRE_TAG, "?string" }) },
        { SCHEMA_METHOD_OUT, "Acquire", FIELDS(
                { SCHEMA_ACQUIRE_LEASE, "Lease" },
                { SCHEMA_ACQUIRE_FD, "int" }) },
        { SCHEMA_METHOD_IN, "Release", FIELDS({ SCHEMA_RELEASE_ID, "string" }) },
        { SCHEMA_METHOD_OUT, "Release", NO_FIELDS },
        { SCHEMA_METHOD_IN, "GetLease", FIELDS({ SCHEMA_GET_LEASE_ID, "string" }) },
        { SCHEMA_METHOD_OUT, "GetLease", FIELDS({ SCHEMA_GET_LEASE_LEASE, "Lease" }) },
        { SCHEMA_METHOD_IN, "ListLeases", FIELDS({ SCHEMA_LIST_LEASES_POOL, "?string" }) },
        { SCHEMA_METHOD_OUT, "ListLeases", FIELDS({ SCHEMA_LIST_LEASES_LEASES, "[]Lease" }) },
        { SCHEMA_METHOD_IN, "ListPools", NO_FIELDS },
        { SCHEMA_METHOD_OUT, "ListPools", FIELDS({ SCHEMA_LIST_POOLS_POOLS, "[]Pool" }) },
        { SCHEMA_METHOD_IN, "GetMetrics", NO_FIELDS },
        { SCHEMA_METHOD_OUT, "GetMetrics", FIELDS({ SCHEMA_GET_METRICS_METRICS, "Metrics" }) },
        { SCHEMA_METHOD_IN, "Watch", NO_FIELDS },
        { SCHEMA_METHOD_OUT, "Watch", FIELDS({ SCHEMA_WATCH_EVENT, "Event" }) },
        { SCHEMA_METHOD_IN, "SetTargets", FIELDS(
                { SCHEMA_SET_TARGETS_POOL, "string" },
                { SCHEMA_SET_TARGETS_TARGETS, "[]Target" }) },
        { SCHEMA_METHOD_OUT, "SetTargets", NO_FIELDS },
        { SCHEMA_METHOD_IN, "Drain", FIELDS({ SCHEMA_DRAIN_POOL, "string" }) },
        { SCHEMA_METHOD_OUT, "Drain", NO_FIELDS },
        { SCHEMA_METHOD_IN, "Reload", NO_FIELDS },
        { SCHEMA_METHOD_OUT, "Reload", NO_FIELDS },

        { SCHEMA_ERROR, "NoSuchPool", FIELDS({ SCHEMA_NO_SUCH_POOL_POOL, "string" }) },
        { SCHEMA_ERROR, "NoSuchLease", FIELDS({ SCHEMA_NO_SUCH_LEASE_ID, "string" }) },
        { SCHEMA_ERROR, "InvalidSize", FIELDS(
                { SCHEMA_INVALID_SIZE_SIZE, "int" },
                { SCHEMA_INVALID_SIZE_PAGE_SIZE, "int" }) },
        { SCHEMA_ERROR, "PoolExhausted", FIELDS(
                { SCHEMA_POOL_EXHAUSTED_POOL, "string" },
                { SCHEMA_POOL_EXHAUSTED_SIZE, "int" },
                { SCHEMA_POOL_EXHAUSTED_REASON, "string" },
                { SCHEMA_POOL_EXHAUSTED_LIMIT, "int" },
                { SCHEMA_POOL_EXHAUSTED_USED, "int" },
                { SCHEMA_POOL_EXHAUSTED_CAUSE, "?enum", schema_failures }) },
        { SCHEMA_ERROR, "QuotaExceeded", FIELDS(
                { SCHEMA_QUOTA_EXCEEDED_POOL, "string" },
                { SCHEMA_QUOTA_EXCEEDED_RESOURCE, "string" },
                { SCHEMA_QUOTA_EXCEEDED_LIMIT, "int" },
                { SCHEMA_QUOTA_EXCEEDED_USED, "int" },
                { SCHEMA_QUOTA_EXCEEDED_REQUESTED, "int" }) },
        { SCHEMA_ERROR, "TooManyLeases", FIELDS(
                { SCHEMA_TOO_MANY_LEASES_RESOURCE, "string" },
                { SCHEMA_TOO_MANY_LEASES_LIMIT, "int" },
                { SCHEMA_TOO_MANY_LEASES_USED, "int" }) },
        { SCHEMA_ERROR, "NoSuchDomain", FIELDS({ SCHEMA_NO_SUCH_DOMAIN_DOMAIN, "string" }) },
        { SCHEMA_ERROR, "LibvirtUnavailable", FIELDS({ SCHEMA_LIBVIRT_UNAVAILABLE_REASON, "string" }) },
        { SCHEMA_ERROR, "BadConfiguration", FIELDS({ SCHEMA_BAD_CONFIGURATION_MESSAGE, "string" }) },
        { SCHEMA_ERROR, "SystemError", FIELDS(
                { SCHEMA_SYSTEM_ERROR_ERRNO, "int" },
                { SCHEMA_SYSTEM_ERROR_ERRNO_NAME, "string" },
                { SCHEMA_SYSTEM_ERROR_MESSAGE, "string" }) },
        {}
};
