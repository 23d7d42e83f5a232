/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Acquire: checks the request, sends it with the owner's pidfd, checks the memfd that comes back. */
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>

#include "json-get.h"
#include "privmem-internal.h"
#include "schema/io-privmemd.h"

#define ACQUIRE_FLAGS_KNOWN (PRIVMEM_ACQUIRE_OWNER_PIDFD | PRIVMEM_ACQUIRE_BIND_TO_CONNECTION | PRIVMEM_ACQUIRE_NO_WAIT | \
                             PRIVMEM_ACQUIRE_OWNER_DOMAIN)
#define OPTIONS_SIZE_0_1 (offsetof(struct privmem_acquire_options, tag) + sizeof(const char *))
#define OPTIONS_SIZE_0_3 (offsetof(struct privmem_acquire_options, owner_domain) + sizeof(const char *))
/* openat2()'s bound: more than a page is a size never set, not options from the future. */
#define OPTIONS_SIZE_MAX 4096U

/* The owner domain, from options long enough to have one. */
static const char *owner_domain(const struct privmem_acquire_options *o) {
        return o && (o->flags & PRIVMEM_ACQUIRE_OWNER_DOMAIN) && o->size >= OPTIONS_SIZE_0_3 ? o->owner_domain : NULL;
}

static int owner_domain_check(privmem *p, const struct privmem_acquire_options *o) {
        if (!(o->flags & PRIVMEM_ACQUIRE_OWNER_DOMAIN))
                return 0;
        if (o->size < OPTIONS_SIZE_0_3)
                return privmem_error_local(p, -EINVAL, "acquire: an owner domain needs options of size %zu, got %zu",
                                           OPTIONS_SIZE_0_3, o->size);
        if (!o->owner_domain || !*o->owner_domain)
                return privmem_error_local(p, -EINVAL, "acquire: no owner domain");
        if (o->flags & (PRIVMEM_ACQUIRE_OWNER_PIDFD | PRIVMEM_ACQUIRE_BIND_TO_CONNECTION))
                return privmem_error_local(p, -EINVAL, "acquire: an owner domain excludes an owner pidfd and binding to the connection");
        return 0;
}

/* Options from a caller built against another version: shorter is an error, longer must be
 * zero beyond what this version knows (as openat2() does). */
static int options_check(privmem *p, const struct privmem_acquire_options *o) {
        if (o->size < OPTIONS_SIZE_0_1)
                return privmem_error_local(p, -EINVAL, "acquire: options size %zu, at least %zu expected",
                                           o->size, OPTIONS_SIZE_0_1);
        if (o->size > OPTIONS_SIZE_MAX)
                return privmem_error_local(p, -E2BIG, "acquire: options size %zu, at most %u: size never set?",
                                           o->size, OPTIONS_SIZE_MAX);
        for (size_t i = sizeof(*o); i < o->size; i++)
                if (((const uint8_t *) o)[i] != 0)
                        return privmem_error_local(p, -E2BIG, "acquire: options byte %zu of %zu is not zero: "
                                                   "unknown to this libprivmem", i, o->size);
        if (o->flags & ~(uint64_t) ACQUIRE_FLAGS_KNOWN)
                return privmem_error_local(p, -EINVAL, "acquire: unknown flags 0x%llx",
                                           (unsigned long long) (o->flags & ~(uint64_t) ACQUIRE_FLAGS_KNOWN));
        if ((o->flags & PRIVMEM_ACQUIRE_OWNER_PIDFD) && o->owner_pidfd < 0)
                return privmem_error_local(p, -EBADF, "acquire: owner pidfd %d", o->owner_pidfd);
        if ((o->flags & PRIVMEM_ACQUIRE_OWNER_PIDFD) && (o->flags & PRIVMEM_ACQUIRE_BIND_TO_CONNECTION))
                return privmem_error_local(p, -EINVAL, "acquire: an owner pidfd and binding to the connection exclude each other");
        return owner_domain_check(p, o);
}

static int request_check(privmem *p, const char *pool, uint64_t size, const struct privmem_acquire_options *o) {
        if (!pool || !*pool)
                return privmem_error_local(p, -EINVAL, "acquire: no pool name");
        if (size == 0 || size > INT64_MAX)
                return privmem_error_local(p, -EINVAL, "acquire: size %llu is not between 1 and %lld",
                                           (unsigned long long) size, (long long) INT64_MAX);
        return o ? options_check(p, o) : 0;
}

static json_object *request_new(const char *pool, uint64_t size, const struct privmem_acquire_options *o) {
        json_object *j = json_object_new_object();
        if (!j)
                return NULL;
        json_object_object_add(j, SCHEMA_ACQUIRE_POOL, json_object_new_string(pool));
        json_object_object_add(j, SCHEMA_ACQUIRE_SIZE, json_object_new_int64((int64_t) size));
        if (o && (o->flags & PRIVMEM_ACQUIRE_OWNER_PIDFD))
                json_object_object_add(j, SCHEMA_ACQUIRE_OWNER_FD, json_object_new_int(0));
        if (o && (o->flags & PRIVMEM_ACQUIRE_BIND_TO_CONNECTION))
                json_object_object_add(j, SCHEMA_ACQUIRE_BIND_TO_CONNECTION, json_object_new_boolean(true));
        if (owner_domain(o))
                json_object_object_add(j, SCHEMA_ACQUIRE_OWNER_DOMAIN, json_object_new_string(owner_domain(o)));
        if (o && (o->flags & PRIVMEM_ACQUIRE_NO_WAIT))
                json_object_object_add(j, SCHEMA_ACQUIRE_WAIT, json_object_new_boolean(false));
        if (o && o->tag)
                json_object_object_add(j, SCHEMA_ACQUIRE_TAG, json_object_new_string(o->tag));
        return j;
}

/* The memfd must be what the lease says: a regular file of exactly the size asked, O_CLOEXEC. */
static int memfd_check(privmem *p, int fd, uint64_t size) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                return privmem_error_local(p, -errno, "acquire: fstat of the memfd failed");
        if (!S_ISREG(st.st_mode) || (uint64_t) st.st_size != size)
                return privmem_error_local(p, -EPROTO, "acquire: privmemd sent a file of mode 0%o and size %lld for %llu bytes",
                                           (unsigned) st.st_mode, (long long) st.st_size, (unsigned long long) size);
        int flags = fcntl(fd, F_GETFD);
        if (flags < 0 || (!(flags & FD_CLOEXEC) && fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0))
                return privmem_error_local(p, -errno, "acquire: cannot make the memfd O_CLOEXEC");
        return 0;
}

static int reply_take(privmem *p, VarlinkReply *reply, const char *pool, uint64_t size,
                      int *ret_memfd, privmem_lease **ret_lease) {
        _cleanup_(privmem_lease_freep) privmem_lease *l = NULL;
        json_object *lease;
        uint64_t index;

        if (json_get_object(reply->parameters, SCHEMA_ACQUIRE_LEASE, &lease) < 0 || lease_from_json(lease, &l) < 0 ||
            json_get_u64(reply->parameters, SCHEMA_ACQUIRE_FD, &index) < 0)
                return privmem_error_local(p, -EPROTO, "acquire: privmemd's reply does not match " SCHEMA_METHOD_ACQUIRE);
        if (privmem_lease_size(l) != size || !streq(privmem_lease_pool(l), pool))
                return privmem_error_local(p, -EPROTO, "acquire: asked pool '%s' for %llu bytes, got a lease from '%s' of %llu",
                                           pool, (unsigned long long) size, privmem_lease_pool(l),
                                           (unsigned long long) privmem_lease_size(l));
        _cleanup_close_ int fd = varlink_reply_take_fd(reply, index > INT64_MAX ? -1 : (int64_t) index);
        if (fd < 0)
                return privmem_error_local(p, -EPROTO, "acquire: fileDescriptor %llu, but %zu fds came with the reply",
                                           (unsigned long long) index, reply->n_fds);
        int r = memfd_check(p, fd, size);
        if (r < 0)
                return r;
        *ret_memfd = TAKE_FD(fd);
        if (ret_lease)
                *ret_lease = TAKE_PTR(l);
        return 0;
}


_public_ int privmem_acquire(privmem *p, const char *pool, uint64_t size,
                             const struct privmem_acquire_options *opts,
                             int *ret_memfd, privmem_lease **ret_lease) {
        _cleanup_(varlink_reply_donep) VarlinkReply reply = {};
        int fds[1], n_fds = 0, r;

        if (!p || !ret_memfd)
                return -EINVAL;
        privmem_error_clear(p);
        r = request_check(p, pool, size, opts);
        if (r < 0)
                return r;
        json_object *request = request_new(pool, size, opts);
        if (!request)
                return -ENOMEM;
        if (opts && (opts->flags & PRIVMEM_ACQUIRE_OWNER_PIDFD)) {
                fds[n_fds] = fcntl(opts->owner_pidfd, F_DUPFD_CLOEXEC, 3);
                if (fds[n_fds++] < 0) {
                        json_object_put(request);
                        return privmem_error_local(p, -errno, "acquire: cannot duplicate owner pidfd %d", opts->owner_pidfd);
                }
        }
        r = privmem_call(p, SCHEMA_METHOD_ACQUIRE, request, fds, n_fds,
                         opts && (opts->flags & PRIVMEM_ACQUIRE_NO_WAIT), &reply);
        if (r < 0)
                return r;
        return reply_take(p, &reply, pool, size, ret_memfd, ret_lease);
}
