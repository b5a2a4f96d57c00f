/* Creating, preparing and reaping the executor's child processes. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* clone with flags, as a fork. */
pid_t sbx_clone_raw(unsigned long flags);
/* waitpid for a child of ours, through EINTR; and the same after SIGKILL. */
void sbx_reap(pid_t pid);
void sbx_kill_reap(pid_t pid);
int sbx_close_fds_except(const int *keep, size_t n);
struct sbx_sandbox;
/* With die_with_parent: sig when the executor dies. Call after any uid change,
 * in the child (its error comes from sbx_error_child). */
int sbx_die_with_parent(const struct sbx_sandbox *sb, int sig, struct sbx_error *err);
