/* Host processes for the harness: run one to its end with captured output
 * and a timeout, or start one in the background; each in a session of its
 * own, so that a timeout or a stop ends its whole tree. */
#pragma once

#include <sys/types.h>

#include "backend_result.h"
#include "io.h" /* EINTR-retrying reads and writes: the reference core's */
#include "splitbox-error.h"

/* Runs argv with exactly envp; the whole session is killed at the timeout
 * (res->timed_out). 0 when it ran, -1 when it could not start. */
int sbx_run(char *const argv[], char *const envp[], long long timeout_ms, struct sbx_bresult *res,
            struct sbx_error *err);
/* Starts argv in the background, output to log_path (or /dev/null). */
int sbx_run_background(char *const argv[], char *const envp[], const char *log_path, pid_t *pid,
                       struct sbx_error *err);
/* SIGTERM to the session, SIGKILL after grace_ms, and reaps the leader. */
void sbx_run_stop(pid_t pid, long grace_ms);
/* The absolute path of a program in $PATH (or as given, if it has a '/'); NULL if none. */
char *sbx_which(const char *program);
double sbx_monotonic_ms(void);
