/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What libvirt-watch.c and libvirt-domain.c share, on privmemd's loop. */
#pragma once

#include <systemd/sd-event.h>

#include "virt/libvirt-thread.h"
#include "virt/libvirt.h"

typedef struct VirtDomain VirtDomain;

typedef enum VirtLink {
        VIRT_CONNECTING,                /* the first attempt is under way: lookups wait for it */
        VIRT_CONNECTED,
        VIRT_DISCONNECTED,              /* retrying with backoff: lookups are refused at once */
} VirtLink;

struct VirtWatch {
        Core *core;                     /* the leases, the loop */
        char *uri;
        uint64_t timeout_usec;
        VirtThread *thread;
        sd_event_source *news_source;
        VirtLink link;
        bool stalled;                   /* a lookup timed out and libvirt's thread said nothing since */
        SchemaLibvirtState shown;       /* what GetStatus says: link and stalled in one */
        uint64_t shown_since_usec;
        char *last_error;
        uint64_t next_token;
        VirtResolve *resolves;
        VirtDomain *domains;
};

/* Connected (again): asks libvirt about every domain that owns a lease. */
void virt_domains_reconcile(VirtWatch *w);
/* A LOOKUP news with token 0: the answer to a reconcile. */
void virt_domains_on_state(VirtWatch *w, VirtNews *n);
void virt_domains_on_lifecycle(VirtWatch *w, VirtNews *n);
/* Acquire found this domain: its QEMU processes (taken from n) are waited for at its stop. */
void virt_domains_on_resolved(VirtWatch *w, VirtNews *n);
void virt_domains_free(VirtWatch *w);
