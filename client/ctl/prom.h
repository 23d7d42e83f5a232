/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Prometheus text exposition format (version 0.0.4): families, samples, escaped labels. */
#pragma once

#include <stdint.h>
#include <stdio.h>

/* "# HELP name help" and "# TYPE name type" (counter, gauge, histogram). */
void prom_family(FILE *f, const char *name, const char *type, const char *help);
/* name{labels} value: labels is NULL or pairs "k", "v", ..., NULL; values are escaped. */
void prom_sample(FILE *f, const char *name, uint64_t value, ...);
void prom_sample_double(FILE *f, const char *name, double value);
/* A float as Prometheus writes it: shortest round-trip, "+Inf" for infinity. */
const char *prom_float(char buf[static 32], double v);
