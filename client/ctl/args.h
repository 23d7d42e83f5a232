/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* privmemctl's command line: global options, then a command's options and operands. */
#pragma once

#include "ctl.h"

enum { ARGS_CONTINUE = -1, ARGS_HELP = -2 };

/* Parses the options before the command; optind is left at the command. Returns ARGS_CONTINUE,
 * ARGS_HELP, or an exit code. */
int args_parse_global(Ctl *c, int argc, char **argv);
/* Parses argv (argv[0] is the command) and runs it; returns the exit code. */
int args_run_verb(Ctl *c, const Verb *v, int argc, char **argv);
