/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virConnectOpen() on a thread of its own, so that the caller thread can give up waiting for it. */
#pragma once

#include <stdbool.h>

#include "virt/libvirt-dlopen.h"

typedef struct VirtOpen VirtOpen;

/* Starts virConnectOpen(uri) on a new thread; wake_fd (an eventfd) is written to when it returned,
 * unless virt_open_free() came first. */
int virt_open_start(VirtOpen **ret, const char *uri, int wake_fd);
/* Whether virConnectOpen() returned. Then *ret_conn is the connection (the caller's now), or NULL
 * and *ret_error says why (the caller's too). */
bool virt_open_result(VirtOpen *o, virConnectPtr *ret_conn, char **ret_error);
/* Drops o, done or not: a thread still inside virConnectOpen() finishes alone, writes to no fd,
 * and closes the connection if it gets one. Returns NULL. */
VirtOpen *virt_open_free(VirtOpen *o);
