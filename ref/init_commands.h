/* The user context's commands, supervised by splitbox-init itself. */
#pragma once

#include <stdint.h>

/* Starts COMMAND (sh -c) in a session of its own. fds: stdin, stdout, stderr
 * and the status pipe; on success the status pipe is kept (set to -1 here)
 * and the others are closed. A failure is reported on the status pipe. */
void sbx_cmd_start(uint64_t id, const char *cwd, const char *command, char *const *envp, int fds[4]);
/* Sends SIG to the tree of command ID: its process group and its session. */
void sbx_cmd_signal(uint64_t id, int sig);
/* Reaps what exited (we are PID 1: orphans are ours too), and ends what exited
 * commands left behind; their exit is reported once that is gone. Call it on
 * every turn of the main loop: it looks at most once per interval. */
void sbx_cmd_reap(void);
/* The poll timeout the main loop should use: -1, or a short one while
 * leftovers are being ended. */
int sbx_cmd_poll_timeout(void);
