/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a lease is, beyond its fds, written to the runtime directory so a restart finds it again. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>

#include "store/lease-file.h"
#include "util/log.h"
#include "util/macro.h"

static json_object *lease_to_record(const Lease *l) {
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        json_object_object_add(o, "id", json_object_new_string(l->id));
        json_object_object_add(o, "pool", json_object_new_string(l->pool->config->name));
        json_object_object_add(o, "size", json_object_new_int64((int64_t) l->size));
        json_object_object_add(o, "uid", json_object_new_int64(l->uid));
        json_object_object_add(o, "ownerKind", json_object_new_string(owner_kind_to_string(l->owner.kind)));
        json_object_object_add(o, "ownerPid", json_object_new_int64(l->owner.pid));
        json_object_object_add(o, "ownerCommand", json_object_new_string(l->owner.comm));
        json_object_object_add(o, "ownerStartTime", json_object_new_int64((int64_t) l->owner.start_time));
        if (l->owner.kind == OWNER_DOMAIN) {
                json_object_object_add(o, "ownerDomain", json_object_new_string(l->owner.domain_uuid));
                json_object_object_add(o, "ownerDomainName", json_object_new_string(strempty(l->owner.domain_name)));
        }
        if (l->tag)
                json_object_object_add(o, "tag", json_object_new_string(l->tag));
        json_object_object_add(o, "acquiredUsec", json_object_new_int64((int64_t) l->acquired_usec));
        json_object_object_add(o, "state", json_object_new_string(lease_state_to_string(l->state)));
        return o;
}

int lease_file_write(const char *dir, const Lease *l) {
        char path[PATH_MAX], tmp[PATH_MAX];
        json_object *o = lease_to_record(l);
        int r = 0;

        if (!o)
                return -ENOMEM;
        snprintf(path, sizeof(path), "%s/%s.json", dir, l->id);
        snprintf(tmp, sizeof(tmp), "%s/.%s.json.tmp", dir, l->id);
        const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
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

/* A domain owner's UUID and name; a lease without its UUID would be owned by nobody. */
static int record_parse_domain(json_object *o, LeaseRecord *r) {
        const char *uuid = record_string(o, "ownerDomain"), *name = record_string(o, "ownerDomainName");

        if (!r->pool)
                return -ENOMEM;
        if (!uuid || strlen(uuid) != OWNER_DOMAIN_UUID_LEN) {
                free(r->pool);
                free(r->tag);
                return -EBADMSG;
        }
        strcpy(r->owner_domain, uuid);
        r->owner_domain_name = strdup(strempty(name));
        return r->owner_domain_name ? 0 : -ENOMEM;
}

static int record_parse(json_object *o, LeaseRecord *r) {
        const char *id = record_string(o, "id"), *pool = record_string(o, "pool"), *kind = record_string(o, "ownerKind");
        const char *state = record_string(o, "state"), *comm = record_string(o, "ownerCommand"), *tag = record_string(o, "tag");
        int k = kind ? owner_kind_from_string(kind) : -EINVAL, st = state ? lease_state_from_string(state) : -EINVAL;

        if (!id || strlen(id) != MEMFD_ID_LEN || !pool || k < 0 || st < 0 || record_int(o, "size") <= 0 ||
            record_int(o, "uid") < 0)
                return -EBADMSG;
        *r = (LeaseRecord) {
                .size = (uint64_t) record_int(o, "size"), .uid = (uid_t) record_int(o, "uid"), .owner_kind = (OwnerKind) k,
                .owner_pid = (pid_t) record_int(o, "ownerPid"),
                .owner_start_time = (uint64_t) MAX(record_int(o, "ownerStartTime"), 0), .acquired_usec = (uint64_t) record_int(o, "acquiredUsec"),
                .state = (LeaseState) st, .pool = strdup(pool), .tag = tag ? strdup(tag) : NULL,
        };
        strcpy(r->id, id);
        snprintf(r->owner_comm, sizeof(r->owner_comm), "%s", strempty(comm));
        if (k == OWNER_DOMAIN)
                return record_parse_domain(o, r);
        return r->pool ? 0 : -ENOMEM;
}

static int record_read(const char *dir, const char *name, LeaseRecord *ret) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        json_object *o = json_object_from_file(path);
        int r = o ? record_parse(o, ret) : -EBADMSG;
        json_object_put(o);
        if (r < 0) {
                log_warning("Lease file %s is unreadable or incomplete; removed.", path);
                (void) unlink(path);
        }
        return r;
}

static int json_filter(const struct dirent *de) {
        size_t n = strlen(de->d_name);
        return de->d_name[0] != '.' && n > 5 && streq(de->d_name + n - 5, ".json");
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
        for (size_t i = 0; i < n; i++) {
                free(r[i].pool);
                free(r[i].owner_domain_name);
                free(r[i].tag);
        }
        free(r);
}
