/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers the benchmarks share: clocks, percentiles, a privmemd of their own. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

double bench_now(void);                                 /* seconds, CLOCK_MONOTONIC */
double bench_percentile(double *v, size_t n, double p); /* sorts v */
/* Starts privmemd (path) with config text on a socket in dir; returns its pid. */
pid_t bench_start_daemon(const char *privmemd, const char *dir, const char *config, char *socket, size_t size);
void bench_stop_daemon(pid_t pid);
/* Waits until pool's class of size has `ready` ready memfds; seconds waited, or < 0. */
double bench_wait_ready(const char *socket, const char *pool, uint64_t size, uint64_t ready, double timeout);
/* Reserves n more hugepages of the kB size; returns how many it got (give back exactly these). */
long bench_hugepages_take(unsigned long kb, long n);
void bench_hugepages_give_back(unsigned long kb, long n);
