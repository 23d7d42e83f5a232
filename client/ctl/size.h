/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Byte sizes as people write them: 64M, 1.5G, 4096; and as they read them: 64 MiB, 1.5 GiB. */
#pragma once

#include <stdint.h>

#define SIZE_FORMAT_MAX 24

/* Parses digits with an optional fraction and an optional IEC suffix (K, M, G, T, P, E; also with
 * "i", "iB" or "B", any case; none: bytes). The result must be a whole number of bytes above 0.
 * -EINVAL when it is not a size, -ERANGE when it does not fit. */
int size_parse(const char *s, uint64_t *ret);

/* "512 B", "4.0 KiB", "960 MiB", "1.5 GiB": one decimal below 10 of a unit, none above. */
const char *size_format(char buf[static SIZE_FORMAT_MAX], uint64_t bytes);
