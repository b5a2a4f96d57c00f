/* One command in one context, with its status stream: what exec.c and process.c build on. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "executor.h"

struct sbx_sandbox;

struct sbx_launch
{
  enum sbx_context context;
  uint64_t id;
  int status_fd;  /* read end */
  pid_t host_pid; /* platform: namespace init; fallback: supervisor; user: 0 */
  pid_t pid;      /* inside the context */
  bool trust_gpid; /* only a platform launch reports its init's host pid */
  bool direct;     /* the command is its namespace's PID 1: status_fd is its pidfd */
  bool tracked;    /* registered with sbx_sandbox_track */
  bool exited;
  bool reaped;
  int wait_status;
  int fail_errno;
  int fail_value; /* the FAILED record's value */
  char fail_msg[244];
};
/* run_to_end: an exec, which is only ever killed (SIGKILL), never signalled
 * otherwise; a platform one may then run without an init (contexts.h). */
int sbx_launch_start(struct sbx_sandbox *sb, const struct sbx_exec_request *req, const int fds[3], bool run_to_end,
                     struct sbx_launch *l, struct sbx_error *err);
/* Consumes available status records; blocking waits for the next one. 1 when changed. */
int sbx_launch_poll_status(struct sbx_launch *l, bool blocking);
void sbx_launch_signal(struct sbx_sandbox *sb, struct sbx_launch *l, int sig);
/* Ends the launch: kills what is left and reaps; waits at most grace_ms for a clean exit. */
void sbx_launch_finish(struct sbx_sandbox *sb, struct sbx_launch *l, int grace_ms);
