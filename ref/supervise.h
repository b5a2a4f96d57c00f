/* The supervisor: the parent of every command, in every context. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct sbx_supervise_spec
{
  char *const *argv; /* argv[0] is the program path */
  char *const *envp;
  const char *cwd;
  int stdin_fd, stdout_fd, stderr_fd, status_fd;
  int lifeline_fd; /* -1, or hangs up when the executor dies: the tree dies too */
  bool ns_init; /* PID 1 of its own PID namespace: the kernel ends the tree with it */
};
/* Starts the command (in a session of its own when new_session, else a
 * process group), closes the spec's stdio and reports STARTED, or FAILED and -1. */
int sbx_supervise_start(const struct sbx_supervise_spec *spec, bool new_session, pid_t *child);
/* Runs the command and waits for it; returns the exit code for _exit(). */
int sbx_supervise(const struct sbx_supervise_spec *spec);
