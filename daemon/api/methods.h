/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The io.privmemd varlink interface: its methods, bound to the manager. */
#pragma once

#include "varlink/varlink-server.h"

extern const VarlinkInterface io_privmemd_interface;

int method_acquire(VarlinkCall *c, json_object *params, void *userdata);
int method_set_targets(VarlinkCall *c, json_object *params, void *userdata);
int method_drain(VarlinkCall *c, json_object *params, void *userdata);
int method_reload(VarlinkCall *c, json_object *params, void *userdata);
