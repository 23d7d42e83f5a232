/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bad sizes, pools, options and raw parameters get their errors, and privmemd keeps serving. */
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper.h"
#include "util/macro.h"
#include "varlink/varlink-client.h"

static const char config[] =
        "[pool a]\n"
        "sizes = 4M:1\n"
        "limit = 64M\n";

static void check_failure(privmem *p, int r, int expected, const char *name, const char *part, const char *what) {
        check_errno(p, r, expected, what);
        check(str_eq(privmem_last_error_name(p), name) || (!name && !privmem_last_error_name(p)),
              "%s: error %s, expected %s", what, privmem_last_error_name(p) ?: "(local)", name ?: "(local)");
        const char *m = privmem_last_error_message(p);
        check(m && strstr(m, part), "%s: message '%s' does not say '%s'", what, m ?: "(none)", part);
}

static void test_sizes(privmem *p) {
        int fd = -1;
        check_failure(p, privmem_acquire(p, "a", 4097, NULL, &fd, NULL), -EINVAL, PRIVMEM_ERROR_INVALID_SIZE,
                      "size 4097 is not a positive multiple of the page size 4096", "4097 bytes");
        check_failure(p, privmem_acquire(p, "a", 0, NULL, &fd, NULL), -EINVAL, NULL, "size 0", "0 bytes");
        check_failure(p, privmem_acquire(p, "a", UINT64_MAX, NULL, &fd, NULL), -EINVAL, NULL,
                      "18446744073709551615", "2^64-1 bytes");
        /* quota_per_uid defaults to the limit, and is checked first */
        check_failure(p, privmem_acquire(p, "a", 128 * MiB, NULL, &fd, NULL), -EDQUOT, PRIVMEM_ERROR_QUOTA_EXCEEDED,
                      "limit 67108864, used 0, requested 134217728", "128M from a pool of 64M");
        check_failure(p, privmem_acquire(p, "a", UINT64_C(1) << 62, NULL, &fd, NULL), -EDQUOT, PRIVMEM_ERROR_QUOTA_EXCEEDED,
                      "requested 4611686018427387904", "2^62 bytes");
        check(fd == -1, "a failed Acquire wrote fd %d", fd);
}

static void test_names(privmem *p) {
        int fd = -1;
        check_failure(p, privmem_acquire(p, "nope", 4 * MiB, NULL, &fd, NULL), -ENOENT, PRIVMEM_ERROR_NO_SUCH_POOL,
                      "no pool 'nope'", "pool 'nope'");
        check_failure(p, privmem_acquire(p, "", 4 * MiB, NULL, &fd, NULL), -EINVAL, NULL, "no pool name", "pool ''");
        check_failure(p, privmem_release(p, "no-such-lease"), -ENOENT, PRIVMEM_ERROR_NO_SUCH_LEASE,
                      "no lease 'no-such-lease'", "Release of an unknown id");
        check_failure(p, privmem_release(p, ""), -EINVAL, NULL, "no lease id", "Release of ''");
}

static void test_options(privmem *p) {
        struct { struct privmem_acquire_options o; uint64_t future; } big = { .o.size = sizeof(big), .future = 1 };
        struct privmem_acquire_options o = { .size = 8 };
        int fd = -1, pipefd[2];

        check_failure(p, privmem_acquire(p, "a", 4 * MiB, &o, &fd, NULL), -EINVAL, NULL, "options size 8", "options size 8");
        check_failure(p, privmem_acquire(p, "a", 4 * MiB, &big.o, &fd, NULL), -E2BIG, NULL, "is not zero", "unknown options");
        big.future = 0;
        big.o.size = 4097;  /* never read beyond the struct: refused before */
        check_failure(p, privmem_acquire(p, "a", 4 * MiB, &big.o, &fd, NULL), -E2BIG, NULL, "options size 4097, at most 4096",
                      "options of 4097 bytes");
        big.o.size = sizeof(big);
        check_ok(p, privmem_acquire(p, "a", 4 * MiB, &big.o, &fd, NULL), "longer options, zero beyond");
        close(fd);
        o = (struct privmem_acquire_options) { .size = sizeof(o), .flags = 1 << 20 };
        check_failure(p, privmem_acquire(p, "a", 4 * MiB, &o, &fd, NULL), -EINVAL, NULL, "unknown flags 0x100000", "flag 1<<20");
        check(pipe2(pipefd, O_CLOEXEC) == 0, "pipe: %m");
        o = (struct privmem_acquire_options) { .size = sizeof(o), .flags = PRIVMEM_ACQUIRE_OWNER_PIDFD, .owner_pidfd = pipefd[0] };
        check_errno(p, privmem_acquire(p, "a", 4 * MiB, &o, &fd, NULL), -EINVAL, "a pipe as owner pidfd");
        close(pipefd[0]);
        close(pipefd[1]);
}

/* ownerDomain goes on the wire; this privmemd has no [libvirt] section to serve it. */
static void test_owner_domain(privmem *p) {
        struct privmem_acquire_options o = { .size = sizeof(o), .flags = PRIVMEM_ACQUIRE_OWNER_DOMAIN,
                                             .owner_domain = "guest-1" };
        int fd = -1;

        check_failure(p, privmem_acquire(p, "a", 4 * MiB, &o, &fd, NULL), -EHOSTDOWN, PRIVMEM_ERROR_LIBVIRT_UNAVAILABLE,
                      "libvirt is unavailable: ", "an owner domain without [libvirt]");
        o.owner_domain = "";
        check_failure(p, privmem_acquire(p, "a", 4 * MiB, &o, &fd, NULL), -EINVAL, NULL, "no owner domain", "owner domain ''");
        o = (struct privmem_acquire_options) { .size = offsetof(struct privmem_acquire_options, owner_domain),
                                               .flags = PRIVMEM_ACQUIRE_OWNER_DOMAIN };
        check_failure(p, privmem_acquire(p, "a", 4 * MiB, &o, &fd, NULL), -EINVAL, NULL, "needs options of size",
                      "an owner domain in options of LIBPRIVMEM_0.2's size");
        o = (struct privmem_acquire_options) { .size = sizeof(o), .owner_domain = "guest-1",
                                               .flags = PRIVMEM_ACQUIRE_OWNER_DOMAIN | PRIVMEM_ACQUIRE_BIND_TO_CONNECTION };
        check_failure(p, privmem_acquire(p, "a", 4 * MiB, &o, &fd, NULL), -EINVAL, NULL, "excludes", "domain and connection");
        check(fd == -1, "a failed Acquire wrote fd %d", fd);
}

/* Parameters the library would never send, straight on the wire. */
static void raw_call(const TestDaemon *d, const char *method, const char *json, const char *error, const char *what) {
        VarlinkClient *c = NULL;
        VarlinkReply reply = {};
        int r = varlink_client_connect(&c, d->socket);
        check(r >= 0, "connect: %d", r);
        json_object *params = json_tokener_parse(json);
        check(params, "test bug: '%s' is not JSON", json);
        r = varlink_client_call(c, method, params, &reply);
        check(r >= 0, "%s: %s(%s) got no reply: %d", what, method, json, r);
        check(str_eq(reply.error, error), "%s: %s(%s) answered %s, expected %s", what, method, json,
              reply.error ?: "success", error);
        varlink_reply_done(&reply);
        varlink_client_free(c);
}

static void test_raw(const TestDaemon *d) {
        raw_call(d, "io.privmemd.Acquire", "{\"pool\":\"a\",\"size\":-4096}", "io.privmemd.InvalidSize", "negative size");
        raw_call(d, "io.privmemd.Acquire", "{\"pool\":\"a\",\"size\":\"4M\"}", "org.varlink.service.InvalidParameter", "size a string");
        raw_call(d, "io.privmemd.Acquire", "{\"size\":4096}", "org.varlink.service.InvalidParameter", "no pool");
        raw_call(d, "io.privmemd.Acquire", "{\"pool\":\"a\",\"size\":4096,\"x\":1}", "org.varlink.service.InvalidParameter", "unknown field");
        raw_call(d, "io.privmemd.Acquire", "{\"pool\":\"a\",\"size\":4096,\"ownerFileDescriptor\":0}",
                 "org.varlink.service.InvalidParameter", "owner fd index without an fd");
        raw_call(d, "io.privmemd.Release", "{\"id\":42}", "org.varlink.service.InvalidParameter", "id a number");
        raw_call(d, "io.privmemd.GetLease", "{}", "org.varlink.service.InvalidParameter", "no id");
        raw_call(d, "io.privmemd.ListLeases", "{\"pool\":7}", "org.varlink.service.InvalidParameter", "pool a number");
}

/* Acquire takes one fd (ownerFileDescriptor): a call with more is refused, the connection stays,
 * and none of the fds stays open in privmemd (beyond the one, the kernel drops them unopened). */
static void test_too_many_fds(const TestDaemon *d) {
        static const size_t counts[] = { 2, 253 };
        VarlinkClient *c = NULL;
        int r = varlink_client_connect(&c, d->socket);
        check(r >= 0, "connect: %d", r);
        unsigned before = test_daemon_count_fds_to(d, "/dev/null");

        for (size_t i = 0; i < ELEMENTSOF(counts); i++) {
                int fds[253];
                VarlinkReply reply = {};
                for (size_t k = 0; k < counts[i]; k++)
                        check((fds[k] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0, "open /dev/null: %m");
                json_object *params = json_tokener_parse("{\"pool\":\"a\",\"size\":4096,\"ownerFileDescriptor\":0}");
                r = varlink_client_send(c, "io.privmemd.Acquire", params, fds, counts[i], 0);
                check(r >= 0, "Acquire with %zu fds not sent: %d", counts[i], r);
                r = varlink_client_receive(c, &reply);
                check(r >= 0, "Acquire with %zu fds: no reply (%d): the connection must stay", counts[i], r);
                check(str_eq(reply.error, "org.varlink.service.InvalidParameter"),
                      "Acquire with %zu fds answered %s, expected InvalidParameter", counts[i], reply.error ?: "success");
                varlink_reply_done(&reply);
        }
        unsigned after = test_daemon_count_fds_to(d, "/dev/null");
        check(after == before, "privmemd holds %u fds of /dev/null after calls with too many of them, %u before",
              after, before);
        varlink_client_free(c);
}

int main(void) {
        test_init("bad-input", 30);
        TestDaemon *d = test_daemon_start(config);
        privmem *p = test_connect(d);
        test_sizes(p);
        test_names(p);
        test_options(p);
        test_owner_domain(p);
        test_raw(d);
        test_too_many_fds(d);
        privmem_status *s = NULL;
        check_ok(p, privmem_get_status(p, &s), "GetStatus after bad input");
        privmem_status_free(s);
        privmem_disconnect(p);
        test_daemon_stop(d);
        return 0;
}
