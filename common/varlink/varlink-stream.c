/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Varlink framing: NUL-terminated JSON messages over an AF_UNIX stream, fds passed with SCM_RIGHTS. */
#include <sys/socket.h>
#include <sys/uio.h>

#include "util/macro.h"
#include "varlink/json-oom.h"
#include "varlink/varlink-stream.h"

#define READ_CHUNK (64U * 1024U)
#define IOV_BATCH 16

/* fds that arrived with the first byte of the message at stream offset `offset`. */
struct VarlinkFdBatch {
        VarlinkFdBatch *next;
        uint64_t offset;
        bool truncated;         /* more came than fit: none are kept */
        size_t n_fds;
        int fds[];
};

struct VarlinkOutput {
        VarlinkOutput *next;
        size_t size, written;
        int *fds;
        size_t n_fds;
        char data[];
};

void varlink_stream_init(VarlinkStream *s, int fd, size_t out_max) {
        *s = (VarlinkStream) {
                .fd = fd,
                .out_max = out_max,
        };
}

static void output_free(VarlinkOutput *o) {
        close_many(o->fds, o->n_fds);
        free(o->fds);
        free(o);
}

void varlink_stream_done(VarlinkStream *s) {
        while (s->fd_batches) {
                VarlinkFdBatch *b = s->fd_batches;
                s->fd_batches = b->next;
                close_many(b->fds, b->n_fds);
                free(b);
        }
        s->in_fds = 0;
        s->batch_next = (free(s->batch_next), NULL);
        while (s->out_head) {
                VarlinkOutput *o = s->out_head;
                s->out_head = o->next;
                if (o != s->spare)
                        output_free(o);
        }
        s->out_tail = NULL;
        s->out_bytes = 0;
        s->spare = (free(s->spare), NULL);
        s->spare_queued = false;
        s->in = (free(s->in), NULL);
        if (s->tokener)
                json_tokener_free(s->tokener);
        s->tokener = NULL;
        s->in_alloc = s->in_start = s->in_end = s->in_scanned = s->in_tail = s->in_complete = 0;
        s->fd = safe_close(s->fd);
}

void varlink_message_done(VarlinkMessage *m) {
        json_object_put(m->json);
        close_many(m->fds, m->n_fds);
        free(m->fds);
        *m = (VarlinkMessage) {};
}

/* Moves unconsumed input to the front and grows the buffer so one more read fits. */
static int stream_make_room(VarlinkStream *s) {
        if (s->in_start > 0 && (s->in_start == s->in_end || s->in_alloc - s->in_end < READ_CHUNK)) {
                memmove(s->in, s->in + s->in_start, s->in_end - s->in_start);
                s->in_offset += s->in_start;
                s->in_end -= s->in_start;
                s->in_scanned -= s->in_start;
                s->in_tail -= s->in_start;
                s->in_start = 0;
        }
        if (s->in_alloc - s->in_end >= READ_CHUNK)
                return 0;

        size_t want = MAX(s->in_alloc * 2, s->in_end + READ_CHUNK);
        char *p = realloc(s->in, want);
        if (!p)
                return -ENOMEM;
        s->in = p;
        s->in_alloc = want;
        return 0;
}

static void close_cmsg_fds(struct msghdr *mh) {
        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                        close_many((int *) CMSG_DATA(c), (c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
}

/* Where the message owning the fds of a recvmsg() of n bytes begins, relative to the bytes read.
 * The kernel ends a recvmsg() right after the segment that carries fds, but glues the segments
 * before it into the same read: the fds belong to the last message that begins in those bytes (a
 * sender sends a message with fds last in its sendmsg(), ours alone). -EPROTO when that message
 * began before them. */
static int fds_message_start(VarlinkStream *s, size_t n, size_t *ret) {
        const char *p = s->in + s->in_end;
        const char *nul = n > 1 ? memrchr(p, 0, n - 1) : NULL;

        if (nul) {
                *ret = (size_t) (nul + 1 - p);
                return 0;
        }
        if (n == 0 || !(s->in_end == s->in_start || s->in[s->in_end - 1] == '\0'))
                return -EPROTO;
        *ret = 0;
        return 0;
}

/* The one SCM_RIGHTS message of a recvmsg(), and how many fds it holds; -EPROTO for two. */
static int find_rights(struct msghdr *mh, struct cmsghdr **ret, size_t *ret_n_fds) {
        *ret = NULL;
        *ret_n_fds = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                        if (*ret)
                                return -EPROTO;
                        *ret = c;
                        *ret_n_fds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                }
        return 0;
}

/* The control buffer of a read: room for fds_in_max fds, and the fds that room takes in fact
 * (CMSG_SPACE() pads to 8 bytes, so room for one int takes two: the kernel fills the padding). */
static size_t stream_control_size(const VarlinkStream *s) {
        return s->fds_in_max > 0 ? CMSG_SPACE(sizeof(int) * MIN(s->fds_in_max, (size_t) VARLINK_FDS_MAX)) : 0;
}

static size_t stream_control_fds(const VarlinkStream *s) {
        size_t size = stream_control_size(s);
        return size > CMSG_LEN(0) ? (size - CMSG_LEN(0)) / sizeof(int) : 0;
}

/* Files the fds of one recvmsg() of n bytes as a batch, at the stream offset of their message.
 * More fds than the control buffer holds (MSG_CTRUNC) make an empty batch marked truncated: the
 * kernel dropped the rest, and the message is refused without the connection. */
static int stream_take_fds(VarlinkStream *s, struct msghdr *mh, size_t n) {
        struct cmsghdr *rights;
        size_t n_fds, start;
        bool truncated = mh->msg_flags & MSG_CTRUNC;

        if (find_rights(mh, &rights, &n_fds) < 0) {
                close_cmsg_fds(mh);
                return -EPROTO;
        }
        if (truncated && n_fds > 0) {
                close_cmsg_fds(mh);
                n_fds = 0;
        }
        if (n_fds == 0 && !truncated)
                return 0;
        if (fds_message_start(s, n, &start) < 0) {
                close_cmsg_fds(mh);
                return -EPROTO;
        }

        if (n_fds > stream_control_fds(s)) {  /* the kernel filled no more than the buffer holds */
                close_cmsg_fds(mh);
                return -EPROTO;
        }
        VarlinkFdBatch *b = TAKE_PTR(s->batch_next);  /* made before the read, for what the buffer holds */
        b->next = NULL;
        b->offset = s->in_offset + s->in_end + start;
        b->truncated = truncated;
        b->n_fds = n_fds;
        s->in_fds += n_fds;
        if (n_fds > 0)
                memcpy(b->fds, CMSG_DATA(rights), n_fds * sizeof(int));

        VarlinkFdBatch **tail = &s->fd_batches;
        while (*tail)
                tail = &(*tail)->next;
        *tail = b;
        return 0;
}

/* Notes the messages completed by n new bytes at in_end, and where the unterminated one begins. */
static void stream_count_new_input(VarlinkStream *s, size_t n) {
        const char *p = s->in + s->in_end, *end = p + n;

        while ((p = memchr(p, 0, (size_t) (end - p)))) {
                s->in_complete++;
                s->in_tail = (size_t) (++p - s->in);
        }
}

static int stream_read(VarlinkStream *s, int flags);

/* Room for the fds one read may bring (or for the note that they were too many, with no room for
 * any), made before the read: once recvmsg() has taken bytes and fds off the socket, running out
 * of memory would lose the call. */
static int stream_make_batch_room(VarlinkStream *s) {
        if (s->batch_next)
                return 0;
        s->batch_next = calloc(1, sizeof(VarlinkFdBatch) + stream_control_fds(s) * sizeof(int));
        return s->batch_next ? 0 : -ENOMEM;
}

int varlink_stream_read(VarlinkStream *s) {
        return stream_read(s, MSG_DONTWAIT);
}

int varlink_stream_read_wait(VarlinkStream *s) {
        return stream_read(s, 0);
}

static int stream_read(VarlinkStream *s, int flags) {
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int) * VARLINK_FDS_MAX)];
        } control;
        int r;

        if (s->eof)
                return 0;
        /* The unterminated message can only grow: refuse it before buffering more than one read
         * beyond the limit (varlink_stream_next() would only see it once the reading stopped). */
        if (s->in_end - s->in_tail >= VARLINK_MESSAGE_MAX)
                return -EMSGSIZE;
        r = stream_make_room(s);
        if (r >= 0)
                r = stream_make_batch_room(s);
        if (r < 0)
                return r;

        struct iovec iov = { .iov_base = s->in + s->in_end, .iov_len = READ_CHUNK };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (s->fds_in_max > 0) {
                mh.msg_control = &control;
                mh.msg_controllen = stream_control_size(s);
        }

        ssize_t n = recvmsg(s->fd, &mh, flags | MSG_CMSG_CLOEXEC);
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return 0;
                if (errno == ECONNRESET || errno == EPIPE) {
                        s->eof = true;
                        return 1;
                }
                return -errno;
        }
        r = stream_take_fds(s, &mh, (size_t) n);
        if (r < 0)
                return r;
        if (n == 0)
                s->eof = true;
        stream_count_new_input(s, (size_t) n);
        s->in_end += (size_t) n;
        return 1;
}

/* Hands the fd batch of the message [start, end) to the message; an fd batch inside it is an error. */
static int stream_claim_fds(VarlinkStream *s, uint64_t start, uint64_t end, VarlinkMessage *m) {
        VarlinkFdBatch *b = s->fd_batches;

        if (b && b->offset == start) {
                if (b->n_fds > 0) {
                        m->fds = malloc(b->n_fds * sizeof(int));
                        if (!m->fds)
                                return -ENOMEM;
                        memcpy(m->fds, b->fds, b->n_fds * sizeof(int));
                }
                m->n_fds = b->n_fds;
                m->fds_truncated = b->truncated;
                s->in_fds -= b->n_fds;
                s->fd_batches = b->next;
                free(b);
                b = s->fd_batches;
        }
        if (b && b->offset < end)
                return -EPROTO;
        return 0;
}

static bool only_whitespace(const char *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!strchr(" \t\r\n", p[i]))
                        return false;
        return true;
}

/* -EBADMSG: not JSON, or not one object. -ENOMEM: json-c could not allocate (it may then leave out
 * what it could not append, and say nothing: see json-oom.h). */
static int parse_object(VarlinkStream *s, const char *text, size_t len, json_object **ret) {
        if (!s->tokener) {
                s->tokener = json_tokener_new_ex(64);
                if (!s->tokener)
                        return -ENOMEM;
                json_tokener_set_flags(s->tokener, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        }
        json_tokener *tok = s->tokener;
        json_tokener_reset(tok);
        json_oom_reset();
        json_object *o = json_tokener_parse_ex(tok, text, (int) len);
        if (json_oom_happened()) {
                json_object_put(o);
                return -ENOMEM;
        }
        if (!o || json_tokener_get_error(tok) != json_tokener_success ||
            !only_whitespace(text + json_tokener_get_parse_end(tok), len - json_tokener_get_parse_end(tok)) ||
            !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return -EBADMSG;
        }
        *ret = o;
        return 0;
}

int varlink_stream_next(VarlinkStream *s, VarlinkMessage *ret) {
        if (!s->in)
                return 0;  /* nothing read yet: no pointer arithmetic on NULL */

        char *start = s->in + s->in_start;
        char *nul = s->in_scanned < s->in_end ? memchr(s->in + s->in_scanned, 0, s->in_end - s->in_scanned) : NULL;
        VarlinkMessage m = {};

        if (!nul) {
                s->in_scanned = s->in_end;
                return s->in_end - s->in_start >= VARLINK_MESSAGE_MAX ? -EMSGSIZE : 0;
        }
        size_t len = (size_t) (nul - start);
        if (len + 1 > VARLINK_MESSAGE_MAX)
                return -EMSGSIZE;

        /* Out of memory, the message stays where it is, with its fds, to be taken again later. */
        int parsed = parse_object(s, start, len, &m.json);
        if (parsed == -ENOMEM)
                return -ENOMEM;
        uint64_t offset = s->in_offset + s->in_start;
        int r = stream_claim_fds(s, offset, offset + len + 1, &m);
        if (r < 0) {
                varlink_message_done(&m);
                return r;
        }
        s->in_start += len + 1;
        s->in_scanned = s->in_start;
        s->in_complete--;

        if (parsed < 0) {
                varlink_message_done(&m);
                return parsed;
        }
        *ret = m;
        return 1;
}

size_t varlink_stream_count_complete(VarlinkStream *s, size_t limit) {
        return MIN(s->in_complete, limit);
}

/* The message's text; NULL out of memory (json-c would leave out what it could not append). */
static const char *stream_serialise(json_object *json, size_t *ret_len) {
        json_oom_reset();
        const char *text = json_object_to_json_string_length(
                        json, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, ret_len);
        return json_oom_happened() ? NULL : text;
}

static void stream_append_output(VarlinkStream *s, VarlinkOutput *o) {
        if (s->out_tail)
                s->out_tail->next = o;
        else
                s->out_head = o;
        s->out_tail = o;
        s->out_bytes += o->size;
}

int varlink_stream_enqueue(VarlinkStream *s, json_object *json, int *fds, size_t n_fds) {
        size_t len;
        const char *text = stream_serialise(json, &len);
        VarlinkOutput *o = NULL;

        if (!text)
                goto fail_nomem;
        if (n_fds > VARLINK_FDS_MAX || len + 1 > VARLINK_MESSAGE_MAX || s->out_bytes + len + 1 > s->out_max) {
                close_many(fds, n_fds);
                return -ENOBUFS;
        }
        o = calloc(1, sizeof(*o) + len + 1);
        if (!o)
                goto fail_nomem;
        if (n_fds > 0) {
                o->fds = malloc(n_fds * sizeof(int));
                if (!o->fds)
                        goto fail_nomem;
                memcpy(o->fds, fds, n_fds * sizeof(int));
                o->n_fds = n_fds;
        }
        memcpy(o->data, text, len + 1);
        o->size = len + 1;
        stream_append_output(s, o);
        return 0;

fail_nomem:
        free(o);
        close_many(fds, n_fds);
        return -ENOMEM;
}

int varlink_stream_set_spare(VarlinkStream *s, const char *text) {
        size_t size = strlen(text) + 1;
        VarlinkOutput *o;

        if (s->spare_queued)
                return -EBUSY;
        o = calloc(1, sizeof(*o) + size);
        if (!o)
                return -ENOMEM;
        memcpy(o->data, text, size);
        o->size = size;
        free(s->spare);
        s->spare = o;
        return 0;
}

int varlink_stream_enqueue_spare(VarlinkStream *s) {
        if (!s->spare)
                return -ENOENT;
        if (s->spare_queued)
                return -EBUSY;
        s->spare->next = NULL;
        s->spare->written = 0;
        s->spare_queued = true;
        stream_append_output(s, s->spare);  /* even over out_max: it is small, and one at a time */
        return 0;
}

/* Builds the next sendmsg(): a message with fds goes alone, from its first byte, with its fds;
 * messages without fds are gathered. Returns the number of iovecs. */
static size_t stream_prepare_send(VarlinkStream *s, struct iovec *iov, struct msghdr *mh, char *control) {
        VarlinkOutput *o = s->out_head;
        size_t n = 0;

        if (o->n_fds > 0 && o->written == 0) {
                iov[n++] = (struct iovec) { .iov_base = o->data, .iov_len = o->size };
                mh->msg_control = control;
                mh->msg_controllen = CMSG_SPACE(sizeof(int) * o->n_fds);
                memset(control, 0, mh->msg_controllen);
                struct cmsghdr *c = CMSG_FIRSTHDR(mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * o->n_fds);
                memcpy(CMSG_DATA(c), o->fds, sizeof(int) * o->n_fds);
                return n;
        }
        for (; o && n < IOV_BATCH; o = o->next) {
                if (o->n_fds > 0 && o->written == 0)
                        break;
                iov[n++] = (struct iovec) { .iov_base = o->data + o->written, .iov_len = o->size - o->written };
        }
        return n;
}

static void stream_consume_output(VarlinkStream *s, size_t n) {
        while (n > 0 && s->out_head) {
                VarlinkOutput *o = s->out_head;
                size_t k = MIN(n, o->size - o->written);

                if (o->written == 0 && o->n_fds > 0) {
                        close_many(o->fds, o->n_fds);  /* in flight now: the kernel holds them */
                        o->n_fds = 0;
                }
                o->written += k;
                n -= k;
                s->out_bytes -= k;
                if (o->written < o->size)
                        break;
                s->out_head = o->next;
                if (!s->out_head)
                        s->out_tail = NULL;
                if (o == s->spare)
                        s->spare_queued = false;  /* kept for the next time */
                else
                        output_free(o);
        }
}

int varlink_stream_flush(VarlinkStream *s) {
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int) * VARLINK_FDS_MAX)];
        } control;

        while (s->out_head) {
                struct iovec iov[IOV_BATCH];
                struct msghdr mh = { .msg_iov = iov };

                mh.msg_iovlen = stream_prepare_send(s, iov, &mh, control.buf);
                ssize_t n = sendmsg(s->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        return -errno;
                }
                stream_consume_output(s, (size_t) n);
        }
        return 1;
}
