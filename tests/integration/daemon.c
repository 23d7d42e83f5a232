/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A privmemd per test: its own temp dir, config and socket; stopped by pid, whatever happens. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"

static TestDaemon daemons[4];      /* static: the cleanup runs after main() returned */

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");
        check(f, "open %s: %m", path);
        check(fputs(text, f) >= 0 && fclose(f) == 0, "write %s: %m", path);
}

static void print_log(const TestDaemon *d) {
        char line[512];
        FILE *f = fopen(d->log, "re");
        if (!f)
                return;
        fprintf(stderr, "--- privmemd log (%s) ---\n", d->log);
        while (fgets(line, sizeof(line), f))
                fputs(line, stderr);
        fclose(f);
}

/* Seconds to wait for the daemon to start or stop: a wrapper like valgrind makes it slow. */
static uint64_t daemon_patience_ms(void) {
        return getenv("PRIVMEMD_WRAPPER") ? 60000 : 10000;
}

/* Kills and reaps; returns the wait status, or -1 when it had to be killed. */
static int daemon_kill(TestDaemon *d) {
        int status = 0, forced = 0;
        kill(d->pid, SIGTERM);
        for (uint64_t end = test_now_ms() + daemon_patience_ms();;) {
                pid_t r = waitpid(d->pid, &status, WNOHANG);
                if (r == d->pid || (r < 0 && errno != EINTR))
                        break;
                if (test_now_ms() > end && !forced++)
                        kill(d->pid, SIGKILL);
                test_sleep_ms(10);
        }
        d->pid = 0;
        return forced ? -1 : status;
}

static void daemon_remove_dir(TestDaemon *d) {
        unlink(d->socket);
        unlink(d->config);
        unlink(d->log);
        rmdir(d->dir);
}

static void daemons_cleanup(void) {
        for (size_t i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++) {
                TestDaemon *d = &daemons[i];
                if (d->pid > 0) {
                        daemon_kill(d);
                        print_log(d);
                }
                if (d->dir[0])
                        daemon_remove_dir(d);
                *d = (TestDaemon) {};
        }
}

static TestDaemon *daemon_new(void) {
        static bool registered;
        if (!registered)
                test_on_cleanup(daemons_cleanup);
        registered = true;
        for (size_t i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++)
                if (!daemons[i].dir[0])
                        return &daemons[i];
        test_fail(__FILE__, __LINE__, "more than %zu daemons", sizeof(daemons) / sizeof(daemons[0]));
}

/* $PRIVMEMD_WRAPPER (e.g. "valgrind --leak-check=full --error-exitcode=99") runs the daemon under
 * a tool; its words go before the daemon's in argv. */
static size_t wrapper_argv(const char **argv, size_t max, char *buf, size_t size) {
        const char *w = getenv("PRIVMEMD_WRAPPER");
        size_t n = 0;
        char *save = NULL;

        if (!w || strlen(w) >= size)
                return 0;
        strcpy(buf, w);
        for (char *t = strtok_r(buf, " ", &save); t && n < max; t = strtok_r(NULL, " ", &save))
                argv[n++] = t;
        return n;
}

static _Noreturn void daemon_exec(const TestDaemon *d, pid_t parent) {
        const char *binary = getenv("PRIVMEMD_BINARY") ?: "daemon/privmemd";
        char socket_arg[160], config_arg[160], wrapper[1024];
        const char *argv[32];
        int log = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

        /* dies with the test, even when the test is SIGKILLed */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent || log < 0)
                _exit(127);
        dup2(log, STDOUT_FILENO);
        dup2(log, STDERR_FILENO);
        snprintf(socket_arg, sizeof(socket_arg), "--socket=%s", d->socket);
        snprintf(config_arg, sizeof(config_arg), "--config=%s", d->config);
        size_t n = wrapper_argv(argv, 24, wrapper, sizeof(wrapper));
        argv[n++] = binary;
        argv[n++] = socket_arg;
        argv[n++] = config_arg;
        argv[n++] = "--log-level=debug";
        argv[n] = NULL;
        execvp(argv[0], (char **) argv);
        fprintf(stderr, "exec %s: %m\n", argv[0]);
        _exit(127);
}

static void daemon_wait_ready(TestDaemon *d) {
        for (uint64_t end = test_now_ms() + daemon_patience_ms(); test_now_ms() < end; test_sleep_ms(10)) {
                int status;
                privmem *p = NULL;
                if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
                        d->pid = 0;
                        print_log(d);
                        test_fail(__FILE__, __LINE__, "privmemd exited before listening: wait status 0x%x", status);
                }
                if (privmem_connect(&p, d->socket) >= 0) {
                        privmem_disconnect(p);
                        chmod(d->socket, 0666);         /* for the tests that drop to another uid */
                        return;
                }
        }
        test_fail(__FILE__, __LINE__, "privmemd did not listen on %s within 10 s", d->socket);
}

TestDaemon *test_daemon_start(const char *config) {
        TestDaemon *d = daemon_new();
        char dir[sizeof(d->dir)] = "/tmp/privmem-it-XXXXXX";

        check(mkdtemp(dir), "mkdtemp %s: %m", dir);
        check(chmod(dir, 0755) == 0, "chmod %s: %m", dir);
        memcpy(d->dir, dir, sizeof(dir));
        snprintf(d->socket, sizeof(d->socket), "%s/io.privmemd", dir);
        snprintf(d->config, sizeof(d->config), "%s/privmemd.conf", dir);
        snprintf(d->log, sizeof(d->log), "%s/privmemd.log", dir);
        write_file(d->config, config);

        pid_t parent = getpid();
        fflush(NULL);
        d->pid = fork();
        check(d->pid >= 0, "fork: %m");
        if (d->pid == 0)
                daemon_exec(d, parent);
        daemon_wait_ready(d);
        return d;
}

void test_daemon_stop(TestDaemon *d) {
        int status = daemon_kill(d);
        if (status != 0)
                print_log(d);
        check(status != -1, "privmemd did not exit within %llu s of SIGTERM",
              (unsigned long long) daemon_patience_ms() / 1000);
        check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "privmemd ended with wait status 0x%x", status);
        daemon_remove_dir(d);
        *d = (TestDaemon) {};
}

unsigned test_daemon_count_fds_to(const TestDaemon *d, const char *target) {
        char path[64], link[PATH_MAX];
        unsigned n = 0;
        snprintf(path, sizeof(path), "/proc/%d/fd", (int) d->pid);
        DIR *dir = opendir(path);
        check(dir, "opendir %s: %m", path);
        for (struct dirent *de; (de = readdir(dir));) {
                if (de->d_name[0] == '.')
                        continue;
                ssize_t k = target ? readlinkat(dirfd(dir), de->d_name, link, sizeof(link) - 1) : 0;
                if (k >= 0)
                        link[k] = 0;
                n += !target || (k >= 0 && strcmp(link, target) == 0);
        }
        closedir(dir);
        return n;
}

unsigned test_daemon_count_fds(const TestDaemon *d) {
        return test_daemon_count_fds_to(d, NULL);
}

privmem *test_connect(const TestDaemon *d) {
        privmem *p = NULL;
        int r = privmem_connect(&p, d->socket);
        check(r >= 0, "connect %s: %s", d->socket, strerror(-r));
        return p;
}
