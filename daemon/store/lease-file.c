/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a lease is, beyond its fds, written to the runtime directory so a restart finds it again. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>

#include "schema/io-privmemd.h"
#include "store/lease-file.h"
#include "util/file-name.h"
#include "util/log.h"
#include "util/macro.h"
#include "varlink/json-oom.h"

/* A lease file says what a Lease says with the wire's names (schema/), plus what only a restart
 * needs: the owner's start time, and the acquire's time on CLOCK_MONOTONIC. hugeBytes is there
 * since it was measured when the memfd was populated, in the privmemd that lent it: files
 * written before have none, and their leases' hugeBytes stays unknown. */
#define RECORD_OWNER_START_TIME "startTime"
/* The format of the file (docs/privmemd.8, FILES): a privmemd adds keys without raising it (an
 * older one ignores keys it does not know), and raises it only when a key an older one reads
 * changes its meaning or takes a value the older one does not know (a new owner kind or state).
 * Absent: written before the key was recorded, format 1. */
#define RECORD_FORMAT "format"
#define LEASE_FILE_FORMAT 1
#define RECORD_ACQUIRED_USEC "acquiredUsec"
/* A domain owner: which run of the domain the lease is for (libvirt/libvirt-domain.c) */
#define RECORD_DOMAIN_ID "domainId"
#define RECORD_DOMAIN_QEMU_PID "domainQemuPid"
#define RECORD_DOMAIN_QEMU_START_TIME "domainQemuStartTime"

/* The owner's keys: in the object "owner" since the schema was shared, flat before. */
typedef struct OwnerKeys {
        const char *kind, *pid, *command, *start_time, *domain, *domain_name;
} OwnerKeys;

static const OwnerKeys owner_keys = {
        SCHEMA_OWNER_KIND, SCHEMA_OWNER_PID, SCHEMA_OWNER_COMMAND, RECORD_OWNER_START_TIME,
        SCHEMA_OWNER_DOMAIN, SCHEMA_OWNER_DOMAIN_NAME,
};
static const OwnerKeys owner_keys_flat = {
        "ownerKind", "ownerPid", "ownerCommand", "ownerStartTime", "ownerDomain", "ownerDomainName",
};

static json_object *owner_to_record(const Owner *owner) {
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        json_object_object_add(o, owner_keys.kind, json_object_new_string(owner_kind_to_string(owner->kind)));
        json_object_object_add(o, owner_keys.pid, json_object_new_int64(owner->pid));
        json_object_object_add(o, owner_keys.command, json_object_new_string(owner->comm));
        json_object_object_add(o, owner_keys.start_time, json_object_new_int64((int64_t) owner->start_time));
        if (owner->kind == OWNER_DOMAIN) {
                json_object_object_add(o, owner_keys.domain, json_object_new_string(owner->domain_uuid));
                json_object_object_add(o, owner_keys.domain_name, json_object_new_string(strempty(owner->domain_name)));
                json_object_object_add(o, RECORD_DOMAIN_ID, json_object_new_int(owner->domain_id));
                json_object_object_add(o, RECORD_DOMAIN_QEMU_PID, json_object_new_int64(owner->domain_qemu_pid));
                json_object_object_add(o, RECORD_DOMAIN_QEMU_START_TIME,
                                       json_object_new_int64((int64_t) owner->domain_qemu_start_time));
        }
        return o;
}

static json_object *lease_to_record(const Lease *l) {
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        json_object_object_add(o, RECORD_FORMAT, json_object_new_int(LEASE_FILE_FORMAT));
        json_object_object_add(o, SCHEMA_LEASE_ID, json_object_new_string(l->id));
        json_object_object_add(o, SCHEMA_LEASE_POOL, json_object_new_string(l->pool->config->name));
        json_object_object_add(o, SCHEMA_LEASE_SIZE, json_object_new_int64((int64_t) l->size));
        json_object_object_add(o, SCHEMA_LEASE_STATE, json_object_new_string(lease_state_to_string(l->state)));
        json_object_object_add(o, SCHEMA_LEASE_OWNER, owner_to_record(&l->owner));
        json_object_object_add(o, SCHEMA_LEASE_UID, json_object_new_int64(l->uid));
        if (l->tag)
                json_object_object_add(o, SCHEMA_LEASE_TAG, json_object_new_string(l->tag));
        if (l->huge >= 0)
                json_object_object_add(o, SCHEMA_LEASE_HUGE_BYTES, json_object_new_int64(l->huge));
        json_object_object_add(o, RECORD_ACQUIRED_USEC, json_object_new_int64((int64_t) l->acquired_usec));
        return o;
}

int lease_file_write(const char *dir, const Lease *l) {
        char path[PATH_MAX], tmp[PATH_MAX];
        int r = 0;

        /* Out of memory, json-c would leave values out, and write a file a restart cannot read. */
        json_oom_reset();
        json_object *o = lease_to_record(l);
        const char *text = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : NULL;
        if (!text || json_oom_happened()) {
                json_object_put(o);
                return -ENOMEM;
        }
        snprintf(path, sizeof(path), "%s/%s.json", dir, l->id);
        snprintf(tmp, sizeof(tmp), "%s/.%s.json.tmp", dir, l->id);
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t) strlen(text) || rename(tmp, path) < 0) {
                r = -errno;
                (void) unlink(tmp);
        }
        json_object_put(o);
        return r;
}

int lease_file_remove(const char *dir, const char *id) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s.json", dir, id);
        return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

static const char *record_string(json_object *o, const char *key) {
        json_object *v = json_object_object_get(o, key);
        return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static int64_t record_int(json_object *o, const char *key) {
        json_object *v = json_object_object_get(o, key);
        return json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
}

static void lease_record_done(LeaseRecord *r) {
        free(r->pool);
        free(r->owner_domain_name);
        free(r->tag);
        r->pool = r->owner_domain_name = r->tag = NULL;
}

/* A domain owner's UUID and name; a lease without its UUID would be owned by nobody. */
static int record_parse_domain(json_object *o, const OwnerKeys *keys, LeaseRecord *r) {
        const char *uuid = record_string(o, keys->domain), *name = record_string(o, keys->domain_name);

        if (!uuid || strlen(uuid) != OWNER_DOMAIN_UUID_LEN)
                return -EBADMSG;
        strcpy(r->owner_domain, uuid);
        r->owner_domain_id = (int) MAX(record_int(o, RECORD_DOMAIN_ID), 0);  /* absent before: 0, not known */
        r->owner_domain_qemu_pid = (pid_t) MAX(record_int(o, RECORD_DOMAIN_QEMU_PID), 0);
        r->owner_domain_qemu_start_time = (uint64_t) MAX(record_int(o, RECORD_DOMAIN_QEMU_START_TIME), 0);
        r->owner_domain_name = strdup(strempty(name));
        return r->owner_domain_name ? 0 : -ENOMEM;
}

/* The owner, from the object "owner", or from the flat keys of a file an older privmemd wrote. */
static int record_parse_owner(json_object *record, LeaseRecord *r) {
        json_object *o = json_object_object_get(record, SCHEMA_LEASE_OWNER);
        const OwnerKeys *keys = json_object_is_type(o, json_type_object) ? &owner_keys : &owner_keys_flat;
        if (keys == &owner_keys_flat)
                o = record;

        int k = owner_kind_from_string(record_string(o, keys->kind));
        if (k < 0)
                return -EBADMSG;
        r->owner_kind = (OwnerKind) k;
        r->owner_pid = (pid_t) MAX(record_int(o, keys->pid), 0);
        r->owner_start_time = (uint64_t) MAX(record_int(o, keys->start_time), 0);
        snprintf(r->owner_comm, sizeof(r->owner_comm), "%s", strempty(record_string(o, keys->command)));
        return k == OWNER_DOMAIN ? record_parse_domain(o, keys, r) : 0;
}

/* A file of a format above LEASE_FILE_FORMAT is not read: -EPROTONOSUPPORT, and *ret_format
 * says which. Every other key the reader does not know is ignored. */
static int record_parse(json_object *o, LeaseRecord *r, int64_t *ret_format) {
        json_object *format = json_object_object_get(o, RECORD_FORMAT);
        *ret_format = format ? record_int(o, RECORD_FORMAT) : 1;
        if (*ret_format > LEASE_FILE_FORMAT)
                return -EPROTONOSUPPORT;
        if (*ret_format < 1)
                return -EBADMSG;

        const char *id = record_string(o, SCHEMA_LEASE_ID), *pool = record_string(o, SCHEMA_LEASE_POOL);
        const char *tag = record_string(o, SCHEMA_LEASE_TAG);
        int st = lease_state_from_string(record_string(o, SCHEMA_LEASE_STATE));

        if (!id || strlen(id) != MEMFD_ID_LEN || !pool || st < 0 || record_int(o, SCHEMA_LEASE_SIZE) <= 0 ||
            record_int(o, SCHEMA_LEASE_UID) < 0)
                return -EBADMSG;
        *r = (LeaseRecord) {
                .size = (uint64_t) record_int(o, SCHEMA_LEASE_SIZE), .uid = (uid_t) record_int(o, SCHEMA_LEASE_UID),
                .acquired_usec = (uint64_t) record_int(o, RECORD_ACQUIRED_USEC), .state = (LeaseState) st,
                .huge = record_int(o, SCHEMA_LEASE_HUGE_BYTES),  /* -1 when absent */
        };
        strcpy(r->id, id);
        int ret = record_parse_owner(o, r);
        if (ret >= 0 && (!(r->pool = strdup(pool)) || (tag && !(r->tag = strdup(tag)))))
                ret = -ENOMEM;
        if (ret < 0)
                lease_record_done(r);
        return ret;
}

/* A newer privmemd's file: its id alone (the file's name), so that recovery knows its memfd is lent. */
static int record_foreign(const char *name, LeaseRecord *ret) {
        size_t n = strlen(name) - strlen(".json");
        if (n != MEMFD_ID_LEN)
                return -EBADMSG;
        *ret = (LeaseRecord) { .owner_kind = OWNER_UNKNOWN, .huge = -1, .foreign = true };
        memcpy(ret->id, name, n);
        ret->id[n] = 0;
        return 0;
}

static int record_read(const char *dir, const char *name, LeaseRecord *ret) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        json_object *o = json_object_from_file(path);
        int64_t format = 0;
        int r = json_object_is_type(o, json_type_object) ? record_parse(o, ret, &format) : -EBADMSG;
        json_object_put(o);
        if (r == -EPROTONOSUPPORT) {  /* a newer privmemd's: not corrupt, not removed */
                log_warning("Lease file %s was written by a newer privmemd (format %" PRIi64 "; this one reads up to %d): "
                            "not read. Its memfd, if handed back, becomes a lease of unknown owner that only a Release "
                            "ends.", path, format, LEASE_FILE_FORMAT);
                return record_foreign(name, ret);
        }
        if (r < 0) {
                log_warning("Lease file %s is unreadable or incomplete; removed.", path);
                (void) unlink(path);
        }
        return r;
}

static int json_filter(const struct dirent *de) {
        return file_name_visible_with_suffix(de->d_name, ".json");
}

int lease_file_read_all(const char *dir, LeaseRecord **ret, size_t *ret_n) {
        struct dirent **names = NULL;
        LeaseRecord *records = NULL;
        size_t n = 0;
        int count = scandir(dir, &names, json_filter, alphasort);

        if (count < 0) {
                *ret = NULL;
                *ret_n = 0;
                return errno == ENOENT ? 0 : -errno;
        }
        records = calloc((size_t) count + 1, sizeof(LeaseRecord));
        for (int i = 0; i < count; i++) {
                if (records && record_read(dir, names[i]->d_name, &records[n]) >= 0)
                        n++;
                free(names[i]);
        }
        free(names);
        if (!records)
                return -ENOMEM;
        *ret = records;
        *ret_n = n;
        return 0;
}

void lease_records_free(LeaseRecord *r, size_t n) {
        for (size_t i = 0; i < n; i++)
                lease_record_done(&r[i]);
        free(r);
}
