/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt, loaded at run time: privmemd needs libvirt.so.0 only where [libvirt] uri= is set. */
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>

#include "virt/libvirt-dlopen.h"

#define LIBVIRT_DEFINE_SYMBOL(f) __typeof__(f) *sym_##f;
LIBVIRT_SYMBOLS(LIBVIRT_DEFINE_SYMBOL)

static void *handle;

int libvirt_dlopen(const char **ret_error) {
        void *h;

        if (handle)
                return 0;
        h = dlopen("libvirt.so.0", RTLD_NOW | RTLD_NODELETE);
        if (!h) {
                *ret_error = dlerror();
                return -EOPNOTSUPP;
        }
#define LIBVIRT_LOAD_SYMBOL(f)                                          \
        sym_##f = (__typeof__(f) *) dlsym(h, #f);                        \
        if (!sym_##f) {                                                 \
                *ret_error = dlerror();                                 \
                dlclose(h);                                             \
                return -EOPNOTSUPP;                                     \
        }
        LIBVIRT_SYMBOLS(LIBVIRT_LOAD_SYMBOL)
        handle = h;
        return 0;
}
