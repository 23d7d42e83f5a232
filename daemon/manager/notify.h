/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Telling the service manager how privmemd is: READY=1 once recovered, a STATUS= line, STOPPING=1. */
#pragma once

typedef struct Manager Manager;

int manager_notify_ready(Manager *m);
void manager_notify_stopping(Manager *m);
