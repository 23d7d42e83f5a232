/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt domains as lease owners, in a privmemd built without libvirt (-Dlibvirt=disabled). */
#include "util/log.h"
#include "virt/libvirt.h"

int virt_watch_new(VirtWatch **ret, Core *core, const Config *config) {
        if (config->libvirt_uri)
                log_warning("The configuration names libvirt at %s, but privmemd was built without libvirt; "
                            "ownerDomain is refused.", config->libvirt_uri);
        *ret = NULL;
        return 0;
}

VirtWatch *virt_watch_free(VirtWatch *w) {
        return NULL;
}

int virt_watch_resolve(VirtWatch *w, const char *domain, VirtResolvedFunc done, void *userdata, VirtResolve **ret,
                       const char **ret_reason) {
        *ret_reason = "privmemd was built without libvirt";
        return -EOPNOTSUPP;
}

VirtResolve *virt_resolve_cancel(VirtResolve *r) {
        return NULL;
}

void virt_watch_link(const VirtWatch *w, VirtLinkInfo *ret) {
        *ret = (VirtLinkInfo) { .state = SCHEMA_LIBVIRT_STATE_DISABLED };
}
