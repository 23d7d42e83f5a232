/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Typed reads of reply fields: -EPROTO when a field is missing or of the wrong type. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

/* Mandatory fields. Strings are copied into *ret (freed by the caller). */
int json_get_string(json_object *o, const char *key, char **ret);
int json_get_u64(json_object *o, const char *key, uint64_t *ret);
int json_get_double(json_object *o, const char *key, double *ret);
int json_get_object(json_object *o, const char *key, json_object **ret);   /* borrowed */
int json_get_array(json_object *o, const char *key, json_object **ret);    /* borrowed */

/* Optional fields: absent or null leaves *ret alone and returns 0; 1 when set. */
int json_get_string_opt(json_object *o, const char *key, char **ret);
int json_get_u64_opt(json_object *o, const char *key, uint64_t *ret);

/* Maps a string field to the index of its value in names (NULL-terminated), 0-based + 1;
 * a value not listed gives 0, for enums that grow. */
int json_get_enum(json_object *o, const char *key, const char *const names[], int *ret);
