/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A varlink interface description read into tables (the subset io.privmemd uses: named types,
 * enums, optional and array types; no anonymous structs, no maps). */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "idl.h"

typedef struct Lexer {
        const char *p;
        char token[IDL_MAX_NAME];
} Lexer;

static void skip_space(Lexer *l) {
        for (;;) {
                while (isspace((unsigned char) *l->p))
                        l->p++;
                if (*l->p != '#')
                        return;
                while (*l->p && *l->p != '\n')
                        l->p++;
        }
}

/* The next token into l->token: a name, "->", or one punctuation character; "" at the end. */
static int next(Lexer *l) {
        size_t n = 0;

        skip_space(l);
        if (isalpha((unsigned char) *l->p) || *l->p == '_') {
                while ((isalnum((unsigned char) *l->p) || *l->p == '_' || *l->p == '.') && n < IDL_MAX_NAME - 1)
                        l->token[n++] = *l->p++;
        } else if (l->p[0] == '-' && l->p[1] == '>') {
                l->token[n++] = *l->p++;
                l->token[n++] = *l->p++;
        } else if (*l->p && strchr("()[],:?", *l->p)) {
                l->token[n++] = *l->p++;
        } else if (*l->p) {
                return -EBADMSG;
        }
        l->token[n] = 0;
        return 0;
}

static bool is_name(const char *t) {
        return isalpha((unsigned char) t[0]) || t[0] == '_';
}

static int expect(Lexer *l, const char *want) {
        int r = next(l);
        return r < 0 || strcmp(l->token, want) != 0 ? -EBADMSG : 0;
}

/* After "(" of an enum whose first value is already in l->token: the values up to ")". */
static int parse_enum(Lexer *l, IdlField *f) {
        for (;;) {
                if (!is_name(l->token) || f->n_values >= IDL_MAX_VALUES)
                        return -EBADMSG;
                snprintf(f->values[f->n_values++], IDL_MAX_NAME, "%s", l->token);
                if (next(l) < 0)
                        return -EBADMSG;
                if (strcmp(l->token, ")") == 0)
                        return 0;
                if (strcmp(l->token, ",") != 0 || next(l) < 0)
                        return -EBADMSG;
        }
}

static int parse_type(Lexer *l, IdlField *f) {
        char prefix[IDL_MAX_NAME] = "";

        if (next(l) < 0)
                return -EBADMSG;
        while (strcmp(l->token, "?") == 0 || strcmp(l->token, "[") == 0) {
                if (strcmp(l->token, "[") == 0 && expect(l, "]") < 0)
                        return -EBADMSG;
                strcat(prefix, strcmp(l->token, "?") == 0 ? "?" : "[]");
                if (strlen(prefix) > 8 || next(l) < 0)
                        return -EBADMSG;
        }
        if (strcmp(l->token, "(") == 0) {
                if (next(l) < 0 || parse_enum(l, f) < 0)
                        return -EBADMSG;
                snprintf(f->type, IDL_MAX_NAME, "%senum", prefix);
                return 0;
        }
        if (!is_name(l->token))
                return -EBADMSG;
        snprintf(f->type, IDL_MAX_NAME, "%s%s", prefix, l->token);
        return 0;
}

/* "(" fields ")" */
static int parse_fields(Lexer *l, IdlMember *m) {
        if (expect(l, "(") < 0 || next(l) < 0)
                return -EBADMSG;
        while (strcmp(l->token, ")") != 0) {
                if (!is_name(l->token) || m->n_fields >= IDL_MAX_FIELDS)
                        return -EBADMSG;
                IdlField *f = &m->fields[m->n_fields++];
                snprintf(f->name, IDL_MAX_NAME, "%s", l->token);
                if (expect(l, ":") < 0 || parse_type(l, f) < 0 || next(l) < 0)
                        return -EBADMSG;
                if (strcmp(l->token, ",") == 0 && next(l) < 0)
                        return -EBADMSG;
        }
        return 0;
}

static IdlMember *member_new(Idl *idl, SchemaKind kind, const char *name) {
        if (idl->n_members >= IDL_MAX_MEMBERS)
                return NULL;
        IdlMember *m = &idl->members[idl->n_members++];
        m->kind = kind;
        snprintf(m->name, IDL_MAX_NAME, "%s", name);
        return m;
}

static int parse_member(Lexer *l, Idl *idl) {
        char keyword[IDL_MAX_NAME];
        snprintf(keyword, sizeof(keyword), "%s", l->token);
        if (next(l) < 0 || !is_name(l->token))
                return -EBADMSG;

        SchemaKind kind = strcmp(keyword, "type") == 0 ? SCHEMA_TYPE :
                          strcmp(keyword, "error") == 0 ? SCHEMA_ERROR : SCHEMA_METHOD_IN;
        if (kind == SCHEMA_METHOD_IN && strcmp(keyword, "method") != 0)
                return -EBADMSG;
        char name[IDL_MAX_NAME];
        snprintf(name, sizeof(name), "%s", l->token);
        IdlMember *m = member_new(idl, kind, name);
        if (!m || parse_fields(l, m) < 0)
                return -EBADMSG;
        if (kind != SCHEMA_METHOD_IN)
                return 0;
        m = member_new(idl, SCHEMA_METHOD_OUT, name);
        return !m || expect(l, "->") < 0 || parse_fields(l, m) < 0 ? -EBADMSG : 0;
}

static int parse_all(Lexer *l, Idl *idl) {
        if (expect(l, "interface") < 0 || next(l) < 0 || !is_name(l->token))
                return -EBADMSG;
        snprintf(idl->interface, IDL_MAX_NAME, "%s", l->token);
        for (;;) {
                if (next(l) < 0)
                        return -EBADMSG;
                if (!l->token[0])
                        return 0;
                if (parse_member(l, idl) < 0)
                        return -EBADMSG;
        }
}

int idl_parse(const char *text, Idl *ret, const char **ret_error) {
        Lexer l = { .p = text };

        memset(ret, 0, sizeof(*ret));
        int r = parse_all(&l, ret);
        if (r < 0)
                *ret_error = l.p;
        return r;
}

const IdlMember *idl_find(const Idl *idl, SchemaKind kind, const char *name) {
        for (size_t i = 0; i < idl->n_members; i++)
                if (idl->members[i].kind == kind && strcmp(idl->members[i].name, name) == 0)
                        return &idl->members[i];
        return NULL;
}
