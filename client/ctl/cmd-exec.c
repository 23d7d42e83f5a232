/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* privmemctl exec: acquire a lease owned by this very process, then become COMMAND with the memfd
 * at fd N, so that the lease lives exactly as long as COMMAND. */
#include <fcntl.h>
#include <stdio.h>

#include "ctl.h"
#include "size.h"

/* ARG with every {fd}, {size} and {lease} replaced. */
static char *substitute(const char *arg, const char *const keys[], const char *const values[]) {
        size_t len = 0, alloc = strlen(arg) + 1;
        char *out = malloc(alloc);

        while (out && *arg) {
                size_t k = 0, vlen = 1;
                const char *v = arg;
                for (; keys[k] && strncmp(arg, keys[k], strlen(keys[k])) != 0; k++)
                        ;
                if (keys[k])
                        v = values[k], vlen = strlen(v);
                if (len + vlen + 1 > alloc) {
                        char *n = realloc(out, alloc = (len + vlen + 1) * 2);
                        if (!n)
                                return free(out), NULL;
                        out = n;
                }
                memcpy(out + len, v, vlen);
                len += vlen;
                arg += keys[k] ? strlen(keys[k]) : 1;
        }
        if (out)
                out[len] = 0;
        return out;
}

/* Puts memfd at target without FD_CLOEXEC; memfd is consumed. */
static int memfd_place(int memfd, int target) {
        if (memfd == target)
                return fcntl(target, F_SETFD, 0) < 0 ? -errno : 0;
        int r = dup2(memfd, target) < 0 ? -errno : 0;   /* the copy has no FD_CLOEXEC */
        safe_close(memfd);
        return r;
}

static int acquire(const Ctl *c, uint64_t size, int *ret_memfd, privmem_lease **ret_lease) {
        _cleanup_(privmem_disconnectp) privmem *p = NULL;
        struct privmem_acquire_options o = {
                .size = sizeof(o), .flags = c->no_wait ? PRIVMEM_ACQUIRE_NO_WAIT : 0, .tag = c->tag,
        };
        int r = ctl_connect(c, &p);
        if (r != 0)
                return r;
        r = privmem_acquire(p, c->pool, size, &o, ret_memfd, ret_lease);
        /* the connection closes here: the lease belongs to this process, not to the connection */
        return r < 0 ? ctl_fail(c, p, r) : 0;
}

static int setup_env(int fd, uint64_t size, const char *lease) {
        char b[32];
        snprintf(b, sizeof(b), "%d", fd);
        if (setenv("PRIVMEM_FD", b, 1) < 0)
                return -errno;
        snprintf(b, sizeof(b), "%llu", (unsigned long long) size);
        if (setenv("PRIVMEM_SIZE", b, 1) < 0 || setenv("PRIVMEM_LEASE", lease, 1) < 0)
                return -errno;
        return 0;
}

static char **strv_free(char **v) {
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);

static int exec_command(const Ctl *c, char **args, unsigned n_args, int fd, uint64_t size, const char *lease) {
        char fd_s[16], size_s[24];
        snprintf(fd_s, sizeof(fd_s), "%d", fd);
        snprintf(size_s, sizeof(size_s), "%llu", (unsigned long long) size);
        const char *const keys[] = { "{fd}", "{size}", "{lease}", NULL };
        const char *const values[] = { fd_s, size_s, lease };
        _cleanup_(strv_freep) char **argv = calloc(n_args + 1, sizeof(char *));

        for (unsigned i = 0; argv && i < n_args; i++)
                if (!(argv[i] = substitute(args[i], keys, values)))
                        return fprintf(stderr, "privmemctl: exec: out of memory\n"), CTL_EXIT_DAEMON;
        if (!argv || setup_env(fd, size, lease) < 0)
                return fprintf(stderr, "privmemctl: exec: out of memory\n"), CTL_EXIT_DAEMON;
        execvp(argv[0], argv);
        int e = errno;
        fprintf(stderr, "privmemctl: exec: cannot execute '%s': %s\n", argv[0], strerror(e));
        return e == ENOENT ? CTL_EXIT_EXEC_NOT_FOUND : CTL_EXIT_EXEC_FAILED;
}

static int check_options(const Ctl *c, uint64_t *ret_size) {
        if (!c->pool || !*c->pool)
                return ctl_usage_error(c, "--pool=POOL is missing. 'privmemctl pools' lists them.");
        if (!c->size)
                return ctl_usage_error(c, "--size=SIZE is missing (for example --size=64M)");
        if (size_parse(c->size, ret_size) < 0 || *ret_size > INT64_MAX)
                return ctl_usage_error(c, "--size=%s is not a size (for example 64M, 1G, 2MiB)", c->size);
        return 0;
}

static int run(Ctl *c, char **args, unsigned n_args) {
        _cleanup_(privmem_lease_freep) privmem_lease *l = NULL;
        uint64_t size;
        int memfd, r;

        if ((r = check_options(c, &size)) != 0 || (r = acquire(c, size, &memfd, &l)) != 0)
                return r;
        r = memfd_place(memfd, c->fd);
        if (r < 0) {
                fprintf(stderr, "privmemctl: exec: cannot place the memfd at fd %d: %s\n", c->fd, strerror(-r));
                return CTL_EXIT_DAEMON;
        }
        return exec_command(c, args, n_args, c->fd, size, privmem_lease_id(l));
}

static const struct option options[] = {
        { "pool", required_argument, NULL, OPT_POOL },
        { "size", required_argument, NULL, OPT_SIZE },
        { "fd", required_argument, NULL, OPT_FD },
        { "tag", required_argument, NULL, OPT_TAG },
        { "no-wait", no_argument, NULL, OPT_NO_WAIT },
        {}
};

const Verb verb_exec = {
        .name = "exec",
        .synopsis = "--pool=POOL --size=SIZE [--fd=N] [--tag=TAG] [--no-wait] -- COMMAND [ARGS...]",
        .summary = "Acquire a lease owned by this process, then execute COMMAND with the memfd at fd N:\n"
                   "the lease ends when COMMAND exits. In ARGS, {fd}, {size} (bytes) and {lease} are replaced;\n"
                   "PRIVMEM_FD, PRIVMEM_SIZE and PRIVMEM_LEASE are set. For example:\n"
                   "  privmemctl exec --pool=vm --size=4G -- qemu-system-x86_64 \\\n"
                   "    -object memory-backend-file,id=ram0,size={size},mem-path=/proc/self/fd/{fd},share=on \\\n"
                   "    -machine memory-backend=ram0 ...",
        .options_help = "     --pool=POOL    The pool to acquire from (required)\n"
                        "     --size=SIZE    Bytes, with K, M, G, T suffixes (required)\n"
                        "     --fd=N         The fd COMMAND finds the memfd at (default: 3)\n"
                        "     --tag=TAG      A label shown with the lease\n"
                        "     --no-wait      Fail instead of waiting for a memfd to be populated\n",
        .options = options,
        .min_args = 1, .max_args = 1 << 20,
        .stop_at_operand = true,
        .run = run,
};
