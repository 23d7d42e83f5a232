/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The io.privmemd varlink interface: its methods, bound to the manager. */
#include "macro.h"
#include "manager.h"
#include "methods.h"
#include "varlink-dispatch.h"

extern const char io_privmemd_varlink[];

static int method_get_status(VarlinkCall *c, json_object *params, void *userdata) {
        Manager *m = userdata;
        uint64_t now;
        int r = varlink_dispatch(c, params, NULL, NULL);
        if (r < 0)
                return r;

        sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        json_object *status = json_object_new_object(), *reply = json_object_new_object();
        if (!status || !reply) {
                json_object_put(status);
                json_object_put(reply);
                return -ENOMEM;
        }
        json_object_object_add(status, "version", json_object_new_string(PACKAGE_VERSION));
        json_object_object_add(status, "uptime", json_object_new_double((double) (now - m->start_usec) / 1e6));
        json_object_object_add(status, "connections", json_object_new_int(varlink_server_n_connections(m->server)));
        json_object_object_add(reply, "status", status);
        return varlink_call_reply(c, reply);
}

static const VarlinkMethod methods[] = {
        { "GetStatus", method_get_status, 0 },
        {}
};

const VarlinkInterface io_privmemd_interface = {
        .name = "io.privmemd",
        .description = io_privmemd_varlink,
        .methods = methods,
};
