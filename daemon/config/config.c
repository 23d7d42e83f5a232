/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* privmemd.conf: the pools an admin describes, or the built-in default.
 *
 *   [privmemd]             workers=, admin_group=
 *   [libvirt]              uri= (libvirt domains as lease owners; see libvirt-watch.c)
 *   [pool NAME]            backing=, page_size=, sizes=, limit=, quota_per_uid=, leases_per_uid=,
 *                          numa_node=, users=, groups=, seal_guest=, huge_fallback=, huge_min=,
 *                          populate_timeout=
 *
 * The main file, then privmemd.conf.d/ (*.conf, in name order): a later value of a key wins. */
#include <dirent.h>
#include <grp.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>

#include "config/config-parse.h"
#include "config/config.h"
#include "util/file-name.h"
#include "util/macro.h"

typedef struct ConfigParser {
        Config *config;
        const char *path;
        FILE *file;
        unsigned line;
        char *error;            /* the first error, "FILE:LINE: ..." */
} ConfigParser;

static _printf_(2, 3) int parser_fail(ConfigParser *p, const char *fmt, ...) {
        va_list ap;
        char *msg = NULL, *full = NULL;

        if (p->error)
                return 0;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (asprintf(&full, "%s:%u: %s", p->path, p->line, strempty(msg)) < 0)
                full = NULL;
        free(msg);
        p->error = full ?: strdup("out of memory");
        return 0;  /* inih: stop here, this line is the error */
}

static char *parser_read_line(char *buf, int size, void *userdata) {
        ConfigParser *p = userdata;
        char *s = fgets(buf, size, p->file);
        if (s)
                p->line++;
        return s;
}

static bool pool_name_valid(const char *n) {
        size_t len = strlen(n);
        if (len == 0 || len > 64)
                return false;
        for (const char *c = n; *c; c++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", *c))
                        return false;
        return true;
}

static PoolConfig *config_get_pool(ConfigParser *p, const char *name) {
        Config *c = p->config;
        for (size_t i = 0; i < c->n_pools; i++)
                if (streq(c->pools[i].name, name))
                        return &c->pools[i];

        PoolConfig *n = reallocarray(c->pools, c->n_pools + 1, sizeof(PoolConfig));
        if (!n)
                return NULL;
        c->pools = n;
        PoolConfig *pc = &c->pools[c->n_pools];
        *pc = (PoolConfig) { .numa_node = -1, .leases_per_uid = 1024 };
        pc->name = strdup(name);
        if (!pc->name || asprintf(&pc->origin, "%s:%u", p->path, p->line) < 0)
                return free(pc->name), NULL;
        c->n_pools++;
        return pc;
}

static int pool_set_page_size(PoolConfig *pc, const char *value) {
        uint64_t v;
        int r = parse_size(value, &v);
        if (r < 0)
                return r;
        if (v != 4096 && v != (2ULL << 20) && v != (1ULL << 30))
                return -EINVAL;
        pc->page_size = v;
        return 0;
}

static int pool_set_numa_node(PoolConfig *pc, const char *value) {
        unsigned v;
        int r = parse_unsigned(value, 1023, &v);
        if (r >= 0)
                pc->numa_node = (int) v;
        return r;
}

/* Sets one key of a pool; -EINVAL for a bad value, -ENOENT for an unknown key. */
static int pool_set(PoolConfig *pc, const char *key, const char *value) {
        int r;

        if (streq(key, "backing")) {
                r = backing_from_string(value);
                if (r >= 0)
                        pc->backing = (Backing) r;
                return r;
        }
        if (streq(key, "page_size"))
                return pool_set_page_size(pc, value);
        if (streq(key, "sizes")) {
                free(pc->sizes);
                pc->sizes = NULL;
                return parse_size_targets(value, &pc->sizes, &pc->n_sizes);
        }
        if (streq(key, "limit"))
                return parse_size(value, &pc->limit);
        if (streq(key, "quota_per_uid"))
                return parse_size(value, &pc->quota_per_uid);
        if (streq(key, "leases_per_uid"))
                return parse_unsigned(value, 1000000, &pc->leases_per_uid);
        if (streq(key, "numa_node"))
                return pool_set_numa_node(pc, value);
        if (streq(key, "seal_guest"))
                return parse_boolean(value, &pc->seal_guest);
        if (streq(key, "huge_fallback")) {
                r = huge_fallback_from_string(value);
                if (r >= 0)
                        pc->huge_fallback = (HugeFallback) r;
                return r;
        }
        if (streq(key, "huge_min"))
                return parse_percent(value, &pc->huge_min);
        if (streq(key, "populate_timeout"))
                return parse_unsigned(value, POPULATE_TIMEOUT_MAX_SEC, &pc->populate_timeout_sec) < 0 ||
                       pc->populate_timeout_sec == 0 ? -EINVAL : 0;
        if (streq(key, "users")) {
                free(pc->users);
                pc->users = NULL;
                return parse_users(value, &pc->users, &pc->n_users, &pc->all_users);
        }
        if (streq(key, "groups")) {
                free(pc->groups);
                pc->groups = NULL;
                return parse_groups(value, &pc->groups, &pc->n_groups);
        }
        return -ENOENT;
}

static int global_set(Config *c, const char *key, const char *value) {
        if (streq(key, "workers"))
                return parse_unsigned(value, 256, &c->workers);
        if (streq(key, "admin_group")) {
                char *v = strdup(value);
                if (!v)
                        return -ENOMEM;
                free(c->admin_group);
                c->admin_group = v;
                return 0;
        }
        return -ENOENT;
}

static int libvirt_set(Config *c, const char *key, const char *value) {
        char *v;

        if (streq(key, "timeout"))
                return parse_unsigned(value, 600, &c->libvirt_timeout_sec) < 0 || c->libvirt_timeout_sec == 0 ? -EINVAL : 0;
        if (!streq(key, "uri"))
                return -ENOENT;
        if (!value[0])
                return -EINVAL;
        v = strdup(value);
        if (!v)
                return -ENOMEM;
        free(c->libvirt_uri);
        c->libvirt_uri = v;
        return 0;
}

/* What a key takes, for the message about a bad value. */
static const char *key_hint(const char *key) {
        static const struct { const char *key, *hint; } hints[] = {
                { "backing", "expected shmem or hugetlb" },
                { "page_size", "expected 4K, 2M or 1G" },
                { "sizes", "expected SIZE:COUNT pairs, e.g. 64M:2 1G:1" },
                { "limit", "expected a size, e.g. 16G" },
                { "quota_per_uid", "expected a size, e.g. 8G" },
                { "leases_per_uid", "expected a number up to 1000000" },
                { "numa_node", "expected a node number, 0-1023" },
                { "workers", "expected a number of threads, 1-256" },
                { "seal_guest", "expected yes or no" },
                { "huge_fallback", "expected lend, retry or refuse" },
                { "huge_min", "expected a percentage, 1-100%" },
                { "populate_timeout", "expected seconds, 1-3600" },
                { "timeout", "expected seconds, 1-600" },
        };
        for (size_t i = 0; i < ELEMENTSOF(hints); i++)
                if (streq(hints[i].key, key))
                        return hints[i].hint;
        return "see privmemd.conf(5)";
}

static int parser_handle(void *userdata, const char *section, const char *key, const char *value) {
        ConfigParser *p = userdata;
        int r;

        if (streq(section, "privmemd"))
                r = global_set(p->config, key, value);
        else if (streq(section, "libvirt"))
                r = libvirt_set(p->config, key, value);
        else if (strncmp(section, "pool ", 5) == 0) {
                const char *name = section + 5;
                if (!pool_name_valid(name))
                        return parser_fail(p, "section [%s]: a pool name is 1-64 of A-Z a-z 0-9 _ -", section);
                PoolConfig *pc = config_get_pool(p, name);
                r = pc ? pool_set(pc, key, value) : -ENOMEM;
        } else
                return parser_fail(p, "unknown section [%s] (expected [privmemd], [libvirt] or [pool NAME])", section);

        if (r == -ENOENT)
                return parser_fail(p, "[%s]: unknown key '%s'", section, key);
        if (r == -ESRCH)
                return parser_fail(p, "[%s]: key '%s': no such user or group in '%s'", section, key, value);
        if (r < 0)
                return parser_fail(p, "[%s]: key '%s': invalid value '%s' (%s)", section, key, value, key_hint(key));
        return 1;
}

static int config_parse_file(Config *c, const char *path, char **ret_error) {
        ConfigParser p = { .config = c, .path = path };

        p.file = fopen(path, "re");
        if (!p.file) {
                if (asprintf(ret_error, "%s: cannot open: %s", path, strerror(errno)) < 0)
                        *ret_error = NULL;
                return -errno;
        }
        int r = ini_parse_stream(parser_read_line, &p, parser_handle, &p);
        fclose(p.file);
        if (r != 0 && !p.error)
                (void) parser_fail(&p, "syntax error (expected [section] or key = value)");
        if (p.error) {
                *ret_error = p.error;
                return -EINVAL;
        }
        return 0;
}

static void pool_config_done(PoolConfig *pc) {
        free(pc->name);
        free(pc->origin);
        free(pc->sizes);
        free(pc->users);
        free(pc->groups);
}

PoolConfig *pool_config_free(PoolConfig *pc) {
        if (pc) {
                pool_config_done(pc);
                free(pc);
        }
        return NULL;
}

static void *memdup_array(const void *p, size_t n, size_t size) {
        void *q = n > 0 ? reallocarray(NULL, n, size) : NULL;
        if (q)
                memcpy(q, p, n * size);
        return q;
}

PoolConfig *pool_config_dup(const PoolConfig *pc) {
        PoolConfig *d = malloc(sizeof(*d));
        if (!d)
                return NULL;
        *d = *pc;
        d->name = strdup(pc->name);
        d->origin = strdup(pc->origin);
        d->sizes = memdup_array(pc->sizes, pc->n_sizes, sizeof(SizeTarget));
        d->users = memdup_array(pc->users, pc->n_users, sizeof(uid_t));
        d->groups = memdup_array(pc->groups, pc->n_groups, sizeof(gid_t));
        if (!d->name || !d->origin || (pc->n_sizes && !d->sizes) || (pc->n_users && !d->users) ||
            (pc->n_groups && !d->groups))
                return pool_config_free(d);
        return d;
}

void config_done(Config *c) {
        for (size_t i = 0; i < c->n_pools; i++)
                pool_config_done(&c->pools[i]);
        free(c->pools);
        free(c->admin_group);
        free(c->libvirt_uri);
        *c = (Config) {};
}

const PoolConfig *config_find_pool(const Config *c, const char *name) {
        for (size_t i = 0; i < c->n_pools; i++)
                if (streq(c->pools[i].name, name))
                        return &c->pools[i];
        return NULL;
}

static int dropin_filter(const struct dirent *de) {
        return file_name_visible_with_suffix(de->d_name, ".conf");
}

/* The main file and its drop-ins; 0 when there was none of them. */
static int config_parse_defaults(Config *c, char **ret_error) {
        struct dirent **names = NULL;
        bool any = false;
        int r = 0;

        if (access(PRIVMEMD_CONFIG_DIR "/privmemd.conf", F_OK) == 0) {
                r = config_parse_file(c, PRIVMEMD_CONFIG_DIR "/privmemd.conf", ret_error);
                any = true;
        }
        int n = scandir(PRIVMEMD_CONFIG_DIR "/privmemd.conf.d", &names, dropin_filter, alphasort);
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;
                if (r >= 0 && asprintf(&path, PRIVMEMD_CONFIG_DIR "/privmemd.conf.d/%s", names[i]->d_name) >= 0) {
                        r = config_parse_file(c, path, ret_error);
                        any = true;
                }
                free(names[i]);
        }
        free(names);
        return r < 0 ? r : any;
}

void config_resolve_admin_group(Config *c) {
        struct group *gr = c->admin_group ? getgrnam(c->admin_group) : NULL;
        c->admin_gid = gr ? gr->gr_gid : (gid_t) -1;
}

int config_load(Config *ret, const char *path, char **ret_error) {
        Config c = { .admin_group = strdup("privmem-admin") };
        int r;

        *ret_error = NULL;
        if (!c.admin_group)
                return -ENOMEM;
        if (path)
                r = config_parse_file(&c, path, ret_error);
        else {
                r = config_parse_defaults(&c, ret_error);
                if (r == 0) {
                        config_done(&c);
                        return config_builtin(ret);
                }
        }
        if (r >= 0)
                r = config_validate(&c, ret_error);
        if (r >= 0)
                config_resolve_admin_group(&c);
        if (r < 0) {
                config_done(&c);
                return r;
        }
        *ret = c;
        return 0;
}
