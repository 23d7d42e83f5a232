/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Recovery (manager/recover.c) alone: the fds a service manager hands back (from fd 3 on, named in
 * LISTEN_FDNAMES) and lease files in a temporary runtime directory, then manager_recover() on a
 * Manager made from a configuration file, as privmemd starts. $NOTIFY_SOCKET is the test's own
 * socket: what privmemd tells the fd store (FDSTORE=1, FDSTOREREMOVE=1) is applied to a list of
 * the names stored, which starts as the names passed. The memfds are real (shmem, 1 MiB, named as
 * privmemd names them); the test process is the owner lease files name. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/lease.h"
#include "core/pool.h"
#include "manager/manager.h"
#include "manager/recover.h"
#include "util/macro.h"

#define MiB (1024ULL * 1024)
#define POOL "test"
#define PASSED_MAX 8
#define HIGH_FD 100     /* the test's own fds live from here on, clear of the passed ones */
#define STORE_MAX 16
#define FIRST_SLOT 1296 /* "r100": names passed here, clear of the slots privmemd takes (from 1) */

typedef struct Passed {
        char name[32];
        int fd;
} Passed;

typedef struct Fixture {
        char dir[32];                   /* privmemd.conf, leases/ */
        char config[PATH_MAX], leases[PATH_MAX];
        Passed passed[PASSED_MAX];
        size_t n_passed;
        char store[STORE_MAX][32];      /* the names the service manager holds fds under */
        size_t n_store;
        Manager *m;
} Fixture;

static int notify_fd = -1;              /* $NOTIFY_SOCKET's other end */

static const char config_text[] =
        "[privmemd]\n"
        "workers = 1\n"
        "\n"
        "[pool " POOL "]\n"
        "sizes = 1M:0\n"
        "limit = 8M\n";

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        snprintf(f->dir, sizeof(f->dir), "/tmp/test-recover.XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->config, sizeof(f->config), "%s/privmemd.conf", f->dir);
        snprintf(f->leases, sizeof(f->leases), "%s/leases", f->dir);
        assert_int_equal(mkdir(f->leases, 0700), 0);
        FILE *c = fopen(f->config, "we");
        assert_non_null(c);
        fputs(config_text, c);
        assert_int_equal(fclose(c), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;
        DIR *d = opendir(f->leases);
        struct dirent *de;

        manager_free(f->m);
        for (size_t i = 0; i < f->n_passed; i++)
                safe_close(f->passed[i].fd);  /* those recovery did not take (it closes the rest) */
        while (d && (de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        (void) unlinkat(dirfd(d), de->d_name, 0);
        if (d)
                closedir(d);
        assert_int_equal(rmdir(f->leases), 0);
        assert_int_equal(unlink(f->config), 0);
        assert_int_equal(rmdir(f->dir), 0);
        free(f);
        return 0;
}

/* A memfd as privmemd makes one for pool: named privmemd:POOL:ID, 1 MiB, allocated, sealed. */
static int memfd_new(const char *pool, const char *id) {
        char name[64];
        snprintf(name, sizeof(name), "privmemd:%s:%s", pool, id);
        int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, (off_t) MiB), 0);
        assert_int_equal(fallocate(fd, 0, 0, (off_t) MiB), 0);
        assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), 0);
        return fd;
}

/* A copy of fd for the test to look at, clear of the passed fds. */
static int spy(int fd) {
        int s = fcntl(fd, F_DUPFD_CLOEXEC, HIGH_FD);
        assert_true(s >= HIGH_FD);
        return s;
}

static uint64_t allocated(int fd) {
        struct stat st;
        assert_int_equal(fstat(fd, &st), 0);
        return (uint64_t) st.st_blocks * 512;
}

/* Hands fd back as name: "l"/"r"/"o" and a slot, or a legacy name. A slot, once claimed, stays
 * claimed in this process (fdstore.c), so every test takes new ones. */
static void pass_named(Fixture *f, const char *name, int fd) {
        assert_true(fd >= 0 && f->n_passed < PASSED_MAX);
        Passed *p = &f->passed[f->n_passed++];
        snprintf(p->name, sizeof(p->name), "%s", name);
        p->fd = fcntl(fd, F_DUPFD_CLOEXEC, HIGH_FD);  /* out of the way of the fds 3, 4, ... */
        assert_true(p->fd >= HIGH_FD);
        close(fd);
}

static void pass(Fixture *f, char kind, int fd) {
        static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
        static unsigned slot = FIRST_SLOT;
        char name[8];
        unsigned s = slot++;
        assert_true(s < 36 * 36 * 36);
        snprintf(name, sizeof(name), "%c%c%c%c", kind, digits[s / 1296], digits[s / 36 % 36], digits[s % 36]);
        pass_named(f, name, fd);
}

/* The fd store as a list of names (a name may be there twice, as in systemd's). */
static void store_add(Fixture *f, const char *name) {
        assert_true(f->n_store < STORE_MAX);
        snprintf(f->store[f->n_store++], sizeof(f->store[0]), "%s", name);
}

static void store_remove(Fixture *f, const char *name) {
        for (size_t i = 0; i < f->n_store;)
                if (strcmp(f->store[i], name) == 0)
                        memmove(f->store[i], f->store[i + 1], (--f->n_store - i) * sizeof(f->store[0]));
                else
                        i++;
}

/* How many of the stored names are name, or (name of one letter) short names of that kind. */
static unsigned stored(const Fixture *f, const char *name) {
        unsigned n = 0;
        for (size_t i = 0; i < f->n_store; i++)
                n += strlen(name) == 1 ? f->store[i][0] == name[0] && strlen(f->store[i]) <= 4 && !strchr(f->store[i], '.')
                                       : strcmp(f->store[i], name) == 0;
        return n;
}

/* One notification: "FDSTORE=1\nFDNAME=x" adds x, "FDSTOREREMOVE=1\nFDNAME=x" removes it. */
static void store_apply(Fixture *f, const char *msg) {
        const char *name = strstr(msg, "FDNAME=");
        char n[32];
        if (!name)
                return;
        snprintf(n, sizeof(n), "%.*s", (int) strcspn(name + 7, "\n"), name + 7);
        if (strstr(msg, "FDSTOREREMOVE=1"))
                store_remove(f, n);
        else if (strstr(msg, "FDSTORE=1"))
                store_add(f, n);
}

/* Applies what privmemd sent to $NOTIFY_SOCKET to f's store (f NULL: drops it); the fds that came
 * with it are closed. */
static void store_drain(Fixture *f) {
        for (;;) {
                char buf[512];
                union {
                        struct cmsghdr h;
                        char b[CMSG_SPACE(sizeof(int) * 8)];
                } control;
                struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) - 1 };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control, .msg_controllen = sizeof(control) };
                ssize_t n = recvmsg(notify_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
                if (n < 0) {
                        assert_int_equal(errno, EAGAIN);
                        return;
                }
                buf[n] = 0;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                                for (size_t k = 0; k < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); k++)
                                        close(((int *) CMSG_DATA(c))[k]);
                if (f)
                        store_apply(f, buf);
        }
}

/* $NOTIFY_SOCKET, an abstract socket of this process, set before privmemd's code first reads it. */
static void notify_socket_new(void) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char env[64];
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "test-recover-%d", (int) getpid());
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, (socklen_t) (offsetof(struct sockaddr_un, sun_path) + 1 + strlen(sa.sun_path + 1))) < 0) {
                fprintf(stderr, "cannot make a notify socket: %s\n", strerror(errno));
                exit(EXIT_FAILURE);
        }
        notify_fd = fcntl(fd, F_DUPFD_CLOEXEC, HIGH_FD);
        close(fd);
        snprintf(env, sizeof(env), "@%s", sa.sun_path + 1);
        setenv("NOTIFY_SOCKET", env, 1);
}

static void write_file(const char *dir, const char *id, const char *text) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s.json", dir, id);
        FILE *c = fopen(path, "we");
        assert_non_null(c);
        fputs(text, c);
        assert_int_equal(fclose(c), 0);
}

static bool file_exists(const char *dir, const char *id) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof(path), "%s/%s.json", dir, id);
        return access(path, F_OK) == 0;
}

/* A lease file as privmemd writes it now: owned by pid (this process, or one that is gone). */
static void write_lease_file(Fixture *f, const char *id, pid_t pid, const char *tag, int64_t huge) {
        char text[1024], huge_text[64] = "";
        if (huge >= 0)
                snprintf(huge_text, sizeof(huge_text), "\"hugeBytes\": %lld, ", (long long) huge);
        snprintf(text, sizeof(text),
                 "{\"id\": \"%s\", \"pool\": \"" POOL "\", \"size\": %llu, \"state\": \"active\", "
                 "\"owner\": {\"kind\": \"process\", \"pid\": %d, \"command\": \"test-recover\", \"startTime\": %llu}, "
                 "\"uid\": 1000, \"tag\": \"%s\", %s\"acquiredUsec\": 1}",
                 id, MiB, (int) pid, (unsigned long long) process_start_time(pid), tag, huge_text);
        write_file(f->leases, id, text);
}

/* The fds at 3, 4, ... with $LISTEN_PID, $LISTEN_FDS and $LISTEN_FDNAMES, as systemd passes them. */
static void place_passed_fds(Fixture *f) {
        char names[PASSED_MAX * 33] = "", n[16], pid[16];

        for (size_t i = 0; i < f->n_passed; i++) {
                int target = SD_LISTEN_FDS_START + (int) i;
                if (fcntl(target, F_GETFD) >= 0)
                        fail_msg("fd %d is open already: cannot pass fds from 3 on as a service manager does", target);
                assert_int_equal(dup2(f->passed[i].fd, target), target);
                close(f->passed[i].fd);
                f->passed[i].fd = -1;  /* recovery's now */
                if (i > 0)
                        strcat(names, ":");
                strcat(names, f->passed[i].name);
                store_add(f, f->passed[i].name);
        }
        snprintf(n, sizeof(n), "%zu", f->n_passed);
        snprintf(pid, sizeof(pid), "%d", (int) getpid());
        assert_int_equal(setenv("LISTEN_PID", pid, 1), 0);
        assert_int_equal(setenv("LISTEN_FDS", n, 1), 0);
        assert_int_equal(setenv("LISTEN_FDNAMES", names, 1), 0);
}

/* Runs the loop until nothing is pending (the flush of the changes, a punch's completion), and
 * takes what privmemd told the fd store. */
static void settle(Fixture *f) {
        for (int i = 0; i < 20; i++)
                assert_true(sd_event_run(f->m->event, 10 * 1000) >= 0);
        store_drain(f);
}

/* privmemd's start-up up to and including recovery. */
static void recover(Fixture *f) {
        char socket_path[PATH_MAX];
        snprintf(socket_path, sizeof(socket_path), "%s/socket", f->dir);
        ManagerOptions o = { .socket_path = socket_path, .config_path = f->config, .runtime_dir = f->dir };

        store_drain(NULL);  /* whatever an earlier test's privmemd left unread */
        place_passed_fds(f);
        assert_int_equal(manager_new(&f->m, &o), 0);
        assert_int_equal(manager_recover(f->m), 0);
        assert_null(getenv("LISTEN_FDS"));  /* taken, so that a child privmemd starts cannot take them */
        settle(f);
}

static Pool *pool(Fixture *f) {
        Pool *p = manager_find_pool(f->m, POOL);
        assert_non_null(p);
        return p;
}

/* Finding an owner again takes pidfd_open(), which valgrind 3.19 does not know (ENOSYS): the
 * cases that need an owner process are skipped there, and say so. */
static void require_pidfd(void) {
        int fd = (int) syscall(SYS_pidfd_open, getpid(), 0);
        if (fd < 0) {
                print_message("skipped: pidfd_open() fails here (%s); finding an owner again needs it\n", strerror(errno));
                skip();
        }
        close(fd);
}

/* A ready memfd of a configured pool goes back into it; one of a pool that is gone is closed. */
static void test_ready(void **state) {
        Fixture *f = *state;
        const char *id = "00000000000000a1", *gone = "00000000000000a2";

        pass(f, 'r', memfd_new(POOL, id));
        pass(f, 'r', memfd_new("gone", gone));
        recover(f);

        ReadyMemfd *r = pool_find_ready(pool(f), id);
        assert_non_null(r);
        assert_int_equal(r->size, MiB);
        assert_int_equal(pool(f)->bytes_ready, MiB);
        assert_int_equal(f->m->core.n_leases, 0);
        assert_null(manager_find_pool(f->m, "gone"));  /* no stand-in pool for a ready memfd */
        assert_int_equal(stored(f, f->passed[0].name), 1);      /* stored as it was */
        assert_int_equal(stored(f, f->passed[1].name), 0);
}

/* A lent memfd with its file and its owner's pidfd: the lease again, owned by the same process,
 * with its file's uid, tag and hugeBytes, counted as lent. */
static void test_lease_with_file(void **state) {
        Fixture *f = *state;
        const char *id = "00000000000000b1";

        require_pidfd();
        pass(f, 'l', memfd_new(POOL, id));
        pass(f, 'o', (int) syscall(SYS_pidfd_open, getpid(), 0));
        write_lease_file(f, id, getpid(), "vm-1", (int64_t) MiB / 2);
        recover(f);

        Lease *l = core_find_lease(&f->m->core, id);
        assert_non_null(l);
        assert_int_equal(l->state, LEASE_ACTIVE);
        assert_int_equal(l->owner.kind, OWNER_PROCESS);
        assert_int_equal(l->owner.pid, getpid());
        assert_non_null(l->process);
        assert_int_equal(l->uid, 1000);
        assert_string_equal(l->tag, "vm-1");
        assert_int_equal(l->huge, MiB / 2);
        assert_int_equal(pool(f)->bytes_lent, MiB);
        assert_int_equal(f->m->core.n_processes, 1);
        assert_true(file_exists(f->leases, id));
        assert_int_equal(stored(f, f->passed[0].name), 1);
        assert_int_equal(stored(f, f->passed[1].name), 1);
        assert_int_equal(f->n_store, 2);
}

/* One memfd stored both as ready and as a lease that has a file (the change that took it out of
 * the store as ready was lost): it is the lease's, and never goes back into the pool. */
static void test_ready_and_lent(void **state) {
        Fixture *f = *state;
        const char *id = "00000000000000c1";
        int fd = memfd_new(POOL, id);

        pass(f, 'r', spy(fd));
        pass(f, 'l', fd);
        write_lease_file(f, id, getpid(), "vm-2", -1);
        recover(f);

        assert_null(pool_find_ready(pool(f), id));
        assert_int_equal(pool(f)->bytes_ready, 0);
        assert_int_equal(f->m->core.n_leases, 1);
        assert_non_null(core_find_lease(&f->m->core, id));
        assert_int_equal(pool(f)->bytes_lent, MiB);
        /* the store forgets it as ready, or the next restart would lend it again */
        assert_int_equal(stored(f, "r"), 0);
        assert_int_equal(stored(f, "l"), 1);
}

/* The same, with the lease's copy passed first: still one lease, nothing ready. */
static void test_lent_and_ready(void **state) {
        Fixture *f = *state;
        const char *id = "00000000000000c2";
        int fd = memfd_new(POOL, id);

        pass(f, 'l', spy(fd));
        pass(f, 'r', fd);
        write_lease_file(f, id, getpid(), "vm-3", -1);
        recover(f);

        assert_null(pool_find_ready(pool(f), id));
        assert_int_equal(f->m->core.n_leases, 1);
        assert_non_null(core_find_lease(&f->m->core, id));
        assert_int_equal(stored(f, "r"), 0);
        assert_int_equal(stored(f, "l"), 1);
}

/* A lease file whose memfd did not come back: the memory went with the memfd's last holder; the
 * lease is forgotten and its file removed. */
static void test_file_without_memfd(void **state) {
        Fixture *f = *state;
        const char *id = "00000000000000d1";

        write_lease_file(f, id, getpid(), "vm-4", -1);
        pass(f, 'r', memfd_new(POOL, "00000000000000d2"));  /* something is passed, or recovery has nothing to do */
        recover(f);

        assert_null(core_find_lease(&f->m->core, id));
        assert_int_equal(f->m->core.n_leases, 0);
        assert_false(file_exists(f->leases, id));
        assert_int_equal(stored(f, "r"), 1);
        assert_int_equal(f->n_store, 1);
}

/* A file an earlier privmemd wrote: the owner's keys flat in the record, no hugeBytes, and the
 * memfd under its earlier name, lease.ID. The owner is found again by its pid and start time. */
static void test_old_format(void **state) {
        Fixture *f = *state;
        const char *id = "00000000000000e1";
        char text[1024], name[64];

        require_pidfd();
        snprintf(text, sizeof(text),
                 "{\"id\": \"%s\", \"pool\": \"" POOL "\", \"size\": %llu, \"state\": \"active\", \"uid\": 1000, "
                 "\"ownerKind\": \"process\", \"ownerPid\": %d, \"ownerCommand\": \"old-vmm\", "
                 "\"ownerStartTime\": %llu, \"tag\": \"flat\", \"acquiredUsec\": 1}",
                 id, MiB, (int) getpid(), (unsigned long long) process_start_time(getpid()));
        write_file(f->leases, id, text);
        snprintf(name, sizeof(name), "lease.%s", id);
        pass_named(f, name, memfd_new(POOL, id));
        recover(f);

        Lease *l = core_find_lease(&f->m->core, id);
        assert_non_null(l);
        assert_int_equal(l->state, LEASE_ACTIVE);
        assert_int_equal(l->owner.kind, OWNER_PROCESS);
        assert_int_equal(l->owner.pid, getpid());
        assert_non_null(l->process);
        assert_string_equal(l->tag, "flat");
        assert_int_equal(l->uid, 1000);
        assert_int_equal(l->huge, -1);  /* not recorded then: unknown */
        /* stored again under a short name, the earlier one removed; its owner's pidfd stored too */
        assert_int_equal(stored(f, name), 0);
        assert_int_equal(stored(f, "l"), 1);
        assert_int_equal(stored(f, "o"), 1);
        assert_int_equal(f->n_store, 2);
}

/* The memfd id (spied on through s) came back as the only lease, active, root's, of unknown
 * owner, kept under its lease name in the fd store and not punched: never in the pool. */
static Lease *assert_kept_of_unknown_owner(Fixture *f, const char *id, int s) {
        assert_null(pool_find_ready(pool(f), id));
        assert_int_equal(pool(f)->bytes_ready, 0);
        assert_int_equal(f->m->core.n_leases, 1);
        Lease *l = core_find_lease(&f->m->core, id);
        assert_non_null(l);
        assert_int_equal(l->state, LEASE_ACTIVE);
        assert_int_equal(l->owner.kind, OWNER_UNKNOWN);
        assert_int_equal(l->uid, 0);
        assert_int_equal(allocated(s), MiB);            /* not punched */
        assert_int_equal(stored(f, "l"), 1);
        return l;
}

/* A lent memfd whose file is gone: a lease again, of unknown owner, root's, kept: nothing proves
 * its owner gone, so it is not punched; only a Release ends it. Stored as ready too, it is the
 * lease's all the same: never back into the pool. */
static void test_memfd_without_file(void **state) {
        Fixture *f = *state;
        const char *id = "00000000000000f1";
        int fd = memfd_new(POOL, id), s = spy(fd);

        pass(f, 'r', spy(fd));
        pass(f, 'l', fd);
        recover(f);

        Lease *l = assert_kept_of_unknown_owner(f, id, s);
        assert_int_equal(l->size, MiB);
        assert_int_equal(l->huge, -1);
        assert_int_equal(stored(f, "r"), 0);
        assert_true(file_exists(f->leases, id));        /* written again: the next restart finds it */
        close(s);
}

/* A lease whose owner exited while privmemd was down (its pid has no process now): it ends, and
 * its memory is punched. */
static void test_owner_gone(void **state) {
        Fixture *f = *state;
        const char *id = "0000000000000101";

        require_pidfd();
        int fd = memfd_new(POOL, id), s = spy(fd);
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0)
                _exit(0);
        assert_int_equal(waitpid(child, NULL, 0), child);
        pass(f, 'l', fd);
        write_lease_file(f, id, child, "vm-5", -1);
        recover(f);

        Lease *l = core_find_lease(&f->m->core, id);
        assert_true(!l || l->state != LEASE_ACTIVE);
        for (int i = 0; i < 200 && core_find_lease(&f->m->core, id); i++)
                settle(f);
        assert_null(core_find_lease(&f->m->core, id));
        assert_int_equal(allocated(s), 0);
        assert_int_equal(pool(f)->bytes_lent, 0);
        assert_int_equal(f->n_store, 0);
        assert_false(file_exists(f->leases, id));
        close(s);
}

/* A file a newer privmemd wrote without raising its format: keys this one does not know, at the
 * top and in the owner, are ignored; the lease comes back as the file says, and is written again
 * in this privmemd's format. */
static void test_unknown_keys(void **state) {
        Fixture *f = *state;
        const char *id = "0000000000000111";
        char text[1024], path[PATH_MAX + 32], written[1024] = "";

        require_pidfd();
        snprintf(text, sizeof(text),
                 "{\"format\": 1, \"id\": \"%s\", \"pool\": \"" POOL "\", \"size\": %llu, \"state\": \"active\", "
                 "\"owner\": {\"kind\": \"process\", \"pid\": %d, \"command\": \"new-vmm\", \"startTime\": %llu, "
                 "\"cgroup\": \"/machine.slice/vm\"}, \"uid\": 1000, \"tag\": \"newer\", \"acquiredUsec\": 1, "
                 "\"numaPolicy\": {\"nodes\": [0, 1]}, \"sealedAt\": 12345}",
                 id, MiB, (int) getpid(), (unsigned long long) process_start_time(getpid()));
        write_file(f->leases, id, text);
        pass(f, 'l', memfd_new(POOL, id));
        recover(f);

        Lease *l = core_find_lease(&f->m->core, id);
        assert_non_null(l);
        assert_int_equal(l->state, LEASE_ACTIVE);
        assert_int_equal(l->owner.kind, OWNER_PROCESS);
        assert_int_equal(l->owner.pid, getpid());
        assert_int_equal(l->uid, 1000);
        assert_string_equal(l->tag, "newer");
        snprintf(path, sizeof(path), "%s/%s.json", f->leases, id);
        FILE *c = fopen(path, "re");
        assert_non_null(c);
        assert_non_null(fgets(written, sizeof(written), c));
        fclose(c);
        assert_non_null(strstr(written, "\"format\":1"));
        assert_null(strstr(written, "sealedAt"));       /* what this privmemd does not know is not kept */
}

/* A file of a format this privmemd does not read (a newer one changed what a key means): not taken
 * for a corrupt one. Its memfd comes back as a lease of unknown owner, root's, kept until a Release
 * (nothing this privmemd understands proves the owner gone), also when it was stored as ready too
 * (never back into the pool); a file without its memfd is left for the privmemd that wrote it. A
 * corrupt file is removed. */
static void test_future_format(void **state) {
        Fixture *f = *state;
        const char *id = "0000000000000121", *alone = "0000000000000122", *corrupt = "0000000000000123";
        char text[512];
        int fd = memfd_new(POOL, id), s = spy(fd);

        snprintf(text, sizeof(text),
                 "{\"format\": 2, \"id\": \"%s\", \"pool\": \"" POOL "\", \"size\": %llu, \"state\": \"frozen\", "
                 "\"owner\": {\"kind\": \"vsock\", \"cid\": 7}, \"uid\": 1000, \"acquiredUsec\": 1}",
                 id, MiB);
        write_file(f->leases, id, text);
        snprintf(text, sizeof(text), "{\"format\": 3, \"id\": \"%s\", \"pool\": \"" POOL "\"}", alone);
        write_file(f->leases, alone, text);
        write_file(f->leases, corrupt, "{\"id\": \"0000000000000123\", \"pool\":");
        pass(f, 'r', spy(fd));
        pass(f, 'l', fd);
        recover(f);

        (void) assert_kept_of_unknown_owner(f, id, s);
        assert_int_equal(stored(f, "r"), 0);
        assert_null(core_find_lease(&f->m->core, alone));
        assert_true(file_exists(f->leases, alone));
        assert_false(file_exists(f->leases, corrupt));
        close(s);
}

int main(void) {
        notify_socket_new();
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_ready, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lease_with_file, setup, teardown),
                cmocka_unit_test_setup_teardown(test_ready_and_lent, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lent_and_ready, setup, teardown),
                cmocka_unit_test_setup_teardown(test_file_without_memfd, setup, teardown),
                cmocka_unit_test_setup_teardown(test_old_format, setup, teardown),
                cmocka_unit_test_setup_teardown(test_memfd_without_file, setup, teardown),
                cmocka_unit_test_setup_teardown(test_owner_gone, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unknown_keys, setup, teardown),
                cmocka_unit_test_setup_teardown(test_future_format, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
