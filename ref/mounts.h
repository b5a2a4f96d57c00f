/* Mount helpers used while building a context's view. */
#pragma once

/* All run in a child before its exec: their errors come from sbx_error_child. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* Every tmpfs a context can write is bounded: it is memory. */
#define SBX_TMPFS_SIZE "size=1g"
#define SBX_TMPFS_SHM_SIZE "size=256m"

int sbx_mount_tmpfs(const char *target, const char *opts, struct sbx_error *err);
int sbx_mount_bind(const char *source, const char *target, bool recursive, bool readonly, struct sbx_error *err);
/* Attaches a detached mount (open_tree, fsmount) at target. */
int sbx_mount_attach(int mount_fd, const char *target, struct sbx_error *err);
int sbx_mount_set_readonly(const char *target, struct sbx_error *err);
/* Adds MOUNT_ATTR_* flags to a mount (and its submounts when recursive). */
int sbx_mount_set_attrs(const char *target, bool recursive, uint64_t attrs, struct sbx_error *err);
int sbx_mount_proc(const char *target, struct sbx_error *err);
int sbx_make_slave(struct sbx_error *err);
int sbx_pivot_into(const char *newroot, struct sbx_error *err);
int sbx_mkdir_p(const char *path, mode_t mode, struct sbx_error *err);
int sbx_touch(const char *path, struct sbx_error *err);
/* Recreates the symlink host at dest, with the same target. */
int sbx_copy_symlink(const char *host, const char *dest, struct sbx_error *err);
int sbx_loopback_up(struct sbx_error *err);
