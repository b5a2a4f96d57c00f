/* Internal interfaces of libsplitbox, shared between its files and its tests. */
#pragma once

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "proto.h"
#include "executor.h"

/* ---- time.c ---- */
double sbx_now_ms(void);       /* CLOCK_MONOTONIC */
double sbx_wall_seconds(void); /* CLOCK_REALTIME */
void sbx_iso8601(double wall_seconds, char *buf, size_t len);

/* ---- status.c: status records, and full writes ---- */
/* Writes all of buf, retrying short writes and EINTR. 0, or -1 with errno. */
int sbx_write_all(int fd, const void *buf, size_t len);
int sbx_status_write(int fd, int kind, int value, int errno_, const char *msg);
/* Reports err on fd as a FAILED record. */
void sbx_status_fail(int fd, const struct sbx_error *err);
/* Reads one record; 1 on a record, 0 on EOF, -1 on error (errno set). */
int sbx_status_read(int fd, struct sbx_status_rec *rec);

/* ---- resolve.c ---- */
struct open_how;
/* openat2, retried while the kernel answers EAGAIN. */
int sbx_openat2(int dirfd, const char *path, struct open_how *how);

#include "base64.h"

/* ---- fdpass.c ---- */
int sbx_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds);
/* Receives up to max_fds fds (made O_CLOEXEC); the rest of fds[] is set to -1. */
ssize_t sbx_recv_fds(int sock, void *buf, size_t len, int *fds, size_t max_fds, size_t *nfds);

/* ---- supervise.c: the parent of every command, in every context ---- */
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
/* ---- proc_stat.c ---- */
struct sbx_proc_stat
{
  char state;
  int ppid, session;
  unsigned long long start; /* starttime, in clock ticks since boot */
};
bool sbx_proc_stat_read(pid_t pid, struct sbx_proc_stat *st);
/* Sends sig to every descendant of the calling process (found through /proc). Returns how many. */
int sbx_signal_descendants(int sig);

/* ---- seccomp.c ---- */
/* Denies user code the kernel keyring syscalls. Needs no_new_privs or CAP_SYS_ADMIN. */
int sbx_seccomp_user(struct sbx_error *err);

/* ---- caps.c ---- */
int sbx_caps_drop_bounding(struct sbx_error *err);
int sbx_caps_drop_all(struct sbx_error *err);
int sbx_become_user(uid_t uid, gid_t gid, bool drop_groups, struct sbx_error *err);

/* ---- userns.c ---- */
int sbx_userns_write_maps(pid_t pid, uid_t inside_uid, uid_t outside_uid, gid_t inside_gid, gid_t outside_gid,
                          bool deny_setgroups, struct sbx_error *err);

/* ---- mounts.c ---- */
/* Every tmpfs a context can write is bounded: it is memory. */
#define SBX_TMPFS_SIZE "size=1g"
#define SBX_TMPFS_SHM_SIZE "size=256m"

int sbx_mount_tmpfs(const char *target, const char *opts, struct sbx_error *err);
int sbx_mount_bind(const char *source, const char *target, bool recursive, bool readonly, struct sbx_error *err);
int sbx_mount_set_readonly(const char *target, struct sbx_error *err);
int sbx_mount_proc(const char *target, struct sbx_error *err);
int sbx_make_slave(struct sbx_error *err);
int sbx_pivot_into(const char *newroot, struct sbx_error *err);
int sbx_mkdir_p(const char *path, mode_t mode, struct sbx_error *err);
int sbx_touch(const char *path, struct sbx_error *err);
/* Recreates the symlink host at dest, with the same target. */
int sbx_copy_symlink(const char *host, const char *dest, struct sbx_error *err);
int sbx_loopback_up(struct sbx_error *err);

/* ---- spawn.c: clone with flags, as a fork ---- */
pid_t sbx_clone_raw(unsigned long flags);
/* waitpid for a child of ours, through EINTR; and the same after SIGKILL. */
void sbx_reap(pid_t pid);
void sbx_kill_reap(pid_t pid);
int sbx_join_new_session_keyring(void);
int sbx_close_fds_except(const int *keep, size_t n);
struct sbx_sandbox;
/* With die_with_parent: sig when the executor dies. Call after any uid change. */
int sbx_die_with_parent(const struct sbx_sandbox *sb, int sig, struct sbx_error *err);

/* ---- env.c ---- */
/* run_dir: NULL, or SPLITBOX_RUN_DIR, where a platform command finds the operations socket. */
char **sbx_env_build(enum sbx_context ctx, const char *home, const char *run_dir, const char *const *legacy,
                     const char *const *call_env, struct sbx_error *err);
extern const char sbx_user_path[];
extern const char sbx_platform_path[];

/* ---- payload.c ---- */
int sbx_payload_create(const char *cwd, const char *command, char *const *envp, struct sbx_error *err);
int sbx_place_fds(const int *src, size_t n, int first);
/* Replaces the caller by splitbox-init supervising the command: fds are the
 * payload, stdin, stdout, stderr and status. Returns only on error. */
int sbx_exec_supervisor(int init_fd, const int fds[SBX_SUPERVISE_FDS], bool ns_init, struct sbx_error *err);
/* The same for a spare platform init: its job socket and the lifeline. */
int sbx_exec_spare_supervisor(int init_fd, int job_fd, int lifeline_fd, struct sbx_error *err);

/* ---- the sandbox ---- */
struct sbx_proc;

struct sbx_sandbox
{
  enum sbx_isolation isolation;
  enum sbx_network user_network, platform_network;
  bool legacy;
  char **legacy_env;
  char *state_dir;
  bool own_state_dir;
  char *shared_host_dir;
  char *shared_path;
  char *platform_dir; /* host path of /platform */
  char *platform_run_dir; /* NULL, or the host dir that appears at /run/splitbox */
  char **platform_hidden; /* host paths platform views cover up */
  char *log_dir;
  char *user_home_fallback;
  char *platform_home_fallback;
  uid_t user_host_uid;
  gid_t user_host_gid;
  size_t output_cap;
  bool die_with_parent;
  int lifeline[2]; /* a pipe: children see POLLHUP once the executor is gone */
  int init_bin_fd;

  /* user context */
  pid_t user_init_pid; /* host pid */
  int user_ctl_fd;

  /* platform context */
  int platform_userns_fd;
  int platform_mntns_fd;

  /* platform_spare.c: one platform init made ahead of the next command */
  bool warm_platform;
  pthread_mutex_t spare_lock, spare_stop_lock;
  pthread_cond_t spare_cond;
  pthread_t spare_thread;
  bool spare_thread_running, spare_making, spare_stop, spare_broken;
  bool spare_wanted; /* the maker may make one now */
  pid_t spare_pid;
  int spare_fd; /* its job socket */

  int shared_fd;
  int platform_fd;

  pthread_mutex_t lock;
  /* Host pids of launches in flight (platform inits, fallback supervisors).
   * A lock of its own: launch_finish runs under sb->lock in process.c. */
  pthread_mutex_t active_lock;
  pid_t *active;
  size_t n_active, cap_active;
  bool killed;   /* sbx_sandbox_kill_all ran: nothing new starts */
  struct sbx_proc *procs;
  size_t n_procs, cap_procs;
  uint64_t next_id;
};

/* user_context.c */
int sbx_user_context_create(struct sbx_sandbox *sb, struct sbx_error *err);
void sbx_user_context_destroy(struct sbx_sandbox *sb);
int sbx_user_spawn(struct sbx_sandbox *sb, uint64_t id, const char *cwd, const char *command, char *const *envp,
                   const int fds[3], int status_fd, struct sbx_error *err);
int sbx_user_kill(struct sbx_sandbox *sb, uint64_t id, int sig);
int sbx_user_open(struct sbx_sandbox *sb, const char *path, int flags, mode_t mode, struct sbx_error *err);

/* platform_context.c */
int sbx_platform_context_create(struct sbx_sandbox *sb, struct sbx_error *err);
void sbx_platform_context_destroy(struct sbx_sandbox *sb);
/* *host_pid: the command's init, or 0 when a launcher (a fork, where a
 * platform user namespace must be joined) will say it on the status pipe. */
int sbx_platform_spawn(struct sbx_sandbox *sb, const char *cwd, const char *command, char *const *envp,
                       const int fds[3], int status_fd, pid_t *host_pid, struct sbx_error *err);
/* A platform init in fresh namespaces that waits, holding nothing secret, for
 * one command on the job socket it returns in *job_fd. */
int sbx_platform_make_spare(struct sbx_sandbox *sb, pid_t *pid, int *job_fd);

/* platform_spare.c */
void sbx_platform_spare_init(struct sbx_sandbox *sb);
int sbx_platform_spare_start(struct sbx_sandbox *sb, struct sbx_error *err);
/* The spare, if one is made or being made (waited for, briefly); the caller owns both. */
bool sbx_platform_spare_take(struct sbx_sandbox *sb, pid_t *pid, int *job_fd);
/* A platform command has ended: if the next spare waits for that, make it now. */
void sbx_platform_spare_refill(struct sbx_sandbox *sb);
/* Idempotent: no spare is made after it, and the one there is ends. */
void sbx_platform_spare_stop(struct sbx_sandbox *sb);

/* fallback.c */
int sbx_fallback_spawn(struct sbx_sandbox *sb, enum sbx_context ctx, const char *cwd, const char *command,
                       char *const *envp, const int fds[3], int status_fd, pid_t *pid, struct sbx_error *err);
int sbx_fallback_open_as_user(struct sbx_sandbox *sb, const char *path, int flags, mode_t mode,
                              struct sbx_error *err);

/* launch.c: one command in a context, with its status stream */
struct sbx_launch
{
  enum sbx_context context;
  uint64_t id;
  int status_fd;  /* read end */
  pid_t host_pid; /* platform: namespace init; fallback: supervisor; user: 0 */
  pid_t pid;      /* inside the context */
  bool trust_gpid; /* only a platform launch reports its init's host pid */
  bool tracked;    /* registered with sbx_sandbox_track */
  bool exited;
  bool reaped;
  int wait_status;
  int fail_errno;
  char fail_msg[244];
};
int sbx_launch_start(struct sbx_sandbox *sb, const struct sbx_exec_request *req, const int fds[3],
                     struct sbx_launch *l, struct sbx_error *err);
/* Consumes available status records; blocking waits for the next one. 1 when changed. */
int sbx_launch_poll_status(struct sbx_launch *l, bool blocking);
void sbx_launch_signal(struct sbx_sandbox *sb, struct sbx_launch *l, int sig);
/* Ends the launch: kills what is left and reaps; waits at most grace_ms for a clean exit. */
void sbx_launch_finish(struct sbx_sandbox *sb, struct sbx_launch *l, int grace_ms);

/* sandbox.c: launches in flight, for sbx_sandbox_kill_all. */
int sbx_sandbox_track(struct sbx_sandbox *sb, pid_t host_pid);
void sbx_sandbox_untrack(struct sbx_sandbox *sb, pid_t host_pid);

/* sandbox.c: removes a tree by fd, never following links. */
void sbx_remove_tree(const char *path);

/* result_json.c: valid UTF-8 without NUL, invalid bytes as U+FFFD (malloc'd). */
char *sbx_utf8_sanitize(const char *s, size_t len);
bool sbx_utf8_valid(const char *s, size_t len);

/* warnings.c */
char **sbx_warnings_for(const struct sbx_sandbox *sb, enum sbx_context ctx);

/* Turns a FAILED status record back into an error. Returns -1. */
int sbx_status_record_error(const struct sbx_status_rec *rec, struct sbx_error *err);
