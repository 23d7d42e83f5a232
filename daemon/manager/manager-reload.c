/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reloading the configuration at run time (Reload, SIGHUP): all of it, or, on any error, none. */
#include <stdio.h>

#include "core/pool-admin.h"
#include "core/pool-thp.h"
#include "manager/manager.h"
#include "util/log.h"
#include "util/macro.h"

/* The pool of that name, the live one first: a retired pool may share its name with a new one. */
static Pool *manager_find_any_pool(Manager *m, const char *name) {
        Pool *retired = NULL;
        for (size_t i = 0; i < m->n_pools; i++)
                if (streq(m->pools[i]->config->name, name)) {
                        if (!m->pools[i]->retired)
                                return m->pools[i];
                        retired = m->pools[i];
                }
        return retired;
}

/* A pool whose memfds are of another kind than configured now can only be replaced while empty. */
static int reload_check(Manager *m, const Config *c, char **ret_error) {
        for (size_t i = 0; i < c->n_pools; i++) {
                Pool *p = manager_find_pool(m, c->pools[i].name);
                if (p && !pool_config_compatible(p, &c->pools[i]) && (p->bytes_lent || p->bytes_returning)) {
                        if (asprintf(ret_error, "pool '%s': backing or page_size cannot change while it has leases",
                                     p->config->name) < 0)
                                *ret_error = NULL;
                        return -EBUSY;
                }
        }
        return 0;
}

static int manager_append_pool(Manager *m, const PoolConfig *pc) {
        Pool **n = reallocarray(m->pools, m->n_pools + 1, sizeof(Pool *));
        if (!n)
                return -ENOMEM;
        m->pools = n;
        int r = pool_new(&m->pools[m->n_pools], &m->core, pc);
        if (r < 0)
                return r;
        pool_refill(m->pools[m->n_pools++]);
        return 0;
}

static int reload_apply(Manager *m, const Config *c) {
        for (size_t i = 0; i < m->n_pools; i++)
                if (!config_find_pool(c, m->pools[i]->config->name))
                        pool_retire(m->pools[i]);
        for (size_t i = 0; i < c->n_pools; i++) {
                const PoolConfig *pc = &c->pools[i];
                Pool *p = manager_find_any_pool(m, pc->name);
                int r;
                if (p && !pool_config_compatible(p, pc)) {
                        pool_retire(p);  /* holds no lease (reload_check): soon collected */
                        p = NULL;
                }
                r = p ? pool_reconfigure(p, pc) : manager_append_pool(m, pc);
                if (r < 0)
                        return r;
                pool_thp_check_host(manager_find_pool(m, pc->name));
        }
        manager_collect_pools(m);
        return 0;
}

int manager_reload(Manager *m, char **ret_error) {
        Config c;
        int r;

        *ret_error = NULL;
        r = config_load(&c, m->options.config_path, ret_error);
        if (r >= 0)
                r = reload_check(m, &c, ret_error);
        if (r < 0) {
                if (r == -EBUSY)
                        config_done(&c);
                log_error("Reload failed, keeping the configuration in use: %s", strempty(*ret_error));
                return r;
        }
        if (c.workers != m->config.workers)
                log_notice("workers= changes at the next start, not on reload.");
        r = reload_apply(m, &c);
        config_done(&m->config);
        m->config = c;
        if (r < 0)
                return log_error_errno(r, "Reload applied in part: %m");
        log_info("Configuration reloaded: %zu pool(s).", m->n_pools);
        manager_update_fd_budget(m);
        change_queue_pool(&m->core.changes, CHANGE_CONFIG_RELOADED, NULL, 0, "reloaded");
        return 0;
}

static int on_collect(sd_event_source *s, void *userdata) {
        Manager *m = userdata;
        size_t j = 0;

        manager_flush_changes(m);  /* queued changes may name a pool freed here */
        for (size_t i = 0; i < m->n_pools; i++) {
                Pool *p = m->pools[i];
                if (p->retired && pool_is_unused(p) && !pool_has_waiters(p))
                        pool_free(p);
                else
                        m->pools[j++] = p;
        }
        m->n_pools = j;
        return 0;
}

/* Frees retired pools that nothing uses any more, from the event loop (never inside a callback
 * of the pool itself). */
void manager_collect_pools(Manager *m) {
        if (!m->collect)
                (void) sd_event_add_defer(m->event, &m->collect, on_collect, m);
        if (m->collect)
                (void) sd_event_source_set_enabled(m->collect, SD_EVENT_ONESHOT);
}
