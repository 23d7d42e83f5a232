/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parses a call's parameters into a struct through a table, answering InvalidParameter by name. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "varlink/varlink-server.h"

typedef enum VarlinkFieldType {
        VARLINK_FIELD_STRING,   /* const char *, borrowed from the parameters */
        VARLINK_FIELD_INT,      /* int64_t */
        VARLINK_FIELD_BOOL,     /* bool */
        VARLINK_FIELD_FLOAT,    /* double; an int is accepted */
        VARLINK_FIELD_OBJECT,   /* json_object *, borrowed */
        VARLINK_FIELD_ARRAY,    /* json_object *, borrowed */
        VARLINK_FIELD_FD,       /* int: an index into the call's fds, taken; -1 when absent */
} VarlinkFieldType;

typedef enum VarlinkFieldFlags {
        VARLINK_FIELD_MANDATORY = 1 << 0,
        VARLINK_FIELD_SET_FLAG = 1 << 1,        /* writes true to the bool at flag_offset when present */
} VarlinkFieldFlags;

typedef struct VarlinkField {
        const char *name;
        VarlinkFieldType type;
        size_t offset;
        unsigned flags;
        size_t flag_offset;
} VarlinkField;

/* 0: all fields parsed into `out`. -EBADMSG: a parameter was wrong and the call has been answered
 * with InvalidParameter naming it (the handler returns). Unknown fields are invalid. FD fields
 * already taken into `out` are closed on failure. */
int varlink_dispatch(VarlinkCall *c, json_object *parameters, const VarlinkField table[], void *out);

/* Checks one JSON value against a field type without storing it. */
bool varlink_value_has_type(json_object *v, VarlinkFieldType type);
