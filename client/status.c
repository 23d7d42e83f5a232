/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's status as GetStatus describes it. */
#include "json-get.h"
#include "privmem-internal.h"
#include "schema/io-privmemd.h"

struct privmem_status {
        char *version;
        double uptime;
        uint64_t connections, pools, leases;
};

_public_ privmem_status *privmem_status_free(privmem_status *s) {
        if (!s)
                return NULL;
        free(s->version);
        free(s);
        return NULL;
}

int status_from_json(json_object *o, privmem_status **ret) {
        _cleanup_(privmem_status_freep) privmem_status *s = calloc(1, sizeof(*s));
        int r;

        if (!s)
                return -ENOMEM;
        if ((r = json_get_string(o, SCHEMA_STATUS_VERSION, &s->version)) < 0 ||
            (r = json_get_double(o, SCHEMA_STATUS_UPTIME, &s->uptime)) < 0 ||
            (r = json_get_u64(o, SCHEMA_STATUS_CONNECTIONS, &s->connections)) < 0 ||
            (r = json_get_u64(o, SCHEMA_STATUS_POOLS, &s->pools)) < 0 ||
            (r = json_get_u64(o, SCHEMA_STATUS_LEASES, &s->leases)) < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

_public_ const char *privmem_status_version(const privmem_status *s) { return s ? s->version : NULL; }
_public_ double privmem_status_uptime(const privmem_status *s) { return s ? s->uptime : 0; }
_public_ uint64_t privmem_status_connections(const privmem_status *s) { return s ? s->connections : 0; }
_public_ uint64_t privmem_status_pools(const privmem_status *s) { return s ? s->pools : 0; }
_public_ uint64_t privmem_status_leases(const privmem_status *s) { return s ? s->leases : 0; }
