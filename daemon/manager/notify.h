/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Telling the service manager how privmemd is: READY=1 once recovered, a STATUS= line, STOPPING=1. */
#pragma once

typedef struct Manager Manager;

int manager_notify_ready(Manager *m);
/* Something the STATUS= line shows may have changed: it is sent within ~100 ms if it did. */
void manager_notify_status_changed(Manager *m);
void manager_notify_stopping(Manager *m);
