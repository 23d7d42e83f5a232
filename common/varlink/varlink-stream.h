/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Varlink framing: NUL-terminated JSON messages over an AF_UNIX stream, fds passed with SCM_RIGHTS. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VARLINK_MESSAGE_MAX (16U * 1024U * 1024U)  /* bytes of one message, NUL included */
#define VARLINK_FDS_MAX 253U                        /* fds with one message: the kernel's SCM_MAX_FD */

typedef struct VarlinkFdBatch VarlinkFdBatch;
typedef struct VarlinkOutput VarlinkOutput;

typedef struct VarlinkStream {
        int fd;
        size_t fds_in_max;      /* fds received with one message; more are dropped by the kernel */

        char *in;               /* bytes received, not yet taken as messages: in[in_start..in_end) */
        size_t in_alloc, in_start, in_end, in_scanned;
        size_t in_tail;         /* where the last message begins that has no NUL yet */
        size_t in_complete;     /* complete messages (NULs) in in[in_start..in_end) */
        uint64_t in_offset;     /* stream offset of in[0] */
        VarlinkFdBatch *fd_batches;  /* fds received, each at the stream offset of its message */
        VarlinkFdBatch *batch_next;  /* room for the fds of the next read, made before it */
        size_t in_fds;               /* how many fds those batches hold */
        json_tokener *tokener;       /* kept: making one per message cost more than parsing */
        bool eof;

        VarlinkOutput *out_head, *out_tail;
        size_t out_bytes, out_max;
        VarlinkOutput *spare;   /* a message queued without allocating (out of memory) */
        bool spare_queued;      /* in the output now; back once written */
} VarlinkStream;

/* One received message; the fds belong to the caller once it is returned. */
typedef struct VarlinkMessage {
        json_object *json;
        int *fds;
        size_t n_fds;
        bool fds_truncated;     /* it came with more than fds_in_max fds: those were dropped */
} VarlinkMessage;

void varlink_stream_init(VarlinkStream *s, int fd, size_t out_max);
void varlink_stream_done(VarlinkStream *s);

/* Reads what the socket has (at most 64 KiB), without blocking. 1: read something or hit EOF;
 * 0: nothing there; -EPROTO: fds in the middle of a message or two fd lists in one read; -EMSGSIZE:
 * a message already too long, before buffering more of it; -ENOMEM: out of memory, nothing read
 * (the room for bytes and fds is made before the read): try again later. */
int varlink_stream_read(VarlinkStream *s);

/* The same, waiting for the socket to have something: a blocking client saves a poll() this way. */
int varlink_stream_read_wait(VarlinkStream *s);

/* Takes the next complete message out of the input. 1: *ret filled; 0: none complete yet;
 * -EBADMSG: not JSON, or not a JSON object; -EPROTO: fd confusion; -EMSGSIZE: too long;
 * -ENOMEM: out of memory, the message was left in the input, to be taken again. */
int varlink_stream_next(VarlinkStream *s, VarlinkMessage *ret);

/* Counts complete messages already buffered (up to limit), to apply back-pressure. */
size_t varlink_stream_count_complete(VarlinkStream *s, size_t limit);

/* Queues a message; takes the fds in every case. -ENOBUFS when the output limit is exceeded;
 * -ENOMEM when the message could not be serialised or queued (whole: nothing is queued then). */
int varlink_stream_enqueue(VarlinkStream *s, json_object *json, int *fds, size_t n_fds);

/* The spare message, for when memory runs out: its text is copied once, while memory is there.
 * varlink_stream_enqueue_spare() then queues it without allocating, even beyond the output limit;
 * -EBUSY while it is still queued (it comes back once written, for the next time), -ENOENT
 * without one. */
int varlink_stream_set_spare(VarlinkStream *s, const char *text);
int varlink_stream_enqueue_spare(VarlinkStream *s);

static inline bool varlink_stream_spare_ready(const VarlinkStream *s) {
        return s->spare && !s->spare_queued;
}

/* Writes what it can without blocking. 1: all written; 0: more left; -EPIPE etc. on failure. */
int varlink_stream_flush(VarlinkStream *s);

static inline bool varlink_stream_has_output(const VarlinkStream *s) {
        return s->out_head != NULL;
}

void varlink_message_done(VarlinkMessage *m);
