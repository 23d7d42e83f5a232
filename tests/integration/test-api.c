/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libprivmem's API boundary, without a daemon: bad arguments get -EINVAL, never a crash. */
#include <stdlib.h>
#include <string.h>

#include "helper.h"

static void test_connect_errors(void) {
        privmem *p = (privmem *) 1;
        check(privmem_connect(NULL, "/nonexistent") == -EINVAL, "connect(NULL) did not give -EINVAL");
        int r = privmem_connect(&p, "/nonexistent/io.privmemd");
        check(r == -ENOENT && p == (privmem *) 1, "connect to a missing socket: %d, expected -ENOENT and no output", r);
        setenv("PRIVMEMD_SOCKET", "/nonexistent/from-env", 1);
        r = privmem_connect(&p, NULL);
        check(r == -ENOENT, "connect via $PRIVMEMD_SOCKET to a missing socket: %d", r);
        char longpath[200];
        memset(longpath, 'x', sizeof(longpath) - 1);
        longpath[sizeof(longpath) - 1] = 0;
        check(privmem_connect(&p, longpath) == -ENAMETOOLONG, "a 199-byte socket path was accepted");
}

static void test_null_arguments(void) {
        int fd = -1;
        privmem_lease *l = NULL;
        check(privmem_acquire(NULL, "p", 4096, NULL, &fd, &l) == -EINVAL, "acquire(NULL)");
        check(privmem_release(NULL, "x") == -EINVAL, "release(NULL)");
        check(privmem_get_lease(NULL, "x", &l) == -EINVAL, "get_lease(NULL)");
        check(privmem_list_leases(NULL, NULL, NULL) == -EINVAL, "list_leases(NULL)");
        check(privmem_list_pools(NULL, NULL) == -EINVAL, "list_pools(NULL)");
        check(privmem_get_status(NULL, NULL) == -EINVAL, "get_status(NULL)");
        check(privmem_set_timeout(NULL, 1) == -EINVAL, "set_timeout(NULL)");
        check(privmem_disconnect(NULL) == NULL, "disconnect(NULL)");
        check(privmem_lease_free(NULL) == NULL && privmem_lease_list_free(NULL) == NULL &&
              privmem_pool_list_free(NULL) == NULL && privmem_status_free(NULL) == NULL, "free(NULL)");
        check(!privmem_lease_id(NULL) && privmem_lease_size(NULL) == 0 && privmem_lease_uid(NULL) == (uid_t) -1 &&
              !privmem_pool_name(NULL) && privmem_pool_numa_node(NULL) == -1 && privmem_pool_class_size(NULL, 3) == 0 &&
              !privmem_status_version(NULL) && !privmem_last_error_message(NULL), "getters on NULL");
        check(fd == -1 && l == NULL, "a failed call wrote its outputs: fd %d", fd);
}

int main(void) {
        test_init("api", 10);
        test_connect_errors();
        test_null_arguments();
        return 0;
}
