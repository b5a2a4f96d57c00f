/* How a command starts in each context: the user context (splitbox-init), the
 * platform context (fresh namespaces per command, and its spare), fallback. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "executor.h"

struct sbx_sandbox;

/* user_context.c */
int sbx_user_context_create(struct sbx_sandbox *sb, struct sbx_error *err);
void sbx_user_context_destroy(struct sbx_sandbox *sb);
int sbx_user_spawn(struct sbx_sandbox *sb, uint64_t id, const char *cwd, const char *command, char *const *envp,
                   const int fds[3], int status_fd, struct sbx_error *err);
int sbx_user_kill(struct sbx_sandbox *sb, uint64_t id, int sig);
/* As user code would, with its credentials: path beneath dir_fd (a dir this
 * opened before), or in the sandbox's root when dir_fd is -1. */
int sbx_user_open(struct sbx_sandbox *sb, int dir_fd, const char *path, int flags, mode_t mode,
                  struct sbx_error *err);
/* Renames the entry from of dir_fd to to, or unlinks it when to is NULL. */
int sbx_user_rename(struct sbx_sandbox *sb, int dir_fd, const char *from, const char *to, struct sbx_error *err);
/* Gives fd, an unnamed file (O_TMPFILE) sbx_user_open made, the name name in dir_fd. */
int sbx_user_link(struct sbx_sandbox *sb, int dir_fd, int fd, const char *name, struct sbx_error *err);

/* platform_context.c */
int sbx_platform_context_create(struct sbx_sandbox *sb, struct sbx_error *err);
void sbx_platform_context_destroy(struct sbx_sandbox *sb);
/* *host_pid: the command's init, or 0 when a launcher (a fork, where a
 * platform user namespace must be joined) will say it on the status pipe. */
int sbx_platform_spawn(struct sbx_sandbox *sb, const char *cwd, const char *command, char *const *envp,
                       const int fds[3], int status_fd, pid_t *host_pid, struct sbx_error *err);
/* An exec run to its end, as PID 1 of fresh namespaces (no init: it takes
 * SIGKILL only). *host_pid is the command's, the executor's child, to reap;
 * 0 when a launcher (where a platform user namespace must be joined) says it
 * on the status pipe. The pipe then closes at the command's exec. */
int sbx_platform_exec_direct(struct sbx_sandbox *sb, const char *cwd, const char *command, char *const *envp,
                             const int fds[3], int status_fd, pid_t *host_pid, struct sbx_error *err);
/* A platform init in fresh namespaces that waits, holding nothing secret, for
 * one command on the job socket it returns in *job_fd. */
int sbx_platform_make_spare(struct sbx_sandbox *sb, pid_t *pid, int *job_fd);

/* platform_spare.c: make is called by the spare's own thread (platform_context.c
 * passes sbx_platform_make_spare: it uses the spare, never the other way). */
typedef int sbx_spare_make_fn(struct sbx_sandbox *sb, pid_t *pid, int *job_fd);
void sbx_platform_spare_init(struct sbx_sandbox *sb);
int sbx_platform_spare_start(struct sbx_sandbox *sb, sbx_spare_make_fn *make, struct sbx_error *err);
/* The spare, if one is made or being made (waited for, briefly); the caller owns both. */
bool sbx_platform_spare_take(struct sbx_sandbox *sb, pid_t *pid, int *job_fd);
/* A platform command has ended: if the next spare waits for that, make it now. */
void sbx_platform_spare_refill(struct sbx_sandbox *sb);
/* Idempotent: no spare is made after it, and the one there is ends. */
void sbx_platform_spare_stop(struct sbx_sandbox *sb);

/* fallback.c */
/* Builds what fallback user code is confined with beyond seccomp: a Landlock
 * ruleset (filesystem, signals, abstract sockets, ptrace). Without Landlock,
 * records why (sb->landlock_why) for the warnings. */
void sbx_fallback_prepare(struct sbx_sandbox *sb);
int sbx_fallback_spawn(struct sbx_sandbox *sb, enum sbx_context ctx, const char *cwd, const char *command,
                       char *const *envp, const int fds[3], int status_fd, pid_t *pid, struct sbx_error *err);
int sbx_fallback_open_as_user(struct sbx_sandbox *sb, int dir_fd, const char *path, int flags, mode_t mode,
                              struct sbx_error *err);
int sbx_fallback_rename_as_user(struct sbx_sandbox *sb, int dir_fd, const char *from, const char *to,
                                struct sbx_error *err);
/* Gives fd, an unnamed file (O_TMPFILE), the name name in dir_fd, as the user. */
int sbx_fallback_link_as_user(struct sbx_sandbox *sb, int dir_fd, int fd, const char *name, struct sbx_error *err);
