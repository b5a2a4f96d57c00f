/* Fallback isolation, for hosts without namespaces: process-level only. A
 * scrubbed environment, an own session and process group, no core dumps, and, when
 * the executor is root, an unprivileged uid for user code. Every result says
 * which guarantees are lost (warnings.c). */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "child.h"
#include "contexts.h"
#include "error.h"
#include "executor.h"
#include "fdpass.h"
#include "keyring.h"
#include "landlock.h"
#include "payload.h"
#include "privileges.h"
#include "proto.h"
#include "resolve.h"
#include "sandbox.h"
#include "seccomp_filter.h"
#include "status.h"

static int drop_to_user(struct sbx_sandbox *sb, struct sbx_error *err)
{
  if (geteuid() != 0)
    return 0; /* already unprivileged: user and platform share a uid, and the warning says so */
  if (sbx_caps_drop_bounding(err) < 0
      || sbx_become_user(sb->user_host_uid, sb->user_host_gid, true, err) < 0
      || sbx_caps_drop_all(err) < 0)
    return -1;
  return 0;
}

static int no_new_privs(struct sbx_error *err)
{
  /* Set by drop_to_user as root; an unprivileged executor needs it for seccomp. */
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "prctl(PR_SET_NO_NEW_PRIVS)");
  return 0;
}

/* After seccomp: the ruleset was built by the executor, this only applies it. */
static int landlock_user(struct sbx_sandbox *sb, struct sbx_error *err)
{
  int r;

  if (sb->user_landlock_fd < 0)
    return 0;
  if ((r = sbx_landlock_restrict(sb->user_landlock_fd)) < 0)
    return sbx_error_child(err, -r, SBX_E_SANDBOX, "landlock user code");
  close(sb->user_landlock_fd);
  return 0;
}

static int apply_rlimits(struct sbx_error *err)
{
  struct rlimit no_core = { 0, 0 };

  if (setrlimit(RLIMIT_CORE, &no_core) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "setrlimit(RLIMIT_CORE)");
  return 0;
}

void sbx_fallback_prepare(struct sbx_sandbox *sb)
{
  /* System directories to run programs from, devices, a /proc whose other
   * processes Landlock's ptrace rule keeps out of reach, and the three
   * directories user code owns. Not the state dir, control socket, /platform,
   * the host's /tmp or the caller's HOME. */
  const struct sbx_landlock_rule rules[] = {
    { "/usr", SBX_LANDLOCK_READ_EXEC },   { "/bin", SBX_LANDLOCK_READ_EXEC },
    { "/sbin", SBX_LANDLOCK_READ_EXEC },  { "/lib", SBX_LANDLOCK_READ_EXEC },
    { "/lib32", SBX_LANDLOCK_READ_EXEC }, { "/lib64", SBX_LANDLOCK_READ_EXEC },
    { "/libx32", SBX_LANDLOCK_READ_EXEC }, { "/opt", SBX_LANDLOCK_READ_EXEC },
    { "/etc", SBX_LANDLOCK_READ },        { "/proc", SBX_LANDLOCK_READ },
    { "/sys", SBX_LANDLOCK_READ },
    /* Device nodes one by one: not /dev/shm, where the platform's POSIX shm lives. */
    { "/dev/null", SBX_LANDLOCK_DEVICES },  { "/dev/zero", SBX_LANDLOCK_DEVICES },
    { "/dev/full", SBX_LANDLOCK_DEVICES },  { "/dev/random", SBX_LANDLOCK_DEVICES },
    { "/dev/urandom", SBX_LANDLOCK_DEVICES }, { "/dev/tty", SBX_LANDLOCK_DEVICES },
    { "/dev/ptmx", SBX_LANDLOCK_DEVICES },  { "/dev/pts", SBX_LANDLOCK_DEVICES },
    { sb->shared_host_dir, SBX_LANDLOCK_READ_WRITE },
    { sb->user_home_fallback, SBX_LANDLOCK_READ_WRITE },
    { sb->user_tmp_fallback, SBX_LANDLOCK_READ_WRITE },
  };
  struct sbx_error err = { 0 };

  if (sb->no_landlock)
    {
      snprintf(sb->landlock_why, sizeof sb->landlock_why, "turned off by the caller");
      return;
    }
  sb->user_landlock_fd = sbx_landlock_ruleset_new(rules, sizeof rules / sizeof rules[0], &sb->landlock_abi, &err);
  if (sb->user_landlock_fd < 0)
    {
      sb->landlock_abi = 0;
      snprintf(sb->landlock_why, sizeof sb->landlock_why, "%s", err.message);
    }
}

int sbx_fallback_spawn(struct sbx_sandbox *sb, enum sbx_context ctx, const char *cwd, const char *command,
                       char *const *envp, const int fds[3], int status_fd, pid_t *pid, struct sbx_error *err)
{
  const char *home = ctx == SBX_CTX_USER ? sb->user_home_fallback : sb->platform_home_fallback;
  _cleanup_close_ int payload = sbx_payload_create(cwd != NULL ? cwd : home, command, envp, err);
  pid_t child;

  if (payload < 0)
    return -1;
  child = fork();
  if (child < 0)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "fallback: fork");
  if (child == 0)
    {
      struct sbx_error cerr = { 0 };
      int r;
      int keep[] = { fds[0], fds[1], fds[2], status_fd, payload, sb->init_bin_fd, sb->lifeline[0], sb->user_landlock_fd };
      int sup[SBX_SUPERVISE_FDS] = { payload, fds[0], fds[1], fds[2], status_fd, sb->lifeline[0] };

      if (sbx_close_fds_except(keep, sb->user_landlock_fd >= 0 ? 8 : 7) != 0 || setsid() < 0)
        {
          sbx_error_child(&cerr, errno, SBX_E_SANDBOX, "fallback: new session");
          goto fail;
        }
      /* Keyrings are not namespaced: a session keyring inherited from the executor is possessed by
       * every command of either context, and /proc/keys shows a possessed key's description to any uid,
       * seccomp or not. Each command gets an anonymous one, as in the namespaced modes. */
      if (sbx_join_new_session_keyring() < 0)
        {
          sbx_error_child(&cerr, errno, SBX_E_SANDBOX, "fallback: join a new session keyring");
          goto fail;
        }
      /* Into the sandbox's cgroup while still allowed to write there. */
      if (ctx == SBX_CTX_USER && (r = sbx_cgroup_attach_self(&sb->cgroup)) < 0)
        {
          sbx_error_child(&cerr, -r, SBX_E_SANDBOX, "fallback: join the sandbox's cgroup");
          goto fail;
        }
      if (ctx == SBX_CTX_USER && (r = sbx_limits_apply_rlimit(&sb->cgroup)) < 0)
        {
          sbx_error_child(&cerr, -r, SBX_E_SANDBOX, "fallback: setrlimit(RLIMIT_NPROC)");
          goto fail;
        }
      /* The parent-death signal last: a uid change clears it. */
      if (apply_rlimits(&cerr) < 0
          || (ctx == SBX_CTX_USER && (drop_to_user(sb, &cerr) < 0 || no_new_privs(&cerr) < 0
                                      || sbx_seccomp_load_user(&sb->user_filter, &cerr) < 0
                                      || landlock_user(sb, &cerr) < 0))
          || sbx_die_with_parent(sb, SBX_SIG_PARENT_DIED, &cerr) < 0)
        goto fail;
      /* Until the exec we hold a copy of the executor's memory: keep it out of reach. */
      if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        {
          sbx_error_child(&cerr, errno, SBX_E_SANDBOX, "prctl(PR_SET_DUMPABLE)");
          goto fail;
        }
      sbx_exec_supervisor(sb->init_bin_fd, sup, false, &cerr);
    fail:
      sbx_status_fail(status_fd, &cerr);
      _exit(1);
    }
  *pid = child;
  return 0;
}

/* A file operation with the user's credentials, as user code itself would do
 * it, in a child of its own: to is NULL for open (path beneath dir_fd, or
 * from the cwd when it is -1), "" for unlink, a name for rename; with
 * file_fd >= 0, names that unnamed file path in dir_fd (to is "" then). */
static int as_user(struct sbx_sandbox *sb, int dir_fd, const char *path, const char *to, int file_fd, int flags,
                   mode_t mode, struct sbx_error *err)
{
  int pair[2];
  _cleanup_close_ int mine = -1;
  struct sbx_init_reply reply = { 0 };
  int fd = -1;
  size_t nfds = 0;
  pid_t child;
  ssize_t n;

  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
    return sbx_error_errno(err, errno, SBX_E_INTERNAL, "socketpair");
  mine = pair[0];
  child = fork();
  if (child < 0)
    {
      close(pair[1]);
      return sbx_error_errno(err, errno, SBX_E_INTERNAL, "fork");
    }
  if (child == 0)
    {
      struct sbx_error cerr = { 0 };
      struct open_how how = { .flags = (uint64_t)flags | O_CLOEXEC, .mode = sbx_open_creates(flags) ? mode : 0,
                              .resolve = RESOLVE_NO_MAGICLINKS | (dir_fd >= 0 ? RESOLVE_BENEATH : 0) };
      int opened = -1, dir = dir_fd >= 0 ? dir_fd : AT_FDCWD;

      if (drop_to_user(sb, &cerr) < 0)
        reply.errno_ = cerr.errno_ != 0 ? abs(cerr.errno_) : EPERM; /* negative: sbx_error_child */
      else if (file_fd >= 0)
        reply.errno_ = sbx_link_unnamed(file_fd, dir, path) != 0 ? errno : 0;
      else if (to == NULL && (opened = sbx_openat2(dir, path, &how)) < 0)
        reply.errno_ = errno;
      else if (to != NULL && (to[0] != '\0' ? renameat(dir, path, dir, to) : unlinkat(dir, path, 0)) != 0)
        reply.errno_ = errno;
      sbx_send_fds(pair[1], &reply, sizeof reply, opened >= 0 ? &opened : NULL, opened >= 0 ? 1 : 0);
      _exit(0);
    }
  close(pair[1]);
  n = sbx_recv_fds(mine, &reply, sizeof reply, &fd, 1, &nfds);
  sbx_reap(child);
  if (n != (ssize_t)sizeof reply || reply.errno_ != 0 || (to == NULL && fd < 0))
    {
      int e = n != (ssize_t)sizeof reply ? EPROTO : reply.errno_ > 0 ? reply.errno_ : EPROTO;
      if (fd >= 0)
        close(fd);
      return sbx_error_errno(err, e, sbx_error_code_for_errno(e), "%s", path);
    }
  if (fd >= 0 && to != NULL)
    close(fd);
  return to == NULL ? fd : 0;
}

int sbx_fallback_open_as_user(struct sbx_sandbox *sb, int dir_fd, const char *path, int flags, mode_t mode,
                              struct sbx_error *err)
{
  return as_user(sb, dir_fd, path, NULL, -1, flags, mode, err);
}

int sbx_fallback_rename_as_user(struct sbx_sandbox *sb, int dir_fd, const char *from, const char *to,
                                struct sbx_error *err)
{
  return as_user(sb, dir_fd, from, to != NULL ? to : "", -1, 0, 0, err);
}

int sbx_fallback_link_as_user(struct sbx_sandbox *sb, int dir_fd, int fd, const char *name, struct sbx_error *err)
{
  if (dir_fd < 0 || fd < 0 || name[0] == '\0' || strchr(name, '/') != NULL)
    return sbx_error_set(err, EINVAL, SBX_E_INTERNAL, "link: no directory, file or name");
  return as_user(sb, dir_fd, name, "", fd, 0, 0, err);
}
