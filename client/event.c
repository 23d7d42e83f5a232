/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Events as Watch describes them: parsed from its replies, read through getters. */
#include "json-get.h"
#include "privmem-internal.h"
#include "schema/io-privmemd.h"

struct privmem_event {
        int kind, cause;
        char *kind_name, *pool, *reason, *cause_name;
        uint64_t timestamp, size;
        privmem_lease *lease;
        json_object *reply;     /* the Watch reply's parameters, as they came */
};

/* The wire's enum values (by their index in schema/) as this library's. */
static const int event_kinds[_SCHEMA_EVENT_KIND_MAX] = {
        [SCHEMA_EVENT_KIND_WATCHING] = PRIVMEM_EVENT_WATCHING,
        [SCHEMA_EVENT_KIND_LEASE_ACQUIRED] = PRIVMEM_EVENT_LEASE_ACQUIRED,
        [SCHEMA_EVENT_KIND_LEASE_INVALIDATING] = PRIVMEM_EVENT_LEASE_INVALIDATING,
        [SCHEMA_EVENT_KIND_LEASE_RELEASED] = PRIVMEM_EVENT_LEASE_RELEASED,
        [SCHEMA_EVENT_KIND_LEASE_LEAKED] = PRIVMEM_EVENT_LEASE_LEAKED,
        [SCHEMA_EVENT_KIND_POOL_EXHAUSTED] = PRIVMEM_EVENT_POOL_EXHAUSTED,
        [SCHEMA_EVENT_KIND_POOL_REFILLED] = PRIVMEM_EVENT_POOL_REFILLED,
        [SCHEMA_EVENT_KIND_POOL_FAILING] = PRIVMEM_EVENT_POOL_FAILING,
        [SCHEMA_EVENT_KIND_CONFIG_RELOADED] = PRIVMEM_EVENT_CONFIG_RELOADED,
};

_public_ privmem_event *privmem_event_free(privmem_event *e) {
        if (!e)
                return NULL;
        free(e->kind_name);
        free(e->pool);
        free(e->reason);
        free(e->cause_name);
        privmem_lease_free(e->lease);
        json_object_put(e->reply);
        free(e);
        return NULL;
}

static int event_lease_from_json(json_object *o, privmem_event *e) {
        json_object *lease = NULL;
        if (!json_object_object_get_ex(o, SCHEMA_EVENT_LEASE, &lease) || !lease)
                return 0;
        if (!json_object_is_type(lease, json_type_object))
                return -EPROTO;
        return lease_from_json(lease, &e->lease);
}

int event_from_json(json_object *reply, privmem_event **ret) {
        _cleanup_(privmem_event_freep) privmem_event *e = calloc(1, sizeof(*e));
        json_object *o;
        int r;

        if (!e)
                return -ENOMEM;
        if ((r = json_get_object(reply, SCHEMA_WATCH_EVENT, &o)) < 0 ||
            (r = json_get_enum(o, SCHEMA_EVENT_KIND, schema_event_kinds, event_kinds, &e->kind, &e->kind_name)) < 0 ||
            (r = json_get_u64(o, SCHEMA_EVENT_TIMESTAMP, &e->timestamp)) < 0 ||
            (r = event_lease_from_json(o, e)) < 0 ||
            (r = json_get_string_opt(o, SCHEMA_EVENT_POOL, &e->pool)) < 0 ||
            (r = json_get_u64_opt(o, SCHEMA_EVENT_SIZE, &e->size)) < 0 ||
            (r = json_get_string_opt(o, SCHEMA_EVENT_REASON, &e->reason)) < 0 ||
            (r = json_get_enum_opt(o, SCHEMA_EVENT_CAUSE, schema_failures, privmem_failures, &e->cause,
                                   &e->cause_name)) < 0)
                return r;
        e->reply = json_object_get(reply);
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
_public_ enum privmem_failure privmem_event_cause(const privmem_event *e) { return e ? e->cause : 0; }
_public_ const char *privmem_event_cause_name(const privmem_event *e) { return e ? e->cause_name : NULL; }
_public_ const char *privmem_event_json(const privmem_event *e, unsigned flags) {
        return e ? privmem_json_text(e->reply, flags) : NULL;
}
