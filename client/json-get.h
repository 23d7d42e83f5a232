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
int json_get_bool(json_object *o, const char *key, bool *ret);
int json_get_object(json_object *o, const char *key, json_object **ret);   /* borrowed */
int json_get_array(json_object *o, const char *key, json_object **ret);    /* borrowed */

/* Optional fields: absent or null leaves *ret alone and returns 0; 1 when set. */
int json_get_string_opt(json_object *o, const char *key, char **ret);
int json_get_u64_opt(json_object *o, const char *key, uint64_t *ret);
int json_get_bool_opt(json_object *o, const char *key, bool *ret);

/* An enum field: its value's name copied into *ret_name, and *ret = values[i] for names[i] (a
 * schema/ table, NULL-terminated); a value not listed gives 0, for enums that grow. */
int json_get_enum(json_object *o, const char *key, const char *const names[], const int values[], int *ret,
                  char **ret_name);
/* The same, optional: absent or null leaves *ret and *ret_name alone and returns 0; 1 when set. */
int json_get_enum_opt(json_object *o, const char *key, const char *const names[], const int values[], int *ret,
                      char **ret_name);
int json_get_double_opt(json_object *o, const char *key, double *ret);
