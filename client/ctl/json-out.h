/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libprivmem's objects back as JSON, with privmemd's field names (io.privmemd.varlink): what
 * --json prints and scripts read. NULL when out of memory. */
#pragma once

#include <json-c/json.h>

#include "privmem/privmem.h"

json_object *json_lease(const privmem_lease *l);
json_object *json_lease_list(const privmem_lease_list *list);
json_object *json_pool(const privmem_pool *pool);
json_object *json_pool_list(const privmem_pool_list *list);
json_object *json_status(const privmem_status *s);
json_object *json_event(const privmem_event *e);
json_object *json_metrics(const privmem_metrics *m);

/* {"key": value}: the shape of a varlink reply. Takes value. */
json_object *json_wrap(const char *key, json_object *value);

/* Names of the enums, as privmemd spells them. */
const char *owner_kind_name(enum privmem_owner_kind k);
const char *pool_state_name(enum privmem_pool_state s);
const char *backing_name(enum privmem_backing b);
