/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Byte sizes: parsed with IEC suffixes, formatted in IEC units. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <strings.h>

#include "size.h"

static const char units[] = "KMGTPE";

/* The shift of a suffix: 0 for none, 10 for K... ; -1 when it is not one. */
static int suffix_shift(const char *s) {
        if (!*s)
                return 0;
        if (strcasecmp(s, "B") == 0)
                return 0;
        for (int i = 0; units[i]; i++) {
                if (toupper((unsigned char) s[0]) != units[i])
                        continue;
                const char *rest = s + 1;
                if (!*rest || strcasecmp(rest, "i") == 0 || strcasecmp(rest, "iB") == 0 || strcasecmp(rest, "B") == 0)
                        return 10 * (i + 1);
        }
        return -1;
}

/* Reads up to 18 digits into *ret; the count of digits read in *n. */
static const char *digits(const char *s, uint64_t *ret, int *n) {
        uint64_t v = 0;
        *n = 0;
        for (; isdigit((unsigned char) *s); s++, (*n)++) {
                if (*n >= 18)
                        return NULL;
                v = v * 10 + (uint64_t) (*s - '0');
        }
        *ret = v;
        return s;
}

int size_parse(const char *s, uint64_t *ret) {
        uint64_t whole = 0, frac = 0, scale = 1;
        int n_whole, n_frac = 0;

        if (!s)
                return -EINVAL;
        if (!(s = digits(s, &whole, &n_whole)))
                return -ERANGE;
        if (*s == '.' && !(s = digits(s + 1, &frac, &n_frac)))
                return -ERANGE;
        if (n_whole + n_frac == 0)
                return -EINVAL;
        int shift = suffix_shift(s);
        if (shift < 0)
                return -EINVAL;
        for (int i = 0; i < n_frac; i++)
                scale *= 10;
        if (whole > (UINT64_MAX >> shift) || frac > (UINT64_MAX >> shift))
                return -ERANGE;
        uint64_t bytes = whole << shift, frac_bytes = frac << shift;
        if (frac_bytes % scale != 0)
                return -EINVAL;         /* not a whole number of bytes */
        if (bytes > UINT64_MAX - frac_bytes / scale)
                return -ERANGE;
        bytes += frac_bytes / scale;
        if (bytes == 0)
                return -EINVAL;
        *ret = bytes;
        return 0;
}

const char *size_format(char buf[static SIZE_FORMAT_MAX], uint64_t bytes) {
        static const char *const names[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
        int i = -1;

        while (i < 5 && bytes >= (UINT64_C(1024) << (10 * (i + 1))))
                i++;
        if (i < 0) {
                snprintf(buf, SIZE_FORMAT_MAX, "%u B", (unsigned) bytes);
                return buf;
        }
        double v = (double) bytes / (double) (UINT64_C(1) << (10 * (i + 1)));
        if (v < 9.95)
                snprintf(buf, SIZE_FORMAT_MAX, "%.1f %s", v, names[i]);
        else
                snprintf(buf, SIZE_FORMAT_MAX, "%.0f %s", v, names[i]);
        return buf;
}
