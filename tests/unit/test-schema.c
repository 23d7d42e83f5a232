/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One schema: walks io.privmemd.varlink (as built into privmemd) and fails when common/schema and
 * the IDL disagree, or when libprivmem would drop a field or an enum value of a reply. For every
 * type a reply carries, an instance with every field set (each enum value in turn) is parsed by the
 * library and rebuilt from its getters alone: what does not come back is what a caller cannot see. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "idl.h"
#include "privmem-internal.h"

extern const char io_privmemd_varlink[];

static Idl idl;

static int setup(void **state) {
        const char *where = NULL;
        if (idl_parse(io_privmemd_varlink, &idl, &where) < 0) {
                fprintf(stderr, "io.privmemd.varlink does not parse here: %.60s\n", where);
                return -1;
        }
        return 0;
}

static const char *kind_name(SchemaKind k) {
        return k == SCHEMA_TYPE ? "type" : k == SCHEMA_ERROR ? "error" : k == SCHEMA_METHOD_IN ? "method" : "method result";
}

static size_t n_values(const char *const *values) {
        size_t n = 0;
        while (values && values[n])
                n++;
        return n;
}

static void field_matches(const IdlMember *m, const IdlField *f, const SchemaField *s) {
        if (!s->name || strcmp(f->name, s->name) != 0 || strcmp(f->type, s->type) != 0)
                fail_msg("%s %s: the IDL has %s: %s where common/schema has %s: %s", kind_name(m->kind), m->name,
                         f->name, f->type, s->name ?: "nothing", s->type ?: "");
        if (n_values(s->values) != f->n_values)
                fail_msg("%s.%s: the IDL has %zu values, common/schema %zu", m->name, f->name, f->n_values,
                         n_values(s->values));
        for (size_t i = 0; i < f->n_values; i++)
                if (strcmp(f->values[i], s->values[i]) != 0)
                        fail_msg("%s.%s: value %zu is %s in the IDL, %s in common/schema", m->name, f->name, i,
                                 f->values[i], s->values[i]);
}

static const SchemaMember *schema_find(SchemaKind kind, const char *name) {
        for (const SchemaMember *s = schema_members; s->name; s++)
                if (s->kind == kind && strcmp(s->name, name) == 0)
                        return s;
        return NULL;
}

static void test_schema_is_the_idl(void **state) {
        assert_string_equal(idl.interface, SCHEMA_INTERFACE);
        assert_true(idl.n_members > 20);
        for (size_t i = 0; i < idl.n_members; i++) {
                const IdlMember *m = &idl.members[i];
                const SchemaMember *s = schema_find(m->kind, m->name);
                if (!s)
                        fail_msg("%s %s of the IDL is not in common/schema", kind_name(m->kind), m->name);
                for (size_t k = 0; k < m->n_fields; k++)
                        field_matches(m, &m->fields[k], &s->fields[k]);
                if (s->fields[m->n_fields].name)
                        fail_msg("%s %s: common/schema has %s, the IDL does not", kind_name(m->kind), m->name,
                                 s->fields[m->n_fields].name);
        }
        for (const SchemaMember *s = schema_members; s->name; s++)
                if (!idl_find(&idl, s->kind, s->name))
                        fail_msg("%s %s of common/schema is not in the IDL", kind_name(s->kind), s->name);
}

/* Instances: every field set, ints counted up from 1 so that no two are alike (and all small
 * enough for a pid or a percentage), each enum at value variant (modulo its count). */
typedef struct Gen {
        unsigned variant;
        int64_t counter;
} Gen;

static json_object *gen_type(Gen *g, const char *name);

static json_object *gen_value(Gen *g, const IdlField *f, const char *type) {
        char s[128];

        if (type[0] == '?')
                return gen_value(g, f, type + 1);
        if (strncmp(type, "[]", 2) == 0) {
                json_object *a = json_object_new_array();
                json_object_array_add(a, gen_value(g, f, type + 2));
                return a;
        }
        if (strcmp(type, "int") == 0)
                return json_object_new_int64(++g->counter);
        if (strcmp(type, "float") == 0)
                return json_object_new_double((double) ++g->counter + 0.25);
        if (strcmp(type, "bool") == 0)
                return json_object_new_boolean(g->variant % 2 == 0);
        if (strcmp(type, "string") == 0) {
                snprintf(s, sizeof(s), "%s-%lld", f->name, (long long) ++g->counter);
                return json_object_new_string(s);
        }
        if (strcmp(type, "enum") == 0)
                return json_object_new_string(f->values[g->variant % f->n_values]);
        return gen_type(g, type);
}

static json_object *gen_type(Gen *g, const char *name) {
        const IdlMember *m = idl_find(&idl, SCHEMA_TYPE, name);
        if (!m)
                fail_msg("type %s is used but not defined", name);
        json_object *o = json_object_new_object();
        for (size_t i = 0; i < m->n_fields; i++)
                json_object_object_add(o, m->fields[i].name, gen_value(g, &m->fields[i], m->fields[i].type));
        return o;
}

/* Rebuilding from the getters; add() takes NULL for "the library has nothing". */
static void add(json_object *o, const char *key, json_object *v) {
        if (v)
                json_object_object_add(o, key, v);
}
static json_object *str(const char *s) { return s ? json_object_new_string(s) : NULL; }
static json_object *u64(uint64_t v) { return json_object_new_int64((int64_t) v); }
static json_object *u64_nonzero(uint64_t v) { return v ? u64(v) : NULL; }
static json_object *dbl(double v) { return json_object_new_double(v); }

/* An enum the library mapped: only the wire's "unknown" may give its 0. */
static void enum_known(const char *what, int value, const char *name) {
        if (value == 0 && strcmp(name ?: "", "unknown") != 0)
                fail_msg("%s '%s': libprivmem gives it no enum value (0, unknown)", what, name ?: "(none)");
}

static json_object *rebuild_owner(const privmem_lease *l) {
        json_object *o = json_object_new_object();
        enum_known("Owner.kind", privmem_lease_owner_kind(l), privmem_lease_owner_kind_name(l));
        add(o, SCHEMA_OWNER_KIND, str(privmem_lease_owner_kind_name(l)));
        add(o, SCHEMA_OWNER_PID, u64_nonzero((uint64_t) privmem_lease_owner_pid(l)));
        add(o, SCHEMA_OWNER_COMMAND, str(privmem_lease_owner_command(l)));
        add(o, SCHEMA_OWNER_DOMAIN, str(privmem_lease_owner_domain(l)));
        add(o, SCHEMA_OWNER_DOMAIN_NAME, str(privmem_lease_owner_domain_name(l)));
        return o;
}

static json_object *rebuild_lease(const privmem_lease *l) {
        json_object *o = json_object_new_object();
        enum_known("Lease.state", privmem_lease_state(l), privmem_lease_state_name(l));
        add(o, SCHEMA_LEASE_ID, str(privmem_lease_id(l)));
        add(o, SCHEMA_LEASE_POOL, str(privmem_lease_pool(l)));
        add(o, SCHEMA_LEASE_SIZE, u64(privmem_lease_size(l)));
        add(o, SCHEMA_LEASE_STATE, str(privmem_lease_state_name(l)));
        add(o, SCHEMA_LEASE_OWNER, rebuild_owner(l));
        add(o, SCHEMA_LEASE_UID, u64(privmem_lease_uid(l)));
        add(o, SCHEMA_LEASE_LEAKED_BYTES, u64_nonzero(privmem_lease_leaked_bytes(l)));
        add(o, SCHEMA_LEASE_AGE, dbl(privmem_lease_age(l)));
        add(o, SCHEMA_LEASE_TAG, str(privmem_lease_tag(l)));
        add(o, SCHEMA_LEASE_HUGE_BYTES, privmem_lease_huge_bytes(l) >= 0 ? u64((uint64_t) privmem_lease_huge_bytes(l)) : NULL);
        return o;
}

static json_object *rebuild_huge(const privmem_pool *p) {
        struct privmem_pool_huge h = { .size = sizeof(h) };
        if (privmem_pool_huge(p, &h) <= 0)
                return NULL;
        json_object *o = json_object_new_object();
        add(o, SCHEMA_HUGE_READY_HUGE_BYTES, u64(h.ready_huge_bytes));
        add(o, SCHEMA_HUGE_POPULATED_BYTES, u64(h.populated_bytes));
        add(o, SCHEMA_HUGE_POPULATED_HUGE_BYTES, u64(h.populated_huge_bytes));
        add(o, SCHEMA_HUGE_SHORT_MEMFDS, u64(h.short_memfds));
        add(o, SCHEMA_HUGE_MIN_PERCENT, u64(h.min_percent));
        add(o, SCHEMA_HUGE_FALLBACK, str(h.fallback));
        add(o, SCHEMA_HUGE_HOST_GIVES_HUGE, h.host_gives_huge >= 0 ? json_object_new_boolean(h.host_gives_huge) : NULL);
        add(o, SCHEMA_HUGE_HOST_ADVICE, str(h.host_advice));
        return o;
}

static json_object *rebuild_class(const privmem_pool *p, size_t i) {
        json_object *o = json_object_new_object();
        add(o, SCHEMA_SIZE_CLASS_SIZE, u64(privmem_pool_class_size(p, i)));
        add(o, SCHEMA_SIZE_CLASS_TARGET, u64(privmem_pool_class_target(p, i)));
        add(o, SCHEMA_SIZE_CLASS_READY, u64(privmem_pool_class_ready(p, i)));
        add(o, SCHEMA_SIZE_CLASS_BUILDING, u64(privmem_pool_class_building(p, i)));
        add(o, SCHEMA_SIZE_CLASS_LENT, u64(privmem_pool_class_lent(p, i)));
        return o;
}

static json_object *rebuild_pool(const privmem_pool *p) {
        json_object *o = json_object_new_object(), *classes = json_object_new_array();
        enum_known("Pool.backing", privmem_pool_backing(p), privmem_pool_backing_name(p));
        enum_known("Pool.state", privmem_pool_state(p), privmem_pool_state_name(p));
        for (size_t i = 0; i < privmem_pool_n_classes(p); i++)
                json_object_array_add(classes, rebuild_class(p, i));
        add(o, SCHEMA_POOL_NAME, str(privmem_pool_name(p)));
        add(o, SCHEMA_POOL_BACKING, str(privmem_pool_backing_name(p)));
        add(o, SCHEMA_POOL_PAGE_SIZE, u64(privmem_pool_page_size(p)));
        add(o, SCHEMA_POOL_NUMA_NODE, privmem_pool_numa_node(p) >= 0 ? u64((uint64_t) privmem_pool_numa_node(p)) : NULL);
        add(o, SCHEMA_POOL_SEAL_GUEST, json_object_new_boolean(privmem_pool_seal_guest(p)));
        add(o, SCHEMA_POOL_CLASSES, classes);
        add(o, SCHEMA_POOL_BYTES_READY, u64(privmem_pool_bytes_ready(p)));
        add(o, SCHEMA_POOL_BYTES_LENT, u64(privmem_pool_bytes_lent(p)));
        add(o, SCHEMA_POOL_BYTES_OTHER, u64(privmem_pool_bytes_other(p)));
        add(o, SCHEMA_POOL_LIMIT, u64(privmem_pool_limit(p)));
        add(o, SCHEMA_POOL_QUOTA_PER_UID, u64(privmem_pool_quota_per_uid(p)));
        add(o, SCHEMA_POOL_STATE, str(privmem_pool_state_name(p)));
        add(o, SCHEMA_POOL_LAST_ERROR, str(privmem_pool_last_error(p)));
        if (privmem_pool_failure_name(p))
                enum_known("Pool.failure", privmem_pool_failure(p), privmem_pool_failure_name(p));
        add(o, SCHEMA_POOL_FAILURE, str(privmem_pool_failure_name(p)));
        add(o, SCHEMA_POOL_HUGE, rebuild_huge(p));
        return o;
}

static json_object *rebuild_libvirt_link(const privmem_status *s) {
        if (!privmem_status_libvirt_state_name(s))
                return NULL;
        json_object *o = json_object_new_object();
        enum_known("LibvirtLink.state", privmem_status_libvirt_state(s), privmem_status_libvirt_state_name(s));
        add(o, SCHEMA_LIBVIRT_LINK_STATE, str(privmem_status_libvirt_state_name(s)));
        add(o, SCHEMA_LIBVIRT_LINK_URI, str(privmem_status_libvirt_uri(s)));
        add(o, SCHEMA_LIBVIRT_LINK_SINCE, dbl(privmem_status_libvirt_since(s)));
        add(o, SCHEMA_LIBVIRT_LINK_LAST_ERROR, str(privmem_status_libvirt_last_error(s)));
        return o;
}

static json_object *rebuild_status(const privmem_status *s) {
        json_object *o = json_object_new_object();
        add(o, SCHEMA_STATUS_VERSION, str(privmem_status_version(s)));
        add(o, SCHEMA_STATUS_UPTIME, dbl(privmem_status_uptime(s)));
        add(o, SCHEMA_STATUS_CONNECTIONS, u64(privmem_status_connections(s)));
        add(o, SCHEMA_STATUS_POOLS, u64(privmem_status_pools(s)));
        add(o, SCHEMA_STATUS_LEASES, u64(privmem_status_leases(s)));
        add(o, SCHEMA_STATUS_LIBVIRT, rebuild_libvirt_link(s));
        add(o, SCHEMA_STATUS_WORKERS, u64(privmem_status_workers(s)));
        add(o, SCHEMA_STATUS_STUCK_WORKERS, u64(privmem_status_stuck_workers(s)));
        add(o, SCHEMA_STATUS_STUCK_SINCE, privmem_status_stuck_since(s) >= 0 ? dbl(privmem_status_stuck_since(s)) : NULL);
        return o;
}

static json_object *rebuild_histogram(const privmem_histogram *h) {
        json_object *o = json_object_new_object(), *buckets = json_object_new_array();
        for (size_t i = 0; i < privmem_histogram_n_buckets(h); i++) {
                json_object *b = json_object_new_object();
                add(b, SCHEMA_BUCKET_LE, dbl(privmem_histogram_bucket_le(h, i)));
                add(b, SCHEMA_BUCKET_COUNT, u64(privmem_histogram_bucket_count(h, i)));
                json_object_array_add(buckets, b);
        }
        add(o, SCHEMA_HISTOGRAM_BUCKETS, buckets);
        add(o, SCHEMA_HISTOGRAM_COUNT, u64(privmem_histogram_count(h)));
        add(o, SCHEMA_HISTOGRAM_SUM, dbl(privmem_histogram_sum(h)));
        return o;
}

static json_object *rebuild_metrics(const privmem_metrics *m) {
        json_object *o = json_object_new_object(), *acquires = json_object_new_array();
        for (size_t i = 0; i < privmem_metrics_n_acquire_results(m); i++) {
                json_object *a = json_object_new_object();
                add(a, SCHEMA_ACQUIRE_COUNT_RESULT, str(privmem_metrics_acquire_result(m, i)));
                add(a, SCHEMA_ACQUIRE_COUNT_COUNT, u64(privmem_metrics_acquire_count(m, i)));
                json_object_array_add(acquires, a);
        }
        add(o, SCHEMA_METRICS_ACQUIRES, acquires);
        add(o, SCHEMA_METRICS_INVALIDATIONS, u64(privmem_metrics_invalidations(m)));
        add(o, SCHEMA_METRICS_LEAKS, u64(privmem_metrics_leaks(m)));
        add(o, SCHEMA_METRICS_ACQUIRE_SECONDS, rebuild_histogram(privmem_metrics_acquire_seconds(m)));
        add(o, SCHEMA_METRICS_REFILL_SECONDS, rebuild_histogram(privmem_metrics_refill_seconds(m)));
        json_object *pools = json_object_new_array();
        for (size_t i = 0; i < privmem_metrics_n_pools(m); i++) {
                json_object *p = json_object_new_object();
                add(p, SCHEMA_POOL_METRICS_POOL, str(privmem_metrics_pool_name(m, i)));
                add(p, SCHEMA_POOL_METRICS_POPULATE_TIMEOUTS, u64(privmem_metrics_pool_populate_timeouts(m, i)));
                add(p, SCHEMA_POOL_METRICS_STUCK_WORKERS, u64(privmem_metrics_pool_stuck_workers(m, i)));
                json_object_array_add(pools, p);
        }
        add(o, SCHEMA_METRICS_POOLS, pools);
        return o;
}

static json_object *rebuild_event(const privmem_event *e) {
        json_object *o = json_object_new_object();
        enum_known("Event.kind", privmem_event_kind(e), privmem_event_kind_name(e));
        add(o, SCHEMA_EVENT_KIND, str(privmem_event_kind_name(e)));
        add(o, SCHEMA_EVENT_TIMESTAMP, u64(privmem_event_timestamp(e)));
        add(o, SCHEMA_EVENT_LEASE, privmem_event_lease(e) ? rebuild_lease(privmem_event_lease(e)) : NULL);
        add(o, SCHEMA_EVENT_POOL, str(privmem_event_pool(e)));
        add(o, SCHEMA_EVENT_SIZE, u64_nonzero(privmem_event_size(e)));
        add(o, SCHEMA_EVENT_REASON, str(privmem_event_reason(e)));
        if (privmem_event_cause_name(e))
                enum_known("Event.cause", privmem_event_cause(e), privmem_event_cause_name(e));
        add(o, SCHEMA_EVENT_CAUSE, str(privmem_event_cause_name(e)));
        return o;
}

/* Each type a reply carries: parsed as the library parses that reply, rebuilt from the getters. */
static json_object *codec_status(json_object *o) {
        _cleanup_(privmem_status_freep) privmem_status *s = NULL;
        assert_int_equal(status_from_json(o, &s), 0);
        return rebuild_status(s);
}

static json_object *codec_lease(json_object *o) {
        _cleanup_(privmem_lease_freep) privmem_lease *l = NULL;
        assert_int_equal(lease_from_json(o, &l), 0);
        return rebuild_lease(l);
}

static json_object *codec_pool(json_object *o) {
        _cleanup_(privmem_pool_list_freep) privmem_pool_list *list = NULL;
        json_object *array = json_object_new_array();
        json_object_array_add(array, json_object_get(o));
        int r = pool_list_from_json(array, &list);
        json_object_put(array);
        assert_int_equal(r, 0);
        return rebuild_pool(privmem_pool_list_get(list, 0));
}

static json_object *codec_metrics(json_object *o) {
        _cleanup_(privmem_metrics_freep) privmem_metrics *m = NULL;
        assert_int_equal(metrics_from_json(o, &m), 0);
        return rebuild_metrics(m);
}

static json_object *codec_event(json_object *o) {
        _cleanup_(privmem_event_freep) privmem_event *e = NULL;
        json_object *reply = json_object_new_object();
        json_object_object_add(reply, SCHEMA_WATCH_EVENT, json_object_get(o));
        int r = event_from_json(reply, &e);
        json_object_put(reply);
        assert_int_equal(r, 0);
        return rebuild_event(e);
}

static const struct {
        const char *type;
        json_object *(*codec)(json_object *o);
} codecs[] = {
        { "Status", codec_status },
        { "Lease", codec_lease },
        { "Pool", codec_pool },
        { "Metrics", codec_metrics },
        { "Event", codec_event },
};

/* "?[]Lease" -> "Lease"; NULL for a type that is not a named type (int, enum, ...). */
static const char *named_type(const IdlField *f) {
        const char *t = f->type;
        while (*t == '?' || *t == '[' || *t == ']')
                t++;
        return idl_find(&idl, SCHEMA_TYPE, t) ? t : NULL;
}

static size_t max_enum_values(void) {
        size_t n = 2;   /* both values of the bools */
        for (size_t i = 0; i < idl.n_members; i++)
                for (size_t k = 0; k < idl.members[i].n_fields; k++)
                        n = idl.members[i].fields[k].n_values > n ? idl.members[i].fields[k].n_values : n;
        return n;
}

static void round_trip(const char *type, json_object *(*codec)(json_object *o), unsigned variant) {
        Gen g = { .variant = variant };
        json_object *sent = gen_type(&g, type), *back = codec(sent);

        json_object_object_foreach(sent, key, value) {
                json_object *v = NULL;
                if (!json_object_object_get_ex(back, key, &v) || !json_object_equal(value, v))
                        fail_msg("%s.%s: privmemd sends %s, libprivmem gives back %s", type, key,
                                 json_object_to_json_string(value), v ? json_object_to_json_string(v) : "nothing");
        }
        assert_true(json_object_equal(sent, back));
        json_object_put(sent);
        json_object_put(back);
}

static void test_client_keeps_every_field(void **state) {
        size_t checked = 0;

        for (size_t i = 0; i < idl.n_members; i++) {
                const IdlMember *m = &idl.members[i];
                if (m->kind != SCHEMA_METHOD_OUT)
                        continue;
                for (size_t k = 0; k < m->n_fields; k++) {
                        const char *type = named_type(&m->fields[k]);
                        size_t c = 0;
                        if (!type)
                                continue;
                        while (c < ELEMENTSOF(codecs) && strcmp(codecs[c].type, type) != 0)
                                c++;
                        if (c == ELEMENTSOF(codecs))
                                fail_msg("%s returns %s: libprivmem has no parser for it here", m->name, type);
                        for (unsigned v = 0; v < max_enum_values(); v++)
                                round_trip(type, codecs[c].codec, v);
                        checked++;
                }
        }
        assert_true(checked >= 5);
}

/* Every error of the IDL gets its own errno and a message that names each of its parameters. */
static void test_client_knows_every_error(void **state) {
        privmem p = {};
        size_t checked = 0;

        for (size_t i = 0; i < idl.n_members; i++) {
                const IdlMember *m = &idl.members[i];
                char name[2 * IDL_MAX_NAME];
                Gen g = {};

                if (m->kind != SCHEMA_ERROR)
                        continue;
                snprintf(name, sizeof(name), "%s.%s", idl.interface, m->name);
                json_object *params = json_object_new_object();
                for (size_t k = 0; k < m->n_fields; k++)
                        json_object_object_add(params, m->fields[k].name, gen_value(&g, &m->fields[k], m->fields[k].type));
                int r = privmem_error_from_reply(&p, name, params, false);
                const char *message = privmem_last_error_message(&p);
                if (r == -EIO || !message || strncmp(message, "privmemd answered", 17) == 0)
                        fail_msg("%s: libprivmem does not know it (%d, '%s')", name, r, message ?: "");
                assert_string_equal(privmem_last_error_name(&p), name);
                json_object_object_foreach(params, key, value)
                        if (!strstr(message, json_object_get_string(value)))
                                fail_msg("%s: the message '%s' does not say %s (%s)", name, message, key,
                                         json_object_get_string(value));
                json_object_put(params);
                checked++;
        }
        privmem_error_clear(&p);
        assert_true(checked >= 9);
}

/* privmem.h spells the error names for callers, common/schema for privmemd: each pair must agree,
 * every error of the IDL must have its public name, and privmem.h may define no other. */
static const struct {
        const char *public, *schema;
} error_names[] = {
        { PRIVMEM_ERROR_NO_SUCH_POOL, SCHEMA_ERROR_NO_SUCH_POOL },
        { PRIVMEM_ERROR_NO_SUCH_LEASE, SCHEMA_ERROR_NO_SUCH_LEASE },
        { PRIVMEM_ERROR_INVALID_SIZE, SCHEMA_ERROR_INVALID_SIZE },
        { PRIVMEM_ERROR_POOL_EXHAUSTED, SCHEMA_ERROR_POOL_EXHAUSTED },
        { PRIVMEM_ERROR_QUOTA_EXCEEDED, SCHEMA_ERROR_QUOTA_EXCEEDED },
        { PRIVMEM_ERROR_TOO_MANY_LEASES, SCHEMA_ERROR_TOO_MANY_LEASES },
        { PRIVMEM_ERROR_NO_SUCH_DOMAIN, SCHEMA_ERROR_NO_SUCH_DOMAIN },
        { PRIVMEM_ERROR_LIBVIRT_UNAVAILABLE, SCHEMA_ERROR_LIBVIRT_UNAVAILABLE },
        { PRIVMEM_ERROR_BAD_CONFIGURATION, SCHEMA_ERROR_BAD_CONFIGURATION },
        { PRIVMEM_ERROR_SYSTEM_ERROR, SCHEMA_ERROR_SYSTEM_ERROR },
        { PRIVMEM_ERROR_PERMISSION_DENIED, SCHEMA_ERROR_PERMISSION_DENIED },
};

static const char *public_header;       /* privmem.h's path, the test's argument */

static bool error_name_public(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(error_names); i++)
                if (strcmp(error_names[i].public, name) == 0)
                        return true;
        return false;
}

/* The "#define PRIVMEM_ERROR_" lines of privmem.h. */
static size_t public_error_defines(void) {
        FILE *f = fopen(public_header, "re");
        char line[512];
        size_t n = 0;

        if (!f)
                fail_msg("cannot open the public header '%s': %s", public_header, strerror(errno));
        while (fgets(line, sizeof(line), f))
                n += strncmp(line, "#define PRIVMEM_ERROR_", strlen("#define PRIVMEM_ERROR_")) == 0;
        fclose(f);
        return n;
}

static void test_public_error_names(void **state) {
        size_t checked = 0;

        for (size_t i = 0; i < ELEMENTSOF(error_names); i++)
                if (strcmp(error_names[i].public, error_names[i].schema) != 0)
                        fail_msg("privmem.h says %s, common/schema %s", error_names[i].public, error_names[i].schema);
        for (size_t i = 0; i < idl.n_members; i++) {
                char name[2 * IDL_MAX_NAME];
                if (idl.members[i].kind != SCHEMA_ERROR)
                        continue;
                snprintf(name, sizeof(name), "%s.%s", idl.interface, idl.members[i].name);
                if (!error_name_public(name))
                        fail_msg("error %s of the IDL has no PRIVMEM_ERROR_ macro in privmem.h (and in this test's table)", name);
                checked++;
        }
        assert_true(checked >= 10);
        if (public_error_defines() != ELEMENTSOF(error_names))
                fail_msg("privmem.h defines %zu PRIVMEM_ERROR_ macros, this test's table checks %zu", public_error_defines(),
                         ELEMENTSOF(error_names));
}

/* A lease of a libvirt domain, as privmemd describes it, through the library's getters. */
static void test_domain_owner(void **state) {
        static const char text[] =
                "{\"id\": \"0123456789abcdef\", \"pool\": \"vm\", \"size\": 2097152, \"state\": \"active\","
                " \"owner\": {\"kind\": \"domain\", \"pid\": 4242, \"command\": \"qemu-system-x86\","
                " \"domain\": \"6f1ee0a4-5c5a-4d4e-9d4e-1f2a3b4c5d6e\", \"domainName\": \"guest-1\"},"
                " \"uid\": 0, \"age\": 1.5}";
        _cleanup_(privmem_lease_freep) privmem_lease *l = NULL;
        json_object *o = json_tokener_parse(text);

        assert_int_equal(lease_from_json(o, &l), 0);
        json_object_put(o);
        assert_int_equal(privmem_lease_owner_kind(l), PRIVMEM_OWNER_DOMAIN);
        assert_string_equal(privmem_lease_owner_kind_name(l), "domain");
        assert_string_equal(privmem_lease_owner_domain(l), "6f1ee0a4-5c5a-4d4e-9d4e-1f2a3b4c5d6e");
        assert_string_equal(privmem_lease_owner_domain_name(l), "guest-1");
        assert_int_equal(privmem_lease_owner_pid(l), 4242);
        assert_string_equal(privmem_lease_owner_command(l), "qemu-system-x86");
}

/* A kind a later privmemd may add is kept by name, and is not taken for another. */
static void test_unknown_values_kept_by_name(void **state) {
        _cleanup_(privmem_lease_freep) privmem_lease *l = NULL;
        json_object *o = json_tokener_parse(
                "{\"id\": \"0123456789abcdef\", \"pool\": \"vm\", \"size\": 4096, \"state\": \"frozen\","
                " \"owner\": {\"kind\": \"cgroup\"}, \"uid\": 0, \"age\": 0}");

        assert_int_equal(lease_from_json(o, &l), 0);
        json_object_put(o);
        assert_int_equal(privmem_lease_state(l), PRIVMEM_LEASE_UNKNOWN);
        assert_string_equal(privmem_lease_state_name(l), "frozen");
        assert_int_equal(privmem_lease_owner_kind(l), PRIVMEM_OWNER_UNKNOWN);
        assert_string_equal(privmem_lease_owner_kind_name(l), "cgroup");
}

/* A pool with a huge pages report, for the struct size tests. */
static privmem_pool_list *huge_pool_list(void) {
        privmem_pool_list *list = NULL;
        Gen g = {};
        json_object *array = json_object_new_array();

        json_object_array_add(array, gen_type(&g, "Pool"));
        assert_int_equal(pool_list_from_json(array, &list), 0);
        json_object_put(array);
        return list;
}

/* struct privmem_pool_huge grows at its end: a caller built against an older header gets what
 * its struct holds, one built against a newer header gets the rest zeroed and learns from size
 * what was filled; a size smaller than LIBPRIVMEM_0.3's is refused. */
static void test_pool_huge_size(void **state) {
        _cleanup_(privmem_pool_list_freep) privmem_pool_list *list = huge_pool_list();
        const privmem_pool *p = privmem_pool_list_get(list, 0);
        struct privmem_pool_huge h = { .size = sizeof(h) };
        struct {
                struct privmem_pool_huge h;
                uint64_t later[4];
        } newer;
        const size_t v0_3 = offsetof(struct privmem_pool_huge, host_advice) + sizeof(const char *);

        assert_int_equal(privmem_pool_huge(p, &h), 1);
        assert_int_equal(h.size, sizeof(h));
        assert_non_null(h.fallback);
        assert_int_equal(privmem_pool_huge(p, NULL), 1);

        memset(&newer, 0xa5, sizeof(newer));
        newer.h.size = sizeof(newer);
        assert_int_equal(privmem_pool_huge(p, &newer.h), 1);
        assert_int_equal(newer.h.size, sizeof(struct privmem_pool_huge));
        assert_int_equal(newer.h.ready_huge_bytes, h.ready_huge_bytes);
        assert_ptr_equal(newer.h.host_advice, h.host_advice);
        for (size_t i = 0; i < ELEMENTSOF(newer.later); i++)
                assert_int_equal(newer.later[i], 0);

        struct privmem_pool_huge small = { .size = v0_3 - 1 };
        assert_int_equal(privmem_pool_huge(p, &small), -EINVAL);
        assert_int_equal(privmem_pool_huge(NULL, &small), -EINVAL);
        struct privmem_pool_huge none = { .size = 0 }, unset = { .size = 4097 };
        assert_int_equal(privmem_pool_huge(p, &none), -EINVAL);
        assert_int_equal(privmem_pool_huge(p, &unset), -EINVAL);       /* no struct is that large: size never set */
        assert_int_equal(privmem_pool_huge(NULL, &h), 0);
}

int main(int argc, char *argv[]) {
        if (argc != 2) {
                fprintf(stderr, "usage: %s PRIVMEM.H\n", argv[0]);
                return EXIT_FAILURE;
        }
        public_header = argv[1];
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_schema_is_the_idl),
                cmocka_unit_test(test_client_keeps_every_field),
                cmocka_unit_test(test_client_knows_every_error),
                cmocka_unit_test(test_public_error_names),
                cmocka_unit_test(test_domain_owner),
                cmocka_unit_test(test_unknown_values_kept_by_name),
                cmocka_unit_test(test_pool_huge_size),
        };
        return cmocka_run_group_tests(tests, setup, NULL);
}
