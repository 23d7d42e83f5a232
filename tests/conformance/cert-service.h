/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.varlink.certification served strictly: every step checks its input and its place in the order. */
#pragma once

#include "varlink/varlink-server.h"

typedef struct CertService CertService;

int cert_service_new(CertService **ret);
CertService *cert_service_free(CertService *s);

/* Its methods expect the CertService as the interface's userdata. */
extern const VarlinkInterface cert_interface;

static inline void cert_service_freep(CertService **s) {
        cert_service_free(*s);
}
