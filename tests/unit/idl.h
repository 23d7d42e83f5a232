/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A varlink interface description read into tables: the members, their fields, each field's type
 * spelled as in common/schema ("?int", "[]SizeClass", "enum" with its values). For the tests. */
#pragma once

#include <stddef.h>

#include "schema/io-privmemd.h"

#define IDL_MAX_MEMBERS 64
#define IDL_MAX_FIELDS 32
#define IDL_MAX_VALUES 16
#define IDL_MAX_NAME 64

typedef struct IdlField {
        char name[IDL_MAX_NAME];
        char type[IDL_MAX_NAME];        /* "?int", "[]Lease", "enum", "?enum" */
        char values[IDL_MAX_VALUES][IDL_MAX_NAME];      /* an enum's, in order */
        size_t n_values;
} IdlField;

typedef struct IdlMember {
        SchemaKind kind;
        char name[IDL_MAX_NAME];
        IdlField fields[IDL_MAX_FIELDS];
        size_t n_fields;
} IdlMember;

typedef struct Idl {
        char interface[IDL_MAX_NAME];
        IdlMember members[IDL_MAX_MEMBERS];
        size_t n_members;
} Idl;

/* Parses text; -EBADMSG with *ret_error pointing at where it stopped. */
int idl_parse(const char *text, Idl *ret, const char **ret_error);
const IdlMember *idl_find(const Idl *idl, SchemaKind kind, const char *name);
