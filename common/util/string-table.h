/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Enums as strings, both ways: one NULL-terminated table of names indexed by the enum's values.
 * The one helper for every enum (the schema's wire enums go through it too). */
#pragma once

#include <errno.h>
#include <string.h>

/* The name of value; NULL when the table has none. */
static inline const char *string_table_to_string(const char *const table[], int value) {
        for (int i = 0; value >= 0 && table[i]; i++)
                if (i == value)
                        return table[i];
        return NULL;
}

/* The value named s; -EINVAL when there is none (or s is NULL). */
static inline int string_table_from_string(const char *const table[], const char *s) {
        for (int i = 0; s && table[i]; i++)
                if (strcmp(table[i], s) == 0)
                        return i;
        return -EINVAL;
}
