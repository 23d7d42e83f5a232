/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small text formats for people: durations, owners, times. */
#pragma once

#include <stdint.h>

#include "privmem/privmem.h"

#define FORMAT_MAX 64

/* "45s", "3min 2s", "5h 3min", "2d 4h". */
const char *format_duration(char buf[static FORMAT_MAX], double seconds);
/* "1234 (qemu)", "domain NAME", "connection", "unknown". */
const char *format_owner(char buf[static FORMAT_MAX], const privmem_lease *l);
/* Microseconds since the epoch as local "YYYY-MM-DD HH:MM:SS.mmm". */
const char *format_timestamp(char buf[static FORMAT_MAX], uint64_t usec);
