/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt's event loop (virEventRegisterImpl) on privmemd's sd-event loop. */
#pragma once

#include <systemd/sd-event.h>

/* Makes event libvirt's event loop, once per process (-EBUSY for a second loop). Before any
 * libvirt connection is opened. */
int virt_event_register(sd_event *event);
/* Runs the free callbacks of removed handles and timeouts now: after closing the connection. */
void virt_event_reap(void);
/* Lets go of the loop: once every libvirt connection is closed. */
void virt_event_unregister(void);
