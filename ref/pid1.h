/* A command as PID 1 of its namespaces: what a platform exec becomes. */
#pragma once

#include "error.h"

/* Execs /bin/sh -c COMMAND in CWD with ENVP: STDIO on 0-2 and nothing else
 * open, a session of its own, default dispositions and no blocked signal,
 * and SIGKILL should its parent die (the one signal a PID 1 cannot ignore).
 * LIFELINE_FD hangs up when the executor is gone: then it does not start.
 * Syscalls only: the executor's vfork-style child runs it on the executor's
 * memory. Returns only on failure, with err set (sbx_error_child). */
void sbx_exec_as_pid1(const char *command, const char *cwd, char *const *envp, const int stdio[3], int lifeline_fd,
                      struct sbx_error *err);
