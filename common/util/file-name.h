/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* File names in a directory listing. */
#pragma once

#include <stdbool.h>
#include <string.h>

/* Not hidden, and NAME plus suffix (".conf"): what the directory scans read. */
static inline bool file_name_visible_with_suffix(const char *name, const char *suffix) {
        size_t n = strlen(name), k = strlen(suffix);
        return name[0] != '.' && n > k && strcmp(name + n - k, suffix) == 0;
}
