#pragma once

#include <stdbool.h>
#include <stdio.h>

/* -1 with -q/--quiet, 1 with -v/--verbose, else 0 (main.c, for every verb). */
extern int sbx_cli_verbosity;
/* Whether to write colour to f: a terminal, NO_COLOR unset or empty, TERM not dumb. */
bool sbx_cli_colour(FILE *f);

int sbx_cli_run(int argc, char **argv);
struct sbx_limits;
/* --pids-max, --memory-max or --cpu-weight (name without dashes) into limits; -1 after saying why on stderr. */
int sbx_cli_limit_option(const char *name, const char *arg, struct sbx_limits *limits);
#define SBX_CLI_LIMITS_USAGE                                                                                      \
  "      --pids-max N|none      processes and threads of user code (default 1024)\n"                             \
  "      --memory-max SIZE|none memory of user code, tmpfs files included (default 2G)\n"                       \
  "      --cpu-weight N         CPU share of user code, 1 to 10000 (default 100)\n"                            \
  "      --shared-max SIZE|none the shared dir as a tmpfs of SIZE of its own (default\n"                          \
  "                             none: the host directory, unbounded)\n"
int sbx_cli_daemon(int argc, char **argv);
/* exec, start, ps, kill, read, write, ls and call (client_verbs.c) */
#include <stdbool.h>
#include <stdio.h>
bool sbx_cli_is_client_verb(const char *verb);
int sbx_cli_client_verb(int argc, char **argv);
void sbx_cli_client_usage(FILE *out);
int sbx_cli_no_namespaces(int argc, char **argv);
/* audit, backends and report render (audit.c) */
int sbx_cli_audit(int argc, char **argv);
int sbx_cli_backends(int argc, char **argv);
int sbx_cli_report(int argc, char **argv);
int sbx_cli_conform(int argc, char **argv);
int sbx_cli_caps(int argc, char **argv);
int sbx_cli_bench(int argc, char **argv);
/* The first line of a token file, malloc'd; NULL when unreadable or empty. */
char *sbx_cli_read_token(const char *path);
/* Path of splitbox-init: beside this binary, else the install's libexecdir. Never NULL. */
const char *sbx_cli_init_path(void);
