/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Compares JSON values the way varlink means them: a missing field is null, a float may be written as an int. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert-json.h"

static bool number_equal(json_object *want, json_object *got) {
        if (json_object_is_type(want, json_type_int))
                return json_object_is_type(got, json_type_int) &&
                       json_object_get_int64(want) == json_object_get_int64(got);
        if (!json_object_is_type(got, json_type_int) && !json_object_is_type(got, json_type_double))
                return false;
        return json_object_get_double(want) == json_object_get_double(got);
}

/* Every field of a that is not null must be in b, equal (b's extra fields are checked the other way). */
static bool object_covered(json_object *a, json_object *b, bool a_is_want) {
        json_object_object_foreach(a, key, value) {
                json_object *other = json_object_object_get(b, key);
                if (!value && !other)
                        continue;
                if (!(a_is_want ? cert_json_equal(value, other) : cert_json_equal(other, value)))
                        return false;
        }
        return true;
}

static bool array_equal(json_object *want, json_object *got) {
        size_t n = json_object_array_length(want);

        if (json_object_array_length(got) != n)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!cert_json_equal(json_object_array_get_idx(want, i), json_object_array_get_idx(got, i)))
                        return false;
        return true;
}

bool cert_json_equal(json_object *want, json_object *got) {
        if (!want || !got)
                return !want && !got;
        switch (json_object_get_type(want)) {
        case json_type_int:
        case json_type_double:
                return number_equal(want, got);
        case json_type_object:
                return json_object_is_type(got, json_type_object) &&
                       object_covered(want, got, true) && object_covered(got, want, false);
        case json_type_array:
                return json_object_is_type(got, json_type_array) && array_equal(want, got);
        case json_type_string:
                return json_object_is_type(got, json_type_string) &&
                       strcmp(json_object_get_string(want), json_object_get_string(got)) == 0;
        case json_type_boolean:
                return json_object_is_type(got, json_type_boolean) &&
                       json_object_get_boolean(want) == json_object_get_boolean(got);
        case json_type_null:
                return false;  /* not reached: null is NULL in json-c */
        }
        return false;
}

json_object *cert_json_parse(const char *text) {
        json_object *o = json_tokener_parse(text);
        if (!o) {
                fprintf(stderr, "invalid built-in JSON: %s\n", text);
                abort();
        }
        return o;
}

json_object *cert_json_without_client_id(json_object *parameters) {
        json_object *copy = NULL;

        if (json_object_deep_copy(parameters, &copy, NULL) < 0)
                return NULL;
        json_object_object_del(copy, "client_id");
        return copy;
}

const char *cert_json_text(json_object *o) {
        return o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : "null";
}
