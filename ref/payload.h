/* The spawn payload (cwd, command, env in a memfd) and the exec of a supervisor that reads it. */
#pragma once

#include <stdbool.h>

#include "error.h"
#include "proto.h"

int sbx_payload_create(const char *cwd, const char *command, char *const *envp, struct sbx_error *err);
/* Replaces the caller by splitbox-init supervising the command: fds are the
 * payload, stdin, stdout, stderr and status. Returns only on error. */
int sbx_exec_supervisor(int init_fd, const int fds[SBX_SUPERVISE_FDS], bool ns_init, struct sbx_error *err);
/* The same for a spare platform init: its job socket and the lifeline. */
int sbx_exec_spare_supervisor(int init_fd, int job_fd, int lifeline_fd, struct sbx_error *err);
