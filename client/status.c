/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's status as GetStatus describes it. */
#include "json-get.h"
#include "privmem-internal.h"
#include "schema/io-privmemd.h"

struct privmem_status {
        char *version;
        double uptime;
        uint64_t connections, pools, leases;
        int libvirt_state;
        char *libvirt_state_name, *libvirt_uri, *libvirt_last_error;
        double libvirt_since;
        uint64_t workers, stuck_workers;
        double stuck_since;
};

/* Indexed by SchemaLibvirtState. */
static const int libvirt_states[_SCHEMA_LIBVIRT_STATE_MAX] = {
        PRIVMEM_LIBVIRT_DISABLED, PRIVMEM_LIBVIRT_CONNECTING, PRIVMEM_LIBVIRT_CONNECTED, PRIVMEM_LIBVIRT_UNAVAILABLE,
};

_public_ privmem_status *privmem_status_free(privmem_status *s) {
        if (!s)
                return NULL;
        free(s->version);
        free(s->libvirt_state_name);
        free(s->libvirt_uri);
        free(s->libvirt_last_error);
        free(s);
        return NULL;
}

/* Optional: a privmemd older than 0.3 does not send it. */
static int libvirt_from_json(json_object *o, privmem_status *s) {
        json_object *l = json_object_object_get(o, SCHEMA_STATUS_LIBVIRT);
        int r;

        if (!l || json_object_is_type(l, json_type_null))
                return 0;
        if ((r = json_get_enum(l, SCHEMA_LIBVIRT_LINK_STATE, schema_libvirt_states, libvirt_states, &s->libvirt_state,
                               &s->libvirt_state_name)) < 0 ||
            (r = json_get_string_opt(l, SCHEMA_LIBVIRT_LINK_URI, &s->libvirt_uri)) < 0 ||
            (r = json_get_double(l, SCHEMA_LIBVIRT_LINK_SINCE, &s->libvirt_since)) < 0 ||
            (r = json_get_string_opt(l, SCHEMA_LIBVIRT_LINK_LAST_ERROR, &s->libvirt_last_error)) < 0)
                return r;
        return 0;
}

int status_from_json(json_object *o, privmem_status **ret) {
        _cleanup_(privmem_status_freep) privmem_status *s = calloc(1, sizeof(*s));
        int r;

        if (!s)
                return -ENOMEM;
        s->stuck_since = -1;
        if ((r = json_get_string(o, SCHEMA_STATUS_VERSION, &s->version)) < 0 ||
            (r = json_get_double(o, SCHEMA_STATUS_UPTIME, &s->uptime)) < 0 ||
            (r = json_get_u64(o, SCHEMA_STATUS_CONNECTIONS, &s->connections)) < 0 ||
            (r = json_get_u64(o, SCHEMA_STATUS_POOLS, &s->pools)) < 0 ||
            (r = json_get_u64(o, SCHEMA_STATUS_LEASES, &s->leases)) < 0 ||
            (r = libvirt_from_json(o, s)) < 0 ||
            /* optional here: an older privmemd does not send them */
            (r = json_get_u64_opt(o, SCHEMA_STATUS_WORKERS, &s->workers)) < 0 ||
            (r = json_get_u64_opt(o, SCHEMA_STATUS_STUCK_WORKERS, &s->stuck_workers)) < 0 ||
            (r = json_get_double_opt(o, SCHEMA_STATUS_STUCK_SINCE, &s->stuck_since)) < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

_public_ const char *privmem_status_version(const privmem_status *s) { return s ? s->version : NULL; }
_public_ double privmem_status_uptime(const privmem_status *s) { return s ? s->uptime : 0; }
_public_ uint64_t privmem_status_connections(const privmem_status *s) { return s ? s->connections : 0; }
_public_ uint64_t privmem_status_pools(const privmem_status *s) { return s ? s->pools : 0; }
_public_ uint64_t privmem_status_leases(const privmem_status *s) { return s ? s->leases : 0; }
_public_ enum privmem_libvirt_state privmem_status_libvirt_state(const privmem_status *s) {
        return s ? (enum privmem_libvirt_state) s->libvirt_state : PRIVMEM_LIBVIRT_UNKNOWN;
}
_public_ const char *privmem_status_libvirt_state_name(const privmem_status *s) { return s ? s->libvirt_state_name : NULL; }
_public_ const char *privmem_status_libvirt_uri(const privmem_status *s) { return s ? s->libvirt_uri : NULL; }
_public_ double privmem_status_libvirt_since(const privmem_status *s) { return s ? s->libvirt_since : 0; }
_public_ const char *privmem_status_libvirt_last_error(const privmem_status *s) { return s ? s->libvirt_last_error : NULL; }
_public_ uint64_t privmem_status_workers(const privmem_status *s) { return s ? s->workers : 0; }
_public_ uint64_t privmem_status_stuck_workers(const privmem_status *s) { return s ? s->stuck_workers : 0; }
_public_ double privmem_status_stuck_since(const privmem_status *s) { return s ? s->stuck_since : -1; }
