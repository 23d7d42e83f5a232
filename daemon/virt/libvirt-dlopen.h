/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt, loaded at run time: privmemd needs libvirt.so.0 only where [libvirt] uri= is set, so
 * hosts without libvirt do not pull it (and all it links) into the daemon. */
#pragma once

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#define LIBVIRT_SYMBOLS(X)                                              \
        X(virConnectClose)                                              \
        X(virConnectDomainEventDeregisterAny)                           \
        X(virConnectDomainEventRegisterAny)                             \
        X(virConnectOpen)                                               \
        X(virConnectRegisterCloseCallback)                              \
        X(virConnectSetKeepAlive)                                       \
        X(virConnectUnregisterCloseCallback)                            \
        X(virDomainFree)                                                \
        X(virDomainGetID)                                               \
        X(virDomainGetName)                                             \
        X(virDomainGetState)                                            \
        X(virDomainGetUUIDString)                                       \
        X(virDomainLookupByName)                                        \
        X(virDomainLookupByUUIDString)                                  \
        X(virEventAddHandle)                                            \
        X(virEventRegisterDefaultImpl)                                  \
        X(virEventRemoveHandle)                                         \
        X(virEventRunDefaultImpl)                                       \
        X(virGetLastError)                                              \
        X(virGetLastErrorMessage)                                       \
        X(virSetErrorFunc)

#define LIBVIRT_DECLARE_SYMBOL(f) extern __typeof__(f) *sym_##f;
LIBVIRT_SYMBOLS(LIBVIRT_DECLARE_SYMBOL)

/* Loads libvirt.so.0 and its functions once. On failure *ret_error says what was missing. */
int libvirt_dlopen(const char **ret_error);
