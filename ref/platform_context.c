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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"
#include "platform_root.h"

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
          sbx_error_errno(&err, errno, SBX_E_SANDBOX, "unshare user namespace");
          goto fail;
        }
      if (write(sync_fd, &byte, 1) != 1 || read(sync_fd, &byte, 1) != 1)
        _exit(1);
    }
  if (unshare(CLONE_NEWNS) != 0)
    {
      sbx_error_errno(&err, errno, SBX_E_SANDBOX, "unshare mount namespace");
      goto fail;
    }
  {
    /* By path: a bind source must be a mount of our own, new namespace. */
    struct sbx_platform_root_spec spec = {
      .private_source = sb->platform_dir, .shared_source = sb->shared_host_dir, .shared_path = sb->shared_path,
      .run_source = sb->platform_run_dir,
      .hidden = (const char *const *)sb->platform_hidden,
    };
    if (sbx_platform_root_build(&spec, &err) < 0)
      goto fail;
  }
  sbx_status_write(status_fd, SBX_ST_READY, 0, 0, NULL);
  /* Stay until the executor holds the namespaces by fd, then go. */
  while (read(sync_fd, &byte, 1) > 0)
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
  if (sb->isolation == SBX_ISO_USERNS && read(sync_parent, &byte, 1) == 1)
    {
      r = sbx_userns_write_maps(child, 0, getuid(), 0, getgid(), true, err);
      if (r == 0 && write(sync_parent, &byte, 1) != 1)
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
  while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
    ;
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
};

/* PID 1 of the command's namespaces: prepares the per-command mounts, then
 * becomes splitbox-init, so that no copy of the executor's memory (and of its
 * environment) is left where platform code could read it. */
static void platform_init(const struct platform_child_args *a)
{
  struct sbx_error err = { 0 };
  int keep[] = { a->fds[0], a->fds[1], a->fds[2], a->status_fd, a->payload_fd, a->sb->init_bin_fd,
                 a->sb->lifeline[0] };
  int fds[SBX_SUPERVISE_FDS] = { a->payload_fd, a->fds[0], a->fds[1], a->fds[2], a->status_fd, a->sb->lifeline[0] };

  /* Non-dumpable until the exec: this process holds a copy of the executor's memory. */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 || sbx_close_fds_except(keep, 7) != 0)
    {
      sbx_error_errno(&err, errno, SBX_E_SANDBOX, "prepare platform init");
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
      sbx_error_errno(&err, errno, SBX_E_SANDBOX, "join a new session keyring");
      goto fail;
    }
  if (a->sb->platform_network == SBX_NET_ISOLATED && sbx_loopback_up(&err) < 0)
    goto fail;
  sbx_exec_supervisor(a->sb->init_bin_fd, fds, true, &err);
fail:
  sbx_error_prefix(&err, "start platform command");
  sbx_status_fail(a->status_fd, &err);
  _exit(1);
}

static void platform_launcher(const struct platform_child_args *a)
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
      sbx_error_errno(&err, errno, SBX_E_SANDBOX, "join the platform user namespace");
      goto fail;
    }
  /* Joining the template sets our root to its view; unsharing copies it. */
  if (setns(a->sb->platform_mntns_fd, CLONE_NEWNS) != 0)
    {
      sbx_error_errno(&err, errno, SBX_E_SANDBOX, "join the platform mount template");
      goto fail;
    }
  if (unshare(flags) != 0)
    {
      sbx_error_errno(&err, errno, SBX_E_SANDBOX, "unshare");
      goto fail;
    }
  init = sbx_clone_raw(CLONE_PARENT);
  if (init == 0)
    platform_init(a);
  if (init < 0)
    {
      sbx_error_errno(&err, errno, SBX_E_SANDBOX, "clone");
      goto fail;
    }
  sbx_status_write(a->status_fd, SBX_ST_GPID, (int)init, 0, NULL);
  _exit(0);
fail:
  sbx_error_prefix(&err, "start platform command");
  sbx_status_fail(a->status_fd, &err);
  _exit(1);
}

int sbx_platform_spawn(struct sbx_sandbox *sb, const char *cwd, const char *command, char *const *envp,
                       const int fds[3], int status_fd, struct sbx_error *err)
{
  _cleanup_close_ int payload = sbx_payload_create(cwd != NULL ? cwd : SBX_PLATFORM_HOME, command, envp, err);
  struct platform_child_args a = { .sb = sb, .payload_fd = payload, .fds = fds, .status_fd = status_fd };
  pid_t child;

  if (payload < 0)
    return -1;
  child = fork();
  if (child < 0)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "start platform command: fork");
  if (child == 0)
    platform_launcher(&a);
  /* The launcher exits as soon as the init exists; the init is our child. */
  while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
    ;
  return 0;
}
