/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tables as systemctl and virsh print them: a header, aligned columns, numbers to the right. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "util/macro.h"

typedef struct Table Table;

/* Columns are named by headers (NULL-terminated); a header starting with '>' is right-aligned
 * (the '>' is not printed). */
Table *table_new(const char *const headers[]);
Table *table_free(Table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(Table *, table_free);

/* Appends the next cell, row by row; NULL prints "-". */
int table_add(Table *t, const char *cell);
int table_addf(Table *t, const char *format, ...) _printf_(2, 3);
size_t table_rows(const Table *t);

/* Prints the header (bold and underlined when styled) and the rows, two spaces between columns,
 * no trailing blanks. */
int table_print(const Table *t, FILE *f, bool styled);
