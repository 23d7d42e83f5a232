/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Aligned tables with a header; cells are copied, widths measured in characters. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

struct Table {
        size_t n_columns;
        char **cells;           /* headers first, then the rows, row-major */
        size_t n_cells;
        bool *right;
};

Table *table_free(Table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_cells; i++)
                free(t->cells[i]);
        free(t->cells);
        free(t->right);
        free(t);
        return NULL;
}

Table *table_new(const char *const headers[]) {
        _cleanup_(table_freep) Table *t = calloc(1, sizeof(*t));
        if (!t)
                return NULL;
        while (headers[t->n_columns])
                t->n_columns++;
        if (!(t->right = calloc(t->n_columns ?: 1, sizeof(bool))))
                return NULL;
        for (size_t i = 0; i < t->n_columns; i++) {
                t->right[i] = headers[i][0] == '>';
                if (table_add(t, headers[i] + t->right[i]) < 0)
                        return NULL;
        }
        return TAKE_PTR(t);
}

int table_add(Table *t, const char *cell) {
        char *copy = strdup(cell ?: "-");
        char **cells = copy ? realloc(t->cells, (t->n_cells + 1) * sizeof(char *)) : NULL;
        if (!cells) {
                free(copy);
                return -ENOMEM;
        }
        t->cells = cells;
        t->cells[t->n_cells++] = copy;
        return 0;
}

int table_addf(Table *t, const char *format, ...) {
        char *s = NULL;
        va_list ap;
        va_start(ap, format);
        int r = vasprintf(&s, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        r = table_add(t, s);
        free(s);
        return r;
}

size_t table_rows(const Table *t) {
        return t->n_cells / t->n_columns - 1;
}

/* Characters, not bytes: UTF-8 continuation bytes take no column. */
static size_t width(const char *s) {
        size_t w = 0;
        for (; *s; s++)
                w += ((unsigned char) *s & 0xC0) != 0x80;
        return w;
}

static void print_cell(const Table *t, FILE *f, size_t col, const char *s, size_t w, bool last) {
        size_t pad = w - width(s);
        if (t->right[col])
                fprintf(f, "%*s%s", (int) pad, "", s);
        else
                fprintf(f, "%s%*s", s, last ? 0 : (int) pad, "");
}

static void print_row(const Table *t, FILE *f, const size_t *widths, size_t row, bool header) {
        for (size_t col = 0; col < t->n_columns; col++) {
                bool last = col + 1 == t->n_columns;
                if (col > 0)
                        fputs("  ", f);
                if (header)
                        fputs("\033[1;4m", f);
                print_cell(t, f, col, t->cells[row * t->n_columns + col], widths[col], last && !header);
                if (header)
                        fputs("\033[0m", f);
        }
        fputc('\n', f);
}

int table_print(const Table *t, FILE *f, bool styled) {
        size_t rows = t->n_cells / t->n_columns;
        _cleanup_free_ size_t *widths = calloc(t->n_columns ?: 1, sizeof(size_t));

        if (!widths)
                return -ENOMEM;
        for (size_t i = 0; i < t->n_cells; i++)
                widths[i % t->n_columns] = MAX(widths[i % t->n_columns], width(t->cells[i]));
        for (size_t row = 0; row < rows; row++)
                print_row(t, f, widths, row, row == 0 && styled);
        return ferror(f) ? -EIO : 0;
}
