/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsers for the values of privmemd.conf: sizes, size lists, user and group lists. */
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <strings.h>

#include "config/config-parse.h"
#include "schema/io-privmemd.h"
#include "util/macro.h"
#include "util/string-table.h"

#define SEPARATORS " \t,"

int parse_size(const char *s, uint64_t *ret) {
        static const struct { char suffix; unsigned shift; } units[] = {
                { 'K', 10 }, { 'M', 20 }, { 'G', 30 }, { 'T', 40 },
        };
        char *end;
        unsigned shift = 0;

        if (!*s || *s == '-')
                return -EINVAL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno != 0 || end == s)
                return -EINVAL;
        if (*end) {
                size_t i;
                for (i = 0; i < ELEMENTSOF(units); i++)
                        if ((*end & ~0x20) == units[i].suffix)
                                break;
                if (i == ELEMENTSOF(units) || !(end[1] == 0 || streq(end + 1, "iB") || streq(end + 1, "B")))
                        return -EINVAL;
                shift = units[i].shift;
        }
        if (shift > 0 && v > (UINT64_MAX >> shift))
                return -ERANGE;
        *ret = (uint64_t) v << shift;
        return 0;
}

int parse_unsigned(const char *s, unsigned max, unsigned *ret) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno != 0 || end == s || *end || *s == '-')
                return -EINVAL;
        if (v > max)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

int parse_percent(const char *s, unsigned *ret) {
        char buf[8];
        size_t n = strlen(s);
        if (n == 0 || n >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, n + 1);
        if (buf[n - 1] == '%')
                buf[n - 1] = 0;
        unsigned v;
        int r = parse_unsigned(buf, 100, &v);
        if (r < 0)
                return r;
        if (v == 0)
                return -ERANGE;
        *ret = v;
        return 0;
}

int parse_boolean(const char *s, bool *ret) {
        static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
                        *ret = strcasecmp(s, yes[i]) == 0;
                        return 0;
                }
        return -EINVAL;
}

/* Calls f on each word of s. */
static int for_each_word(const char *s, int (*f)(const char *word, void *userdata), void *userdata) {
        _cleanup_free_ char *copy = strdup(s);
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, SEPARATORS, &save); w; w = strtok_r(NULL, SEPARATORS, &save)) {
                int r = f(w, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

typedef struct Array {
        void *items;
        size_t n, item_size;
} Array;

static void *array_append(Array *a) {
        void *p = reallocarray(a->items, a->n + 1, a->item_size);
        if (!p)
                return NULL;
        a->items = p;
        return (char *) p + a->item_size * a->n++;
}

static int add_size_target(const char *word, void *userdata) {
        _cleanup_free_ char *size = strdup(word);
        char *colon = size ? strchr(size, ':') : NULL;
        SizeTarget t = {};
        int r;

        if (!size)
                return -ENOMEM;
        if (!colon)
                return -EINVAL;
        *colon = 0;
        r = parse_size(size, &t.size);
        if (r >= 0)
                r = parse_unsigned(colon + 1, 4096, &t.target);
        if (r < 0)
                return r;
        SizeTarget *slot = array_append(userdata);
        if (!slot)
                return -ENOMEM;
        *slot = t;
        return 0;
}

int parse_size_targets(const char *s, SizeTarget **ret, size_t *ret_n) {
        Array a = { .item_size = sizeof(SizeTarget) };
        int r = for_each_word(s, add_size_target, &a);
        if (r < 0) {
                free(a.items);
                return r;
        }
        *ret = a.items;
        *ret_n = a.n;
        return 0;
}

static int resolve_id(const char *word, bool user, unsigned *ret) {
        unsigned v;
        if (parse_unsigned(word, INT_MAX, &v) >= 0) {
                *ret = v;
                return 0;
        }
        if (user) {
                struct passwd *pw = getpwnam(word);
                if (!pw)
                        return -ESRCH;
                *ret = pw->pw_uid;
        } else {
                struct group *gr = getgrnam(word);
                if (!gr)
                        return -ESRCH;
                *ret = gr->gr_gid;
        }
        return 0;
}

typedef struct IdList {
        Array array;
        bool user, all;
} IdList;

static int add_id(const char *word, void *userdata) {
        IdList *l = userdata;
        unsigned id;

        if (l->user && streq(word, "*")) {
                l->all = true;
                return 0;
        }
        int r = resolve_id(word, l->user, &id);
        if (r < 0)
                return r;
        unsigned *slot = array_append(&l->array);
        if (!slot)
                return -ENOMEM;
        *slot = id;
        return 0;
}

static int parse_ids(const char *s, bool user, unsigned **ret, size_t *ret_n, bool *ret_all) {
        IdList l = { .array.item_size = sizeof(unsigned), .user = user };
        int r = for_each_word(s, add_id, &l);
        if (r < 0) {
                free(l.array.items);
                return r;
        }
        *ret = l.array.items;
        *ret_n = l.array.n;
        if (ret_all)
                *ret_all = l.all;
        return 0;
}

int parse_users(const char *s, uid_t **ret, size_t *ret_n, bool *ret_all) {
        return parse_ids(s, true, (unsigned **) ret, ret_n, ret_all);
}

int parse_groups(const char *s, gid_t **ret, size_t *ret_n) {
        return parse_ids(s, false, (unsigned **) ret, ret_n, NULL);
}

/* huge_fallback= takes the wire's names (Pool.huge.fallback). */
_Static_assert((int) HUGE_FALLBACK_LEND == (int) SCHEMA_HUGE_FALLBACK_LEND &&
               (int) HUGE_FALLBACK_RETRY == (int) SCHEMA_HUGE_FALLBACK_RETRY &&
               (int) HUGE_FALLBACK_REFUSE == (int) SCHEMA_HUGE_FALLBACK_REFUSE &&
               (int) _HUGE_FALLBACK_MAX == (int) _SCHEMA_HUGE_FALLBACK_MAX, "HugeFallback and the schema's differ");

const char *huge_fallback_to_string(HugeFallback f) {
        return string_table_to_string(schema_huge_fallbacks, f);
}

int huge_fallback_from_string(const char *s) {
        return string_table_from_string(schema_huge_fallbacks, s);
}
