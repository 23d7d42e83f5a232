/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Enums as strings, both ways, through one table indexed by the enum: the one helper for every enum. */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <string.h>

/* The name of i, or NULL when the table has none. */
static inline const char *string_table_lookup(const char *const *table, size_t n, int i) {
        return i >= 0 && (size_t) i < n ? table[i] : NULL;
}

/* The index of s, or -EINVAL. */
static inline int string_table_find(const char *const *table, size_t n, const char *s) {
        for (size_t i = 0; s && i < n; i++)
                if (table[i] && strcmp(table[i], s) == 0)
                        return (int) i;
        return -EINVAL;
}

/* Defines NAME_to_string(TYPE) and NAME_from_string(const char *) on NAME_table[]. */
#define DEFINE_STRING_TABLE(name, type)                                                         \
        const char *name##_to_string(type i) {                                                  \
                return string_table_lookup(name##_table, sizeof(name##_table) / sizeof(name##_table[0]), (int) i); \
        }                                                                                       \
        int name##_from_string(const char *s) {                                                 \
                return string_table_find(name##_table, sizeof(name##_table) / sizeof(name##_table[0]), s); \
        }
