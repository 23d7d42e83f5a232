/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.varlink.service: what every varlink server answers about itself. */
#include "util/macro.h"
#include "varlink/json-oom.h"
#include "varlink/varlink-dispatch.h"
#include "varlink/varlink-internal.h"

extern const char org_varlink_service_varlink[];

/* Replies reply, built since json_oom_reset(); -ENOMEM (answered by the server) when json-c failed. */
static int reply_checked(VarlinkCall *c, json_object *reply) {
        if (json_oom_happened()) {
                json_object_put(reply);
                return -ENOMEM;
        }
        return varlink_call_reply(c, reply);
}

static int method_get_info(VarlinkCall *c, json_object *params, void *userdata) {
        VarlinkServer *s = userdata;
        int r = varlink_dispatch(c, params, NULL, NULL);
        if (r < 0)
                return r;

        json_oom_reset();
        json_object *reply = json_object_new_object(), *ifaces = json_object_new_array();
        if (!reply || !ifaces) {
                json_object_put(reply);
                json_object_put(ifaces);
                return -ENOMEM;
        }
        (void) json_add(reply, "vendor", json_object_new_string(strempty(s->info.vendor)));
        (void) json_add(reply, "product", json_object_new_string(strempty(s->info.product)));
        (void) json_add(reply, "version", json_object_new_string(strempty(s->info.version)));
        (void) json_add(reply, "url", json_object_new_string(strempty(s->info.url)));
        for (size_t i = 0; i < s->n_interfaces; i++)
                json_object_array_add(ifaces, json_object_new_string(s->interfaces[i].iface->name));
        (void) json_add(reply, "interfaces", ifaces);
        return reply_checked(c, reply);
}

static int method_get_interface_description(VarlinkCall *c, json_object *params, void *userdata) {
        static const VarlinkField table[] = {
                { "interface", VARLINK_FIELD_STRING, 0, VARLINK_FIELD_MANDATORY },
                {}
        };
        VarlinkServer *s = userdata;
        const char *name = NULL;
        int r = varlink_dispatch(c, params, table, &name);
        if (r < 0)
                return r;

        const VarlinkServerInterface *si = varlink_server_find_interface(s, name);
        json_oom_reset();
        json_object *reply = json_object_new_object();
        if (!reply)
                return -ENOMEM;
        if (si) {
                (void) json_add(reply, "description", json_object_new_string(si->iface->description));
                return reply_checked(c, reply);
        }
        (void) json_add(reply, "interface", json_object_new_string(name));
        if (json_oom_happened()) {
                json_object_put(reply);
                return -ENOMEM;
        }
        return varlink_call_error(c, "org.varlink.service.InterfaceNotFound", reply);
}

static const VarlinkMethod service_methods[] = {
        { "GetInfo", method_get_info, 0 },
        { "GetInterfaceDescription", method_get_interface_description, 0 },
        {}
};

const VarlinkInterface varlink_service_interface = {
        .name = "org.varlink.service",
        .description = org_varlink_service_varlink,
        .methods = service_methods,
};
