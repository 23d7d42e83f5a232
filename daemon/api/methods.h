/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The io.privmemd varlink interface: its methods, bound to the manager. */
#pragma once

#include "manager/manager.h"
#include "varlink/varlink-server.h"

/* Serves io.privmemd on the manager's server, and Watch with the manager's changes. */
int api_attach(Manager *m);

int method_acquire(VarlinkCall *c, json_object *params, void *userdata);
int method_set_targets(VarlinkCall *c, json_object *params, void *userdata);
int method_drain(VarlinkCall *c, json_object *params, void *userdata);
int method_reload(VarlinkCall *c, json_object *params, void *userdata);
