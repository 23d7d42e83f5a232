/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Prometheus text exposition format: families, samples, escaped labels. */
#include <math.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdlib.h>

#include "prom.h"

void prom_family(FILE *f, const char *name, const char *type, const char *help) {
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and newline escaped. */
static void label_value(FILE *f, const char *v) {
        for (; *v; v++)
                if (*v == '\\' || *v == '"')
                        fprintf(f, "\\%c", *v);
                else if (*v == '\n')
                        fputs("\\n", f);
                else
                        fputc(*v, f);
}

void prom_sample(FILE *f, const char *name, uint64_t value, ...) {
        va_list ap;
        const char *k;
        bool first = true;

        fputs(name, f);
        va_start(ap, value);
        while ((k = va_arg(ap, const char *))) {
                fprintf(f, "%s%s=\"", first ? "{" : ",", k);
                label_value(f, va_arg(ap, const char *));
                fputc('"', f);
                first = false;
        }
        va_end(ap);
        fprintf(f, "%s %llu\n", first ? "" : "}", (unsigned long long) value);
}

const char *prom_float(char buf[static 32], double v) {
        if (isinf(v))
                return v > 0 ? "+Inf" : "-Inf";
        if (isnan(v))
                return "NaN";
        for (int precision = 1; precision <= 17; precision++) {
                snprintf(buf, 32, "%.*g", precision, v);
                if (strtod(buf, NULL) == v)
                        break;
        }
        return buf;
}

void prom_sample_double(FILE *f, const char *name, double value) {
        char b[32];
        fprintf(f, "%s %s\n", name, prom_float(b, value));
}
