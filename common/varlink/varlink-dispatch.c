/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parses a call's parameters into a struct through a table, answering InvalidParameter by name. */
#include "util/macro.h"
#include "varlink/varlink-dispatch.h"

bool varlink_value_has_type(json_object *v, VarlinkFieldType type) {
        switch (type) {
        case VARLINK_FIELD_STRING:
                return json_object_is_type(v, json_type_string);
        case VARLINK_FIELD_INT:
        case VARLINK_FIELD_FD:
                return json_object_is_type(v, json_type_int);
        case VARLINK_FIELD_BOOL:
                return json_object_is_type(v, json_type_boolean);
        case VARLINK_FIELD_FLOAT:
                return json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int);
        case VARLINK_FIELD_OBJECT:
                return json_object_is_type(v, json_type_object);
        case VARLINK_FIELD_ARRAY:
                return json_object_is_type(v, json_type_array);
        }
        return false;
}

static const VarlinkField *field_find(const VarlinkField table[], const char *name) {
        for (const VarlinkField *f = table; f && f->name; f++)
                if (streq(f->name, name))
                        return f;
        return NULL;
}

static void field_store(VarlinkCall *c, const VarlinkField *f, json_object *v, void *out) {
        char *p = (char *) out + f->offset;

        switch (f->type) {
        case VARLINK_FIELD_STRING:
                *(const char **) p = json_object_get_string(v);
                break;
        case VARLINK_FIELD_INT:
                *(int64_t *) p = json_object_get_int64(v);
                break;
        case VARLINK_FIELD_BOOL:
                *(bool *) p = json_object_get_boolean(v);
                break;
        case VARLINK_FIELD_FLOAT:
                *(double *) p = json_object_get_double(v);
                break;
        case VARLINK_FIELD_OBJECT:
        case VARLINK_FIELD_ARRAY:
                *(json_object **) p = v;
                break;
        case VARLINK_FIELD_FD:
                *(int *) p = varlink_call_take_fd(c, json_object_get_int64(v));
                break;
        }
        if (f->flags & VARLINK_FIELD_SET_FLAG)
                *(bool *) ((char *) out + f->flag_offset) = true;
}

/* An int too large for int64 arrives from json-c as a uint64 or a saturated int64: refuse it. */
static bool int_in_range(json_object *v) {
        if (!json_object_is_type(v, json_type_int))
                return true;
        errno = 0;
        int64_t i = json_object_get_int64(v);
        return !(errno == ERANGE || (i == INT64_MAX && json_object_get_uint64(v) != (uint64_t) INT64_MAX));
}

static void fds_close(const VarlinkField table[], void *out) {
        for (const VarlinkField *f = table; f && f->name; f++)
                if (f->type == VARLINK_FIELD_FD) {
                        int *fd = (int *) ((char *) out + f->offset);
                        *fd = safe_close(*fd);
                }
}

static int dispatch_fail(VarlinkCall *c, const VarlinkField table[], void *out, const char *name) {
        fds_close(table, out);
        int r = varlink_call_error_invalid_parameter(c, name);
        return r < 0 ? r : -EBADMSG;
}

int varlink_dispatch(VarlinkCall *c, json_object *parameters, const VarlinkField table[], void *out) {
        for (const VarlinkField *f = table; f && f->name; f++)
                if (f->type == VARLINK_FIELD_FD)
                        *(int *) ((char *) out + f->offset) = -1;

        json_object_object_foreach(parameters, key, value) {
                const VarlinkField *f = field_find(table, key);
                if (!f)
                        return dispatch_fail(c, table, out, key);
                if (!value)  /* null: the same as absent */
                        continue;
                if (!varlink_value_has_type(value, f->type) || !int_in_range(value))
                        return dispatch_fail(c, table, out, key);
                field_store(c, f, value, out);
                if (f->type == VARLINK_FIELD_FD && *(int *) ((char *) out + f->offset) < 0)
                        return dispatch_fail(c, table, out, key);
        }
        for (const VarlinkField *f = table; f && f->name; f++)
                if ((f->flags & VARLINK_FIELD_MANDATORY) && !json_object_object_get(parameters, f->name))
                        return dispatch_fail(c, table, out, f->name);
        return 0;
}
