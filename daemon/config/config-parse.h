/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsers for the values of privmemd.conf: sizes, size lists, user and group lists. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "config/config.h"

/* "4096", "4K", "2M", "1G", "1T" (IEC units). */
int parse_size(const char *s, uint64_t *ret);
/* "64M:2 256M:1" (size:target, separated by blanks or commas). */
int parse_size_targets(const char *s, SizeTarget **ret, size_t *ret_n);
int parse_unsigned(const char *s, unsigned max, unsigned *ret);
int parse_boolean(const char *s, bool *ret);  /* yes/no, true/false, on/off, 1/0 */
/* "90%" or "90": 1-100. */
int parse_percent(const char *s, unsigned *ret);
/* Names or numbers, separated by blanks or commas; "*" (users only) means everyone. */
int parse_users(const char *s, uid_t **ret, size_t *ret_n, bool *ret_all);
int parse_groups(const char *s, gid_t **ret, size_t *ret_n);
