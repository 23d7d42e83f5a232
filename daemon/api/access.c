/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who may do what, decided from the peer's credentials (SO_PEERCRED, SO_PEERGROUPS). */
#include <sys/socket.h>

#include "api/access.h"
#include "manager/manager.h"
#include "util/macro.h"

#define GROUPS_MAX 256

static bool peer_in_group(VarlinkConnection *conn, gid_t gid) {
        gid_t groups[GROUPS_MAX];
        socklen_t len = sizeof(groups);

        if (varlink_connection_peer(conn)->gid == gid)
                return true;
        if (getsockopt(varlink_connection_fd(conn), SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
                return false;  /* more groups than we ask for, or an old kernel: no */
        for (size_t i = 0; i < len / sizeof(gid_t); i++)
                if (groups[i] == gid)
                        return true;
        return false;
}

bool access_is_admin(Manager *m, VarlinkConnection *conn) {
        if (varlink_connection_peer(conn)->uid == 0)
                return true;
        return m->config.admin_gid != (gid_t) -1 && peer_in_group(conn, m->config.admin_gid);
}

bool access_may_acquire(const PoolConfig *pc, VarlinkConnection *conn) {
        uid_t uid = varlink_connection_peer(conn)->uid;

        if (uid == 0 || pc->all_users)
                return true;
        for (size_t i = 0; i < pc->n_users; i++)
                if (pc->users[i] == uid)
                        return true;
        for (size_t i = 0; i < pc->n_groups; i++)
                if (peer_in_group(conn, pc->groups[i]))
                        return true;
        return false;
}
