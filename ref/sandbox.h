/* The sandbox object's internals: struct sbx_sandbox, the launches in flight, its warnings. */
#pragma once

#include <linux/filter.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "executor.h"
#include "resource_limits.h"
#include "subids.h"

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
  char *platform_cli;     /* NULL, or the program at RUN/bin/splitbox (platform_cli.c) */
  char *platform_cli_dir; /* where platform commands find it, last on their PATH; or NULL */
  char *log_dir;
  char *user_home_fallback;
  char *user_tmp_fallback; /* TMPDIR of fallback user code: Landlock keeps it out of the host's /tmp */
  int user_landlock_fd;    /* fallback: the ruleset user code restricts itself with, or -1 */
  int landlock_abi;        /* fallback: the ABI that ruleset uses; 0 when Landlock is missing */
  char landlock_why[sizeof ((struct sbx_error *)0)->message];  /* fallback, without Landlock: why */
  char *platform_home_fallback;
  uid_t user_host_uid;
  int user_uid_lock;         /* holds user_host_uid for this sandbox (uid_pool.c), or -1 */
  bool user_uid_shared;      /* no range: the fixed default, shared by every such sandbox */
  char user_uid_why[256];
  gid_t user_host_gid;
  bool user_subids;          /* userns mode: user code is one of the caller's subordinate ids (subids.c) */
  char subids_why[256];      /* userns mode without them: why */
  struct sbx_subids subids;
  int user_userns_fd;        /* with subids: user code's user namespace, to remove what user code made */
  bool shared_bounded;       /* the shared dir is a tmpfs of its own (shared_bound.c) */
  int shared_mnt_user, shared_mnt_platform; /* bounded: detached copies of it, until each view attaches its own */
  size_t output_cap;
  bool die_with_parent;
  int lifeline[2]; /* a pipe: children see POLLHUP once the executor is gone */
  int init_bin_fd;
  struct sock_fprog user_filter; /* compiled here, loaded by user contexts' children */

  /* user context */
  pid_t user_init_pid; /* host pid */
  int user_ctl_fd;

  /* platform context */
  int platform_userns_fd;
  int platform_mntns_fd;

  /* platform_spare.c: one platform init made ahead of the next command */
  bool warm_platform;
  bool platform_host_readonly;
  bool no_landlock;
  struct sbx_cgroup cgroup; /* user code's limits */
  /* tmpfs options of the user view: within the memory limit, so that full
   * tmpfs mounts leave room to run (their pages count against it). */
  char user_tmp_opts[64], user_home_opts[64], user_shm_opts[64];
  int (*spare_make)(struct sbx_sandbox *sb, pid_t *pid, int *job_fd); /* set by sbx_platform_spare_start */
  pthread_mutex_t spare_lock, spare_stop_lock;
  pthread_cond_t spare_cond;
  bool spare_thread_running, spare_making, spare_stop, spare_broken;
  bool spare_wanted; /* the maker may make one now */
  bool spare_queued, spare_in_maker; /* under the shared makers' lock */
  struct sbx_sandbox *spare_next;    /* the makers' queue */
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

/* inflight.c: launches in flight, for sbx_sandbox_kill_all. */
int sbx_sandbox_track(struct sbx_sandbox *sb, pid_t host_pid);
void sbx_sandbox_untrack(struct sbx_sandbox *sb, pid_t host_pid);

/* warnings.c: what this sandbox does not guarantee, for every result. */
char **sbx_warnings_for(const struct sbx_sandbox *sb, enum sbx_context ctx);
