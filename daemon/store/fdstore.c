/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The service manager's fd store: every memfd and owner pidfd privmemd holds is kept there too,
 * under a short name (fdstore.h says why), so that a restart or a crash of privmemd loses nothing. */
#include <stdint.h>
#include <stdio.h>

#include "store/fdstore.h"
#include "store/notify-socket.h"
#include "util/macro.h"

static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
static uint64_t slots_used[(FDSTORE_SLOTS_MAX + 64) / 64];    /* slot 0 is "none" */
static unsigned slot_hint = 1;

bool fdstore_enabled(void) {
        static int enabled = -1;  /* the environment does not change under us */
        if (enabled < 0)
                enabled = getenv("NOTIFY_SOCKET") != NULL;
        return enabled;
}

static bool slot_used(unsigned s) {
        return slots_used[s / 64] & (UINT64_C(1) << (s % 64));
}

static void slot_set(unsigned s, bool used) {
        if (used)
                slots_used[s / 64] |= UINT64_C(1) << (s % 64);
        else
                slots_used[s / 64] &= ~(UINT64_C(1) << (s % 64));
}

static int slot_new(unsigned *ret) {
        for (unsigned i = 0; i < FDSTORE_SLOTS_MAX; i++) {
                unsigned s = 1 + (slot_hint - 1 + i) % FDSTORE_SLOTS_MAX;
                if (!slot_used(s)) {
                        slot_set(s, true);
                        slot_hint = s + 1;
                        *ret = s;
                        return 0;
                }
        }
        return -ENFILE;  /* not ENOSPC: that is a lease file's, see acquire.c */
}

static void slot_name(char buf[static 8], char kind, unsigned slot) {
        char rev[4];
        size_t n = 0;
        do {
                rev[n++] = digits[slot % 36];
                slot /= 36;
        } while (slot > 0 && n < sizeof(rev));
        buf[0] = kind;
        for (size_t i = 0; i < n; i++)
                buf[1 + i] = rev[n - 1 - i];
        buf[1 + n] = 0;
}

/* Sends "WHAT=1\nFDNAME=name" with fd attached, or without one (fd < 0). */
static int fdstore_notify(const char *what, int fd, const char *name) {
        char msg[300];

        if (!fdstore_enabled())
                return 0;
        if (strlen(name) > 255 || strchr(name, ':'))
                return -EINVAL;
        snprintf(msg, sizeof(msg), "%s=1\nFDNAME=%s", what, name);
        int r = notify_socket_send_manager(msg, &fd, fd >= 0 ? 1 : 0);
        return r < 0 ? r : 0;
}

int fdstore_push_slot(int fd, char kind, unsigned *slot) {
        char name[8];
        unsigned s;
        int r = slot_new(&s);
        if (r < 0)
                return r;
        slot_name(name, kind, s);
        r = fdstore_notify("FDSTORE", fd, name);
        if (r < 0) {
                slot_set(s, false);
                return r;
        }
        *slot = s;
        return 0;
}

int fdstore_remove_slot(char kind, unsigned *slot) {
        char name[8];
        if (*slot == 0)
                return 0;
        slot_name(name, kind, *slot);
        slot_set(*slot, false);
        *slot = 0;
        return fdstore_notify("FDSTOREREMOVE", -1, name);
}

int fdstore_claim_name(const char *name, char *ret_kind, unsigned *ret_slot) {
        unsigned s = 0;
        size_t n = strlen(name);

        if (n < 2 || n > 4 || !strchr("rlo", name[0]) || name[0] == 0)
                return -EINVAL;
        for (size_t i = 1; i < n; i++) {
                const char *d = strchr(digits, name[i]);
                if (!d || name[i] == 0)
                        return -EINVAL;
                s = s * 36 + (unsigned) (d - digits);
        }
        if (s == 0 || s > FDSTORE_SLOTS_MAX)
                return -EINVAL;
        *ret_kind = name[0];
        if (slot_used(s))
                return -EEXIST;  /* a second fd of one name: the caller drops it */
        slot_set(s, true);
        *ret_slot = s;
        return 0;
}

int fdstore_remove_name(const char *name) {
        return fdstore_notify("FDSTOREREMOVE", -1, name);
}
