#pragma once

int sbx_cli_run(int argc, char **argv);
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
