/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Typed reads of reply fields: -EPROTO when a field is missing or of the wrong type. */
#include "json-get.h"
#include "util/macro.h"

static json_object *field(json_object *o, const char *key) {
        json_object *v = NULL;
        if (!json_object_is_type(o, json_type_object))
                return NULL;
        if (!json_object_object_get_ex(o, key, &v))
                return NULL;
        return v;       /* NULL too when the value is null */
}

static int typed(json_object *o, const char *key, json_type type, json_object **ret) {
        json_object *v = field(o, key);
        if (!v || !json_object_is_type(v, type))
                return -EPROTO;
        *ret = v;
        return 0;
}

int json_get_string(json_object *o, const char *key, char **ret) {
        json_object *v;
        int r = typed(o, key, json_type_string, &v);
        if (r < 0)
                return r;
        char *s = strdup(json_object_get_string(v));
        if (!s)
                return -ENOMEM;
        free(*ret);
        *ret = s;
        return 0;
}

int json_get_u64(json_object *o, const char *key, uint64_t *ret) {
        json_object *v;
        int r = typed(o, key, json_type_int, &v);
        if (r < 0)
                return r;
        int64_t i = json_object_get_int64(v);
        if (i < 0)
                return -EPROTO;
        *ret = (uint64_t) i;
        return 0;
}

int json_get_double(json_object *o, const char *key, double *ret) {
        json_object *v = field(o, key);
        if (!v || !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
                return -EPROTO;
        *ret = json_object_get_double(v);
        return 0;
}

int json_get_bool(json_object *o, const char *key, bool *ret) {
        json_object *v;
        int r = typed(o, key, json_type_boolean, &v);
        if (r < 0)
                return r;
        *ret = json_object_get_boolean(v);
        return 0;
}

int json_get_object(json_object *o, const char *key, json_object **ret) {
        return typed(o, key, json_type_object, ret);
}

int json_get_array(json_object *o, const char *key, json_object **ret) {
        return typed(o, key, json_type_array, ret);
}

int json_get_string_opt(json_object *o, const char *key, char **ret) {
        if (!field(o, key))
                return 0;
        int r = json_get_string(o, key, ret);
        return r < 0 ? r : 1;
}

int json_get_u64_opt(json_object *o, const char *key, uint64_t *ret) {
        if (!field(o, key))
                return 0;
        int r = json_get_u64(o, key, ret);
        return r < 0 ? r : 1;
}

int json_get_bool_opt(json_object *o, const char *key, bool *ret) {
        if (!field(o, key))
                return 0;
        int r = json_get_bool(o, key, ret);
        return r < 0 ? r : 1;
}

int json_get_enum(json_object *o, const char *key, const char *const names[], const int values[], int *ret,
                  char **ret_name) {
        int r = json_get_string(o, key, ret_name);
        if (r < 0)
                return r;
        *ret = 0;
        for (size_t i = 0; names[i]; i++)
                if (streq(names[i], *ret_name))
                        *ret = values[i];
        return 0;
}

int json_get_enum_opt(json_object *o, const char *key, const char *const names[], const int values[], int *ret,
                      char **ret_name) {
        json_object *v = json_object_object_get(o, key);
        if (!v || json_object_is_type(v, json_type_null))
                return 0;
        int r = json_get_enum(o, key, names, values, ret, ret_name);
        return r < 0 ? r : 1;
}

int json_get_double_opt(json_object *o, const char *key, double *ret) {
        json_object *v = json_object_object_get(o, key);
        if (!v || json_object_is_type(v, json_type_null))
                return 0;
        int r = json_get_double(o, key, ret);
        return r < 0 ? r : 1;
}
