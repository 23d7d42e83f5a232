/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a lent memfd must look like, before and after its lease ends; fds between processes. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Exactly size bytes, sealed against resizing (and not against writing), every page allocated,
 * all zeros, O_CLOEXEC. */
void memfd_check_ready(int fd, uint64_t size);
/* Writes a pattern derived from seed into every 4K page through a shared mapping. */
void memfd_fill(int fd, uint64_t size, uint32_t seed);
/* The pattern is still there, and every page still allocated. */
void memfd_check_filled(int fd, uint64_t size, uint32_t seed);
/* Waits until the memory is given back: no blocks left, zeros where the pattern was. */
void memfd_wait_invalidated(int fd, uint64_t size, unsigned timeout_ms);
ino_t memfd_inode(int fd);

/* fd passing over a SOCK_SEQPACKET socketpair, with a string (a lease id), for memfds acquired in
 * children. */
void fd_send(int sock, int fd, const char *text);
int fd_receive(int sock, char *text, size_t size);
