/* The platform context. Every command gets fresh PID, mount and IPC
 * namespaces (and a network namespace when isolated) as a sibling of the
 * user sandbox, never its parent or child: a parent PID namespace sees every
 * process of its children. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "child.h"
#include "contexts.h"
#include "error.h"
#include "executor.h"
#include "fdpass.h"
#include "io.h"
#include "keyring.h"
#include "mounts.h"
#include "payload.h"
#include "pid1.h"
#include "privileges.h"
#include "proto.h"
#include "sandbox.h"
#include "status.h"
#include "platform_root.h"

/* The vfork-style child runs instrumented code on a stack of ours, and
 * leaves its frames' shadow poisoned when it execs: clear it, or the next
 * user of those addresses trips on it. */
#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#ifdef HAVE_ASAN
#include <sanitizer/asan_interface.h>
#define UNPOISON_STACK(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define UNPOISON_STACK(p, n) ((void)(p), (void)(n))
#endif

static void template_child(struct sbx_sandbox *sb, int status_fd, int sync_fd)
{
  struct sbx_error err = { 0 };
  char byte = 0;

  if (sb->isolation == SBX_ISO_USERNS)
    {
      /* The platform's own user namespace maps only the executor's uid, to 0.
       * Dumpable, so that the parent may write our uid_map. */
      if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0 || unshare(CLONE_NEWUSER) != 0)
        {
          sbx_error_child(&err, errno, SBX_E_SANDBOX, "unshare user namespace");
          goto fail;
        }
      if (sbx_write_all(sync_fd, &byte, 1) != 0 || sbx_read_retry(sync_fd, &byte, 1) != 1)
        _exit(1);
    }
  if (unshare(CLONE_NEWNS) != 0)
    {
      sbx_error_child(&err, errno, SBX_E_SANDBOX, "unshare mount namespace");
      goto fail;
    }
  {
    /* By path: a bind source must be a mount of our own, new namespace. */
    struct sbx_platform_root_spec spec = {
      .private_source = sb->platform_dir, .shared_source = sb->shared_host_dir, .shared_path = sb->shared_path,
      .shared_detached = sb->shared_bounded, .shared_mount_fd = sb->shared_mnt_platform,
      .run_source = sb->platform_run_dir,
      .cli_source = sb->platform_cli,
      .hidden = (const char *const *)sb->platform_hidden,
      .host_readonly = sb->platform_host_readonly,
    };
    if (sbx_platform_root_build(&spec, &err) < 0)
      goto fail;
  }
  sbx_status_write(status_fd, SBX_ST_READY, 0, 0, NULL);
  /* Stay until the executor holds the namespaces by fd, then go. */
  while (sbx_read_retry(sync_fd, &byte, 1) > 0)
    ;
  _exit(0);
fail:
  sbx_error_prefix(&err, "platform context");
  sbx_status_fail(status_fd, &err);
  _exit(1);
}

static int open_ns_fds(struct sbx_sandbox *sb, pid_t pid, struct sbx_error *err)
{
  char path[64];

  snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)pid);
  sb->platform_mntns_fd = open(path, O_RDONLY | O_CLOEXEC);
  if (sb->platform_mntns_fd < 0)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "open %s", path);
  if (sb->isolation == SBX_ISO_USERNS)
    {
      snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
      sb->platform_userns_fd = open(path, O_RDONLY | O_CLOEXEC);
      if (sb->platform_userns_fd < 0)
        return sbx_error_errno(err, errno, SBX_E_SANDBOX, "open %s", path);
    }
  return 0;
}

int sbx_platform_context_create(struct sbx_sandbox *sb, struct sbx_error *err)
{
  int sync[2], status[2];
  _cleanup_close_ int sync_parent = -1, status_read = -1;
  struct sbx_status_rec rec;
  pid_t child;
  int r = 0;
  char byte = 0;

  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) != 0)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "platform context: socketpair");
  if (pipe2(status, O_CLOEXEC) != 0)
    {
      r = errno;
      close(sync[0]);
      close(sync[1]);
      return sbx_error_errno(err, r, SBX_E_SANDBOX, "platform context: pipe");
    }
  child = fork();
  if (child == 0)
    {
      /* Our copy of the parent's ends would hide the EOFs we wait for. */
      close(sync[0]);
      close(status[0]);
      template_child(sb, status[1], sync[1]);
    }
  r = errno;
  sync_parent = sync[0];
  status_read = status[0];
  close(sync[1]);
  close(status[1]);
  if (child < 0)
    return sbx_error_errno(err, r, SBX_E_SANDBOX, "platform context: fork");

  r = 0;
  if (sb->isolation == SBX_ISO_USERNS && sbx_read_retry(sync_parent, &byte, 1) == 1)
    {
      r = sbx_userns_write_maps(child, 0, getuid(), 0, getgid(), true, err);
      if (r == 0 && sbx_write_all(sync_parent, &byte, 1) != 0)
        r = sbx_error_errno(err, errno, SBX_E_SANDBOX, "platform context: sync");
    }
  if (r == 0)
    {
      r = sbx_status_read(status_read, &rec);
      if (r == 1 && rec.kind == SBX_ST_READY)
        r = open_ns_fds(sb, child, err);
      else if (r == 1 && rec.kind == SBX_ST_FAILED)
        r = sbx_status_record_error(&rec, err);
      else
        r = sbx_error_set(err, EIO, SBX_E_SANDBOX, "platform context: the template setup exited early");
    }
  close(sync_parent);
  sync_parent = -1;
  sbx_reap(child);
  if (r < 0)
    {
      sbx_platform_context_destroy(sb);
      return -1;
    }
  return 0;
}

void sbx_platform_context_destroy(struct sbx_sandbox *sb)
{
  int *fds[] = { &sb->platform_mntns_fd, &sb->platform_userns_fd };

  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
    if (*fds[i] >= 0)
      {
        close(*fds[i]);
        *fds[i] = -1;
      }
}

struct platform_child_args
{
  struct sbx_sandbox *sb;
  int payload_fd;
  const int *fds;
  int status_fd;
  int job_fd;         /* >= 0: a spare, which waits for its command on this socket */
  /* Set: the command itself is PID 1, exec'd from here (an exec run to its
   * end); unset: splitbox-init is, and supervises it. */
  const char *command, *cwd;
  char *const *envp;
  bool shares_memory; /* a vfork-style child: the executor's memory is ours until the exec */
  volatile bool failed; /* set before a shared-memory child exits: the executor reads it */
};

/* PID 1 of the command's namespaces: prepares the per-command mounts, then
 * becomes splitbox-init, so that no copy of the executor's memory (and of its
 * environment) is left where platform code could read it. */
static void platform_init(struct platform_child_args *a)
{
  struct sbx_error err = { 0 };
  bool spare = a->job_fd >= 0;
  int keep[7], n_keep = 0;

  if (spare)
    keep[n_keep++] = a->job_fd;
  else
    for (int i = 0; i < 3; i++)
      keep[n_keep++] = a->fds[i];
  keep[n_keep++] = a->status_fd;
  if (a->payload_fd >= 0)
    keep[n_keep++] = a->payload_fd;
  keep[n_keep++] = a->sb->init_bin_fd;
  keep[n_keep++] = a->sb->lifeline[0];
  /* Non-dumpable until the exec: a forked init holds a copy of the executor's
   * memory. (A vfork-style one shares it, and dumpability with it: the
   * executor's to keep. Nothing else runs in its new PID namespace yet.) */
  if ((!a->shares_memory && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) || sbx_close_fds_except(keep, (size_t)n_keep) != 0)
    {
      sbx_error_child(&err, errno, SBX_E_SANDBOX, "prepare platform init");
      goto fail;
    }
  if (sbx_die_with_parent(a->sb, SBX_SIG_PARENT_DIED, &err) < 0)
    goto fail;
  if (sbx_mount_tmpfs("/tmp", "mode=1777," SBX_TMPFS_SIZE, &err) < 0
      || sbx_mount_tmpfs(SBX_PLATFORM_HOME, "mode=0700," SBX_TMPFS_SIZE, &err) < 0 || sbx_mount_proc("/proc", &err) < 0
      || sbx_mount_tmpfs("/dev/shm", "mode=1777," SBX_TMPFS_SHM_SIZE, &err) < 0)
    goto fail;
  if (sbx_join_new_session_keyring() < 0)
    {
      sbx_error_child(&err, errno, SBX_E_SANDBOX, "join a new session keyring");
      goto fail;
    }
  if (a->sb->platform_network == SBX_NET_ISOLATED && sbx_loopback_up(&err) < 0)
    goto fail;
  if (a->command != NULL)
    sbx_exec_as_pid1(a->command, a->cwd, a->envp, a->fds, a->sb->lifeline[0], &err);
  else if (spare)
    sbx_exec_spare_supervisor(a->sb->init_bin_fd, a->job_fd, a->sb->lifeline[0], &err);
  else
    {
      int fds[SBX_SUPERVISE_FDS] = { a->payload_fd, a->fds[0], a->fds[1], a->fds[2], a->status_fd,
                                     a->sb->lifeline[0] };
      sbx_exec_supervisor(a->sb->init_bin_fd, fds, true, &err);
    }
fail:
  sbx_error_prefix(&err, "start platform command");
  sbx_status_fail(a->status_fd, &err);
  a->failed = true;
  _exit(1);
}

static void platform_launcher(struct platform_child_args *a)
{
  struct sbx_error err = { 0 };
  int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC;
  pid_t init;

  if (a->sb->platform_network == SBX_NET_ISOLATED)
    flags |= CLONE_NEWNET;
  /* Only the executor may hold the lifeline's write end (see sbx_die_with_parent). */
  close(a->sb->lifeline[1]);
  if (a->sb->platform_userns_fd >= 0 && setns(a->sb->platform_userns_fd, CLONE_NEWUSER) != 0)
    {
      sbx_error_child(&err, errno, SBX_E_SANDBOX, "join the platform user namespace");
      goto fail;
    }
  /* Joining the template sets our root to its view; unsharing copies it. */
  if (setns(a->sb->platform_mntns_fd, CLONE_NEWNS) != 0)
    {
      sbx_error_child(&err, errno, SBX_E_SANDBOX, "join the platform mount template");
      goto fail;
    }
  if (unshare(flags) != 0)
    {
      sbx_error_child(&err, errno, SBX_E_SANDBOX, "unshare");
      goto fail;
    }
  init = sbx_clone_raw(CLONE_PARENT);
  if (init == 0)
    platform_init(a);
  if (init < 0)
    {
      sbx_error_child(&err, errno, SBX_E_SANDBOX, "clone");
      goto fail;
    }
  /* Unsaid, nobody would reap it: end it with us. */
  if (sbx_status_write(a->status_fd, SBX_ST_GPID, (int)init, 0, NULL) < 0)
    {
      kill(init, SIGKILL);
      _exit(1);
    }
  _exit(0);
fail:
  sbx_error_prefix(&err, "start platform command");
  sbx_status_fail(a->status_fd, &err);
  _exit(1);
}

/* The vfork-style init: created straight in its new PID, IPC (and network)
 * namespaces, sharing the executor's memory until it execs splitbox-init, so
 * that no page table is copied (a fork of the executor cost more than the
 * command itself, docs/PERFORMANCE.md). Until the exec: syscalls, and on
 * failure snprintf into our own stack (no allocation, no lock another
 * executor thread could hold); no malloc, no stdio stream, no strerror (the
 * errno goes back on the status pipe: sbx_error_child), no libseccomp or
 * libcap-ng. */
/* Not instrumented: ASan would take its never-returning path for a stack switch. */
#ifdef HAVE_ASAN
__attribute__((no_sanitize_address))
#endif
static int platform_init_vfork(void *arg)
{
  struct platform_child_args *a = arg;
  struct sbx_error err = { 0 };

  /* Joining the template sets our root to its view; unsharing copies it. */
  if (setns(a->sb->platform_mntns_fd, CLONE_NEWNS) != 0 || unshare(CLONE_NEWNS) != 0)
    {
      sbx_error_child(&err, errno, SBX_E_SANDBOX, "enter a copy of the platform mount template");
      sbx_error_prefix(&err, "start platform command");
      sbx_status_fail(a->status_fd, &err);
      a->failed = true;
      _exit(1);
    }
  platform_init(a);
  return 1;
}

#define VFORK_STACK_SIZE (256 * 1024)

/* The init's host pid, or -1. A command's init that failed before its exec
 * has said why on the status pipe, and is returned in *failed_pid for the
 * launch to reap; a spare's is reaped here. */
static pid_t platform_clone_init(struct platform_child_args *a, pid_t *failed_pid, struct sbx_error *err)
{
  int flags = CLONE_VM | CLONE_VFORK | CLONE_NEWPID | CLONE_NEWIPC | SIGCHLD;
  void *stack;
  sigset_t all, old;
  pid_t init;
  int e;

  a->shares_memory = true;
  a->failed = false;
  if (a->sb->platform_network == SBX_NET_ISOLATED)
    flags |= CLONE_NEWNET;
  stack = mmap(NULL, VFORK_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "start platform command: stack");
  /* A guard page: an overflow must fault, not write over the executor's memory. */
  if (mprotect(stack, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE) != 0)
    {
      e = errno;
      munmap(stack, VFORK_STACK_SIZE);
      return sbx_error_errno(err, e, SBX_E_SANDBOX, "start platform command: stack guard");
    }
  /* No handler of the executor's may run on the child's side of the shared memory. */
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  UNPOISON_STACK(stack, VFORK_STACK_SIZE);
  init = clone(platform_init_vfork, (char *)stack + VFORK_STACK_SIZE, flags, a);
  e = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  UNPOISON_STACK(stack, VFORK_STACK_SIZE);
  munmap(stack, VFORK_STACK_SIZE);
  if (init < 0)
    return sbx_error_errno(err, e, SBX_E_SANDBOX, "start platform command: clone");
  if (a->failed)
    {
      if (a->status_fd < 0)
        sbx_reap(init);
      else
        *failed_pid = init;
      return sbx_error_set(err, EIO, SBX_E_SANDBOX, "start platform command: the init failed before its exec");
    }
  return init;
}

/* Where a platform user namespace must be joined: the launcher, a fork,
 * makes the spare and says its pid on a pipe of the spare's own; so does the
 * spare, should it fail before its exec. The spare's pid, or -1. */
static pid_t make_spare_by_fork(struct platform_child_args *a)
{
  struct sbx_status_rec rec;
  pid_t launcher, init = -1;
  bool failed = false;
  int status[2];

  if (pipe2(status, O_CLOEXEC) != 0)
    return -1;
  a->status_fd = status[1];
  launcher = fork();
  if (launcher == 0)
    {
      close(status[0]);
      platform_launcher(a);
    }
  close(status[1]);
  a->status_fd = -1;
  if (launcher < 0)
    {
      close(status[0]);
      return -1;
    }
  sbx_reap(launcher);
  /* EOF once the launcher is gone and the spare has exec'd (or died). */
  while (sbx_status_read(status[0], &rec) == 1)
    if (rec.kind == SBX_ST_GPID && init < 0 && rec.value > 0)
      init = rec.value;
    else if (rec.kind == SBX_ST_FAILED)
      failed = true;
  close(status[0]);
  if (init > 0 && failed)
    {
      sbx_kill_reap(init);
      init = -1;
    }
  return init;
}

int sbx_platform_make_spare(struct sbx_sandbox *sb, pid_t *pid, int *job_fd)
{
  struct platform_child_args a = { .sb = sb, .payload_fd = -1, .status_fd = -1 };
  struct sbx_error err = { 0 };
  int sv[2];

  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return -1;
  a.job_fd = sv[1];
  if (sb->platform_userns_fd >= 0)
    *pid = make_spare_by_fork(&a);
  else
    *pid = platform_clone_init(&a, NULL, &err);
  close(sv[1]);
  if (*pid < 0)
    {
      close(sv[0]);
      return -1;
    }
  *job_fd = sv[0];
  return 0;
}

/* Hands the command to a spare: its pid, or -1 when there is none, or it died. */
static pid_t spawn_on_spare(struct sbx_sandbox *sb, int payload, const int fds[3], int status_fd, uint32_t job)
{
  pid_t pid;
  int job_fd, sent[5] = { payload, fds[0], fds[1], fds[2], status_fd };
  bool ok;

  if (!sbx_platform_spare_take(sb, &pid, &job_fd))
    return -1;
  ok = sbx_send_fds(job_fd, &job, sizeof job, sent, 5) == 0;
  close(job_fd);
  if (!ok)
    {
      sbx_kill_reap(pid);
      sbx_platform_spare_refill(sb); /* this command may not get as far as its end */
      return -1;
    }
  return pid;
}

/* The command's init (or, with a->command, the command itself) in fresh
 * namespaces: a vfork-style clone, or where a platform user namespace must be
 * joined (setns(CLONE_NEWUSER) refuses a process that shares its memory) a
 * forked launcher, which says the pid on the status pipe (*host_pid stays 0). */
static int start_in_new_namespaces(struct platform_child_args *a, pid_t *host_pid, struct sbx_error *err)
{
  pid_t child;

  *host_pid = 0;
  if (a->sb->platform_userns_fd < 0)
    {
      *host_pid = platform_clone_init(a, host_pid, err);
      if (*host_pid > 0)
        return 0;
      return a->failed ? 0 : -1; /* a FAILED record says why */
    }
  child = fork();
  if (child < 0)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "start platform command: fork");
  if (child == 0)
    platform_launcher(a);
  /* The launcher exits as soon as the init exists; the init is our child. */
  sbx_reap(child);
  return 0;
}

int sbx_platform_exec_direct(struct sbx_sandbox *sb, const char *cwd, const char *command, char *const *envp,
                             const int fds[3], int status_fd, pid_t *host_pid, struct sbx_error *err)
{
  struct platform_child_args a = { .sb = sb, .payload_fd = -1, .fds = fds, .status_fd = status_fd, .job_fd = -1,
                                   .command = command, .cwd = cwd != NULL ? cwd : SBX_PLATFORM_HOME, .envp = envp };

  /* Where a platform user namespace makes a fork necessary, a spare init,
   * made so beforehand, becomes the command: it is PID 1 already, and its
   * exec was paid off the command's path. */
  if (sb->platform_userns_fd >= 0)
    {
      _cleanup_close_ int payload = sbx_payload_create(a.cwd, command, envp, err);
      if (payload < 0)
        return -1;
      if ((*host_pid = spawn_on_spare(sb, payload, fds, status_fd, SBX_JOB_EXEC_AS_PID1)) > 0)
        return 0;
    }
  return start_in_new_namespaces(&a, host_pid, err);
}

int sbx_platform_spawn(struct sbx_sandbox *sb, const char *cwd, const char *command, char *const *envp,
                       const int fds[3], int status_fd, pid_t *host_pid, struct sbx_error *err)
{
  _cleanup_close_ int payload = sbx_payload_create(cwd != NULL ? cwd : SBX_PLATFORM_HOME, command, envp, err);
  struct platform_child_args a = { .sb = sb, .payload_fd = payload, .fds = fds, .status_fd = status_fd, .job_fd = -1 };

  if (payload < 0)
    return -1;
  /* The pid is known here: no record on the pipe needs to be believed. */
  if ((*host_pid = spawn_on_spare(sb, payload, fds, status_fd, SBX_JOB_SUPERVISE)) > 0)
    return 0;
  return start_in_new_namespaces(&a, host_pid, err);
}
