/* libsplitbox: one sandbox, two contexts (user and platform), and a shared directory. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

enum sbx_context
{
  SBX_CTX_USER,
  SBX_CTX_PLATFORM,
};

enum sbx_scope
{
  SBX_SCOPE_USER,
  SBX_SCOPE_PLATFORM,
  SBX_SCOPE_SHARED,
};

enum sbx_isolation
{
  SBX_ISO_AUTO = 0,
  SBX_ISO_NAMESPACES,
  SBX_ISO_USERNS,
  SBX_ISO_FALLBACK,
};

enum sbx_network
{
  SBX_NET_DEFAULT = 0,
  SBX_NET_ISOLATED,
  SBX_NET_HOST,
};

#define SBX_DEFAULT_OUTPUT_CAP (16u * 1024 * 1024)
/* Linux's MAX_ARG_STRLEN: the longest string execve takes, its NUL included. */
#define SBX_ARG_STRLEN_MAX (32 * 4096)
/* Finished started processes kept for get/list/logs, per sandbox: older ones are forgotten. */
#define SBX_PROCESS_FINISHED_KEEP 256
/* A started process's log (each of stdout, stderr) past this is rotated to LOG.1. */
#define SBX_PROCESS_LOG_CAP (8u * 1024 * 1024)
#define SBX_DEFAULT_USER_HOST_ID 100000
#define SBX_DEFAULT_SHARED_PATH "/app"
#define SBX_PLATFORM_PRIVATE_PATH "/platform"
#define SBX_PLATFORM_RUN_PATH "/run/splitbox"
#define SBX_PLATFORM_CLI_DIR "bin" /* under the run dir: platform_cli as `splitbox` */
#define SBX_USER_HOME "/home/user"
#define SBX_PLATFORM_HOME "/root"
#define SBX_USER_ID_INSIDE 1000

#define SBX_DEFAULT_PIDS_MAX 1024
#define SBX_DEFAULT_MEMORY_MAX (2LL << 30) /* 2 GiB, tmpfs pages included */
#define SBX_DEFAULT_CPU_WEIGHT 100         /* cgroup v2's default share */

struct sbx_limits
{
  long pids;          /* processes and threads; 0: the default; -1: none */
  long long memory;   /* bytes; 0: the default; -1: none */
  unsigned cpu_weight; /* 1..10000 as cgroup v2's cpu.weight; 0: the default */
  long long shared_max; /* bytes: the shared dir is a tmpfs of this size; 0: the default; -1: none (the
                           host directory, unbounded) */
};

struct sbx_options
{
  const char *state_dir;         /* NULL: a fresh directory in $TMPDIR, removed with the sandbox */
  bool remove_state_dir;         /* remove a given state_dir with the sandbox too */
  const char *shared_dir;        /* host dir to share; NULL: STATE/shared */
  const char *shared_path;       /* where the shared dir appears in both contexts; default /app */
  const char *init_path;         /* the splitbox-init binary; required */
  enum sbx_isolation isolation;  /* AUTO: detect */
  enum sbx_network user_network; /* default isolated */
  enum sbx_network platform_network; /* default host */
  bool require_isolation;        /* fail with NAMESPACE_NOT_SUPPORTED instead of falling back */
  bool legacy;                   /* old behaviour: legacy_env visible to both contexts */
  const char *const *legacy_env; /* NAME=VALUE, NULL-terminated */
  uid_t user_host_uid;           /* when privileged: a fixed host uid for user code; 0: one of its own
                                    from the uid range (uid_pool.c) */
  gid_t user_host_gid;
  uid_t uid_range_start, uid_range_count; /* 0: the `splitbox` user's subordinate range */
  size_t output_cap;             /* per stream; 0 means SBX_DEFAULT_OUTPUT_CAP */
  bool die_with_parent;          /* kill the sandbox's processes if the creating thread dies */
  bool warm_platform;            /* keep one platform init (fresh namespaces, no secret) made ahead
                                    of the next platform command: for long-lived sandboxes */
  const char *platform_run_dir;  /* NULL, or a host dir every platform command sees at /run/splitbox
                                    (SPLITBOX_RUN_DIR names it); user code never sees it */
  const char *platform_cli;      /* NULL, or a program platform commands find on their PATH as
                                    `splitbox` (in /run/splitbox/bin): the daemon's CLI, for
                                    `splitbox call`; needs platform_run_dir */
  const char *const *platform_hidden; /* host paths (NULL-terminated) that platform views cover up,
                                         e.g. a daemon's state dir and control socket */
  struct sbx_limits limits;      /* user code's processes, memory and CPU weight (resource_limits.c) */
  bool no_landlock;              /* fallback without Landlock: for positive controls and comparison only */
  bool no_subids;                /* userns mode: user code stays the caller's uid even where subordinate ids
                                    exist; for positive controls and comparison only */
  bool platform_host_readonly;   /* platform views see the host's files read-only, but for the
                                    shared dir, /platform, /tmp and HOME (--platform-host-fs ro) */
};

struct sbx_sandbox;

struct sbx_exec_request
{
  enum sbx_context context;
  const char *command;    /* run as /bin/sh -c COMMAND */
  const char *const *env; /* NAME=VALUE, NULL-terminated */
  const char *cwd;        /* a path in the context's view; NULL for the default */
  long long timeout_ms;   /* 0: none; negative is a validation error */
  /* Platform: run the command under splitbox-init, not as PID 1 of its
   * namespace (which ignores a signal it has no handler for, even from
   * itself: `kill $$`). Costs an exec more. User commands always have one. */
  bool init;
  /* Optional: called with each chunk of output as it arrives (stream 1 or 2),
   * in the calling thread. The result still holds the captured output. */
  void (*on_output)(void *arg, int stream, const char *data, size_t len);
  void *on_output_arg;
};

struct sbx_exec_result
{
  bool success;
  int exit_code;   /* 128+signal when killed by a signal */
  int term_signal; /* 0 unless killed by a signal */
  bool timed_out;
  bool oom_killed; /* killed by the sandbox's memory limit */
  char *stdout_buf;
  size_t stdout_len;
  bool stdout_truncated;
  char *stderr_buf;
  size_t stderr_len;
  bool stderr_truncated;
  char *command;
  double duration_ms;
  char timestamp[40]; /* ISO 8601, UTC, when the exec started */
  enum sbx_context context;
  enum sbx_isolation isolation;
  char **warnings; /* NULL-terminated */
};

enum sbx_process_status
{
  SBX_PROC_RUNNING,
  SBX_PROC_COMPLETED,
  SBX_PROC_FAILED,
  SBX_PROC_KILLED,
  SBX_PROC_ERROR,
};

struct sbx_process_info
{
  char id[32];
  pid_t pid; /* as seen inside the process's own context */
  char *command;
  enum sbx_process_status status;
  int exit_code;
  double start_time; /* seconds since the epoch */
  double end_time;   /* 0 while running */
  enum sbx_context context;
};

struct sbx_dirent
{
  char *name;
  char type; /* 'f' file, 'd' directory, 'l' symlink, 'o' other */
  uint64_t size;
};

/* Isolation */
int sbx_isolation_detect(enum sbx_isolation *out, struct sbx_error *err);
const char *sbx_isolation_name(enum sbx_isolation iso);
const char *sbx_context_name(enum sbx_context ctx);
int sbx_context_parse(const char *name, enum sbx_context *out);
int sbx_network_parse(const char *name, enum sbx_network *out);

/* Sandbox lifecycle */
struct sbx_sandbox *sbx_sandbox_create(const struct sbx_options *opts, struct sbx_error *err);
void sbx_sandbox_destroy(struct sbx_sandbox *sb);
/* Kills every process of the sandbox, in both contexts, now; the object
 * stays valid (calls on it then fail) until sbx_sandbox_destroy. Thread-safe. */
void sbx_sandbox_kill_all(struct sbx_sandbox *sb);
enum sbx_isolation sbx_sandbox_isolation(const struct sbx_sandbox *sb);
const char *sbx_sandbox_state_dir(const struct sbx_sandbox *sb);
/* The host directory behind the shared dir; it stays empty when the shared dir is bounded (limits.shared_max):
 * reach that one with sbx_sandbox_shared_dir_fd. */
const char *sbx_sandbox_shared_host_dir(const struct sbx_sandbox *sb);
const char *sbx_sandbox_shared_path(const struct sbx_sandbox *sb, enum sbx_context ctx);
const char *sbx_sandbox_platform_path(const struct sbx_sandbox *sb);
/* Host pid of the user context's init; 0 in fallback mode. */
pid_t sbx_sandbox_user_init_pid(const struct sbx_sandbox *sb);
/* The host uid of user code (privileged modes, and userns mode with subordinate ids), and whether other
 * sandboxes may share it. */
uid_t sbx_sandbox_user_host_uid(const struct sbx_sandbox *sb, bool *shared);
/* Userns mode: whether user code runs as one of the caller's subordinate ids (else as the caller's uid,
 * and why: *why, when not NULL). */
bool sbx_sandbox_user_subids(const struct sbx_sandbox *sb, const char **why);
/* An O_PATH fd of the shared dir's top, the caller's to close: the host directory, or the sandbox's
 * own tmpfs when bounded (limits.shared_max), which has no host path. -1 with errno on failure. */
int sbx_sandbox_shared_dir_fd(const struct sbx_sandbox *sb);

/* Exec: returns 0 when the command ran (whatever its exit code), -1 on error.
 * On a timeout it returns -1 with COMMAND_TIMEOUT and still fills *res. */
int sbx_exec(struct sbx_sandbox *sb, const struct sbx_exec_request *req, struct sbx_exec_result *res,
             struct sbx_error *err);
void sbx_exec_result_clear(struct sbx_exec_result *res);
/* sbx_exec in steps, for an event loop that runs many at once without a
 * thread each: begin launches the command (and fills res's header, or all of
 * res on failure); pollfds says what to wait for (POLLIN on up to three fds,
 * -1 for none) and until when (sbx_now_ms time, -1 for no limit, 0 for now);
 * advance does what is ready without blocking and says whether it is over;
 * end reaps, completes res and frees the job. cancel kills the command's
 * tree (its client went away); end then reports it. */
struct sbx_exec_job;
struct pollfd; /* three of them */

int sbx_exec_begin(struct sbx_sandbox *sb, const struct sbx_exec_request *req, struct sbx_exec_result *res,
                   struct sbx_exec_job **job, struct sbx_error *err);
void sbx_exec_job_pollfds(const struct sbx_exec_job *job, struct pollfd *pfd, double *wake_ms);
bool sbx_exec_job_advance(struct sbx_exec_job *job, const struct pollfd *pfd);
void sbx_exec_job_cancel(struct sbx_exec_job *job);
/* Whether end would return at once: the command has exited and nothing is
 * left to reap, and its output is small enough to encode in passing. */
bool sbx_exec_job_end_is_quick(const struct sbx_exec_job *job);
int sbx_exec_end(struct sbx_exec_job *job, struct sbx_exec_result *res, struct sbx_error *err);

/* Processes */
int sbx_process_start(struct sbx_sandbox *sb, const struct sbx_exec_request *req, struct sbx_process_info *out,
                      struct sbx_error *err);
int sbx_process_list(struct sbx_sandbox *sb, enum sbx_context ctx, struct sbx_process_info **out, size_t *n,
                     struct sbx_error *err);
int sbx_process_get(struct sbx_sandbox *sb, enum sbx_context ctx, const char *id, struct sbx_process_info *out,
                    struct sbx_error *err);
int sbx_process_logs(struct sbx_sandbox *sb, enum sbx_context ctx, const char *id, char **out, size_t *out_len,
                     char **errout, size_t *errout_len, struct sbx_error *err);
int sbx_process_kill(struct sbx_sandbox *sb, enum sbx_context ctx, const char *id, int sig, struct sbx_error *err);
/* An fd (*fd, the caller's to close) that becomes readable or hangs up when the process may have
 * ended, to wait on with poll() rather than asking again and again; *fd = -1 when it has ended already. */
int sbx_process_end_fd(struct sbx_sandbox *sb, enum sbx_context ctx, const char *id, int *fd, struct sbx_error *err);
/* Host pid of a platform process's namespace init (tests and the harness need it); 0 if unknown. */
pid_t sbx_process_host_pid(struct sbx_sandbox *sb, enum sbx_context ctx, const char *id);
void sbx_process_info_clear(struct sbx_process_info *info);
void sbx_process_list_free(struct sbx_process_info *list, size_t n);
const char *sbx_process_status_name(enum sbx_process_status st);
/* Reaps what has ended (closes its status pipe, waits for its supervisor),
 * rotates logs past their cap and forgets the oldest finished processes past
 * SBX_PROCESS_FINISHED_KEEP, with their logs. Every process call does it for
 * its sandbox; a daemon also calls it from time to time, so that nothing
 * waits for a client to look. */
void sbx_process_sweep(struct sbx_sandbox *sb);

/* Files */
#define SBX_FILE_MAX (64u * 1024 * 1024)
int sbx_file_write(struct sbx_sandbox *sb, enum sbx_scope scope, const char *path, const void *data, size_t len,
                   struct sbx_error *err);
int sbx_file_read(struct sbx_sandbox *sb, enum sbx_scope scope, const char *path, char **data, size_t *len,
                  struct sbx_error *err);
int sbx_file_exists(struct sbx_sandbox *sb, enum sbx_scope scope, const char *path, bool *exists,
                    struct sbx_error *err);
int sbx_file_list(struct sbx_sandbox *sb, enum sbx_scope scope, const char *path, struct sbx_dirent **out,
                  size_t *n, struct sbx_error *err);
void sbx_dirent_list_free(struct sbx_dirent *list, size_t n);

/* Validation shared by the CLI and the daemon */
bool sbx_env_name_valid(const char *name);
int sbx_env_validate(const char *const *env, enum sbx_context ctx, struct sbx_error *err);

/* JSON (cJSON) */
struct cJSON;
struct cJSON *sbx_exec_result_to_json(const struct sbx_exec_result *res);
struct cJSON *sbx_error_to_json(const struct sbx_error *err);

/* Host facts (host_facts.c) */
long sbx_sysctl_read(const char *name); /* e.g. "kernel.yama.ptrace_scope"; -1 if absent */
/* The mechanism that enforces the sandbox's limits: "cgroup2", "cgroup1" or "rlimit" (processes only). */
const char *sbx_sandbox_limits_mechanism(const struct sbx_sandbox *sb);
int sbx_landlock_abi(void);             /* 0: no Landlock (landlock.c) */
int sbx_seccomp_mode(void);             /* of the calling thread: 0 none, 1 strict, 2 filter */
/* Adds sysctls, seccompModeOfSelf, landlockAbi and cgroup2 to obj. */
void sbx_host_facts_to_json(struct cJSON *obj);
