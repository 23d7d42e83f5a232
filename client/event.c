/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Events as Watch describes them: parsed from its replies, read through getters. */
#include "json-get.h"
#include "privmem-internal.h"

struct privmem_event {
        int kind;
        char *kind_name, *pool, *reason;
        uint64_t timestamp, size;
        privmem_lease *lease;
};

static const char *const event_kinds[] = {
        "watching", "leaseAcquired", "leaseInvalidating", "leaseReleased", "leaseLeaked",
        "poolExhausted", "poolRefilled", "poolFailing", "configReloaded", NULL
};

_public_ privmem_event *privmem_event_free(privmem_event *e) {
        if (!e)
                return NULL;
        free(e->kind_name);
        free(e->pool);
        free(e->reason);
        privmem_lease_free(e->lease);
        free(e);
        return NULL;
}

static int event_lease_from_json(json_object *o, privmem_event *e) {
        json_object *lease = NULL;
        if (!json_object_object_get_ex(o, "lease", &lease) || !lease)
                return 0;
        if (!json_object_is_type(lease, json_type_object))
                return -EPROTO;
        return lease_from_json(lease, &e->lease);
}

int event_from_json(json_object *o, privmem_event **ret) {
        _cleanup_(privmem_event_freep) privmem_event *e = calloc(1, sizeof(*e));
        int r;

        if (!e)
                return -ENOMEM;
        if ((r = json_get_enum(o, "kind", event_kinds, &e->kind)) < 0 ||
            (r = json_get_string(o, "kind", &e->kind_name)) < 0 ||
            (r = json_get_u64(o, "timestamp", &e->timestamp)) < 0 ||
            (r = event_lease_from_json(o, e)) < 0 ||
            (r = json_get_string_opt(o, "pool", &e->pool)) < 0 ||
            (r = json_get_u64_opt(o, "size", &e->size)) < 0 ||
            (r = json_get_string_opt(o, "reason", &e->reason)) < 0)
                return r;
        *ret = TAKE_PTR(e);
        return 0;
}

_public_ enum privmem_event_kind privmem_event_kind(const privmem_event *e) { return e ? e->kind : 0; }
_public_ const char *privmem_event_kind_name(const privmem_event *e) { return e ? e->kind_name : NULL; }
_public_ uint64_t privmem_event_timestamp(const privmem_event *e) { return e ? e->timestamp : 0; }
_public_ const privmem_lease *privmem_event_lease(const privmem_event *e) { return e ? e->lease : NULL; }
_public_ const char *privmem_event_pool(const privmem_event *e) { return e ? e->pool : NULL; }
_public_ uint64_t privmem_event_size(const privmem_event *e) { return e ? e->size : 0; }
_public_ const char *privmem_event_reason(const privmem_event *e) { return e ? e->reason : NULL; }
