/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Leases as the daemon describes them: parsed from replies, read through getters. */
#include "json-get.h"
#include "privmem-internal.h"
#include "schema/io-privmemd.h"

struct privmem_lease {
        char *id, *pool, *state_name, *tag;
        char *owner_kind_name, *owner_command, *owner_domain, *owner_domain_name;
        uint64_t size, leaked_bytes, uid, owner_pid, huge_bytes;
        bool has_huge_bytes;
        int state, owner_kind;
        double age;
};

struct privmem_lease_list {
        privmem_lease **leases;
        size_t n;
};

/* The wire's enum values (by their index in schema/) as this library's. */
static const int lease_states[_SCHEMA_LEASE_STATE_MAX] = {
        [SCHEMA_LEASE_STATE_ACTIVE] = PRIVMEM_LEASE_ACTIVE,
        [SCHEMA_LEASE_STATE_INVALIDATING] = PRIVMEM_LEASE_INVALIDATING,
        [SCHEMA_LEASE_STATE_LEAKED] = PRIVMEM_LEASE_LEAKED,
};
static const int owner_kinds[_SCHEMA_OWNER_KIND_MAX] = {
        [SCHEMA_OWNER_KIND_PROCESS] = PRIVMEM_OWNER_PROCESS,
        [SCHEMA_OWNER_KIND_CONNECTION] = PRIVMEM_OWNER_CONNECTION,
        [SCHEMA_OWNER_KIND_UNKNOWN] = PRIVMEM_OWNER_UNKNOWN,
        [SCHEMA_OWNER_KIND_DOMAIN] = PRIVMEM_OWNER_DOMAIN,
};

_public_ privmem_lease *privmem_lease_free(privmem_lease *l) {
        if (!l)
                return NULL;
        free(l->id);
        free(l->pool);
        free(l->state_name);
        free(l->owner_kind_name);
        free(l->owner_command);
        free(l->owner_domain);
        free(l->owner_domain_name);
        free(l->tag);
        free(l);
        return NULL;
}

static int owner_from_json(json_object *o, privmem_lease *l) {
        json_object *owner;
        int r;

        if ((r = json_get_object(o, SCHEMA_LEASE_OWNER, &owner)) < 0 ||
            (r = json_get_enum(owner, SCHEMA_OWNER_KIND, schema_owner_kinds, owner_kinds, &l->owner_kind,
                               &l->owner_kind_name)) < 0 ||
            (r = json_get_u64_opt(owner, SCHEMA_OWNER_PID, &l->owner_pid)) < 0 ||
            (r = json_get_string_opt(owner, SCHEMA_OWNER_COMMAND, &l->owner_command)) < 0 ||
            (r = json_get_string_opt(owner, SCHEMA_OWNER_DOMAIN, &l->owner_domain)) < 0 ||
            (r = json_get_string_opt(owner, SCHEMA_OWNER_DOMAIN_NAME, &l->owner_domain_name)) < 0)
                return r;
        return l->owner_pid > INT32_MAX ? -EPROTO : 0;
}

int lease_from_json(json_object *o, privmem_lease **ret) {
        _cleanup_(privmem_lease_freep) privmem_lease *l = calloc(1, sizeof(*l));
        int r;

        if (!l)
                return -ENOMEM;
        if ((r = json_get_string(o, SCHEMA_LEASE_ID, &l->id)) < 0 ||
            (r = json_get_string(o, SCHEMA_LEASE_POOL, &l->pool)) < 0 ||
            (r = json_get_u64(o, SCHEMA_LEASE_SIZE, &l->size)) < 0 ||
            (r = json_get_enum(o, SCHEMA_LEASE_STATE, schema_lease_states, lease_states, &l->state,
                               &l->state_name)) < 0 ||
            (r = owner_from_json(o, l)) < 0 ||
            (r = json_get_u64(o, SCHEMA_LEASE_UID, &l->uid)) < 0 ||
            (r = json_get_u64_opt(o, SCHEMA_LEASE_LEAKED_BYTES, &l->leaked_bytes)) < 0 ||
            (r = json_get_double(o, SCHEMA_LEASE_AGE, &l->age)) < 0 ||
            (r = json_get_string_opt(o, SCHEMA_LEASE_TAG, &l->tag)) < 0)
                return r;
        r = json_get_u64_opt(o, SCHEMA_LEASE_HUGE_BYTES, &l->huge_bytes);
        if (r < 0)
                return r;
        l->has_huge_bytes = r > 0;
        if (l->uid >= UINT32_MAX)
                return -EPROTO;
        *ret = TAKE_PTR(l);
        return 0;
}

_public_ privmem_lease_list *privmem_lease_list_free(privmem_lease_list *list) {
        if (!list)
                return NULL;
        for (size_t i = 0; i < list->n; i++)
                privmem_lease_free(list->leases[i]);
        free(list->leases);
        free(list);
        return NULL;
}

int lease_list_from_json(json_object *array, privmem_lease_list **ret) {
        _cleanup_(privmem_lease_list_freep) privmem_lease_list *list = calloc(1, sizeof(*list));
        size_t n = json_object_array_length(array);

        if (!list || !(list->leases = calloc(n ?: 1, sizeof(privmem_lease *))))
                return -ENOMEM;
        for (; list->n < n; list->n++) {
                int r = lease_from_json(json_object_array_get_idx(array, list->n), &list->leases[list->n]);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(list);
        return 0;
}

_public_ size_t privmem_lease_list_count(const privmem_lease_list *list) {
        return list ? list->n : 0;
}

_public_ const privmem_lease *privmem_lease_list_get(const privmem_lease_list *list, size_t i) {
        return list && i < list->n ? list->leases[i] : NULL;
}

_public_ const char *privmem_lease_id(const privmem_lease *l) { return l ? l->id : NULL; }
_public_ const char *privmem_lease_pool(const privmem_lease *l) { return l ? l->pool : NULL; }
_public_ uint64_t privmem_lease_size(const privmem_lease *l) { return l ? l->size : 0; }
_public_ enum privmem_lease_state privmem_lease_state(const privmem_lease *l) { return l ? l->state : 0; }
_public_ const char *privmem_lease_state_name(const privmem_lease *l) { return l ? l->state_name : NULL; }
_public_ enum privmem_owner_kind privmem_lease_owner_kind(const privmem_lease *l) { return l ? l->owner_kind : 0; }
_public_ pid_t privmem_lease_owner_pid(const privmem_lease *l) { return l ? (pid_t) l->owner_pid : 0; }
_public_ const char *privmem_lease_owner_command(const privmem_lease *l) { return l ? l->owner_command : NULL; }
_public_ uid_t privmem_lease_uid(const privmem_lease *l) { return l ? (uid_t) l->uid : (uid_t) -1; }
_public_ uint64_t privmem_lease_leaked_bytes(const privmem_lease *l) { return l ? l->leaked_bytes : 0; }
_public_ int64_t privmem_lease_huge_bytes(const privmem_lease *l) {
        return l && l->has_huge_bytes ? (int64_t) l->huge_bytes : -1;
}
_public_ double privmem_lease_age(const privmem_lease *l) { return l ? l->age : 0; }
_public_ const char *privmem_lease_tag(const privmem_lease *l) { return l ? l->tag : NULL; }
_public_ const char *privmem_lease_owner_kind_name(const privmem_lease *l) { return l ? l->owner_kind_name : NULL; }
_public_ const char *privmem_lease_owner_domain(const privmem_lease *l) { return l ? l->owner_domain : NULL; }
_public_ const char *privmem_lease_owner_domain_name(const privmem_lease *l) {
        return l ? l->owner_domain_name : NULL;
}
