/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Compares JSON values the way varlink means them: a missing field is null, a float may be written as an int. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

/* Whether `got` is the value `want` describes. Asymmetric on numbers only: where an int is wanted an
 * int must come; where a float is wanted an int of the same value is fine (Go writes 1.0 as 1). */
bool cert_json_equal(json_object *want, json_object *got);

/* Parses JSON text known to be valid (our own constants); aborts if it is not. */
json_object *cert_json_parse(const char *text);

/* A deep copy of parameters without "client_id": what the caller sent besides its id. */
json_object *cert_json_without_client_id(json_object *parameters);

/* JSON text for messages; valid until the object changes. */
const char *cert_json_text(json_object *o);
