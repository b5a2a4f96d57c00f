/* A bounded shared dir (limits.shared_max): a tmpfs of the asked size in
 * place of the host directory, so that user code cannot fill the host's disk
 * through it. Both views must see one filesystem, yet an unprivileged
 * executor can mount nothing where both views come from (the host's mount
 * namespace). So a short-lived child mounts the tmpfs in a private mount
 * namespace of its own and hands out detached copies of it (open_tree with
 * OPEN_TREE_CLONE): each view attaches one (move_mount), and the executor
 * keeps one for its file operations. The tmpfs is gone with the last of them:
 * when the sandbox is. */
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "child.h"
#include "executor.h"
#include "fdpass.h"
#include "io.h"
#include "privileges.h"
#include "sandbox.h"
#include "shared_bound.h"
#include "subids.h"

#define N_COPIES 3 /* the executor's, the user view's, the platform template's */
#define HOLDER_UID_OF_USER 1 /* in the holder's user namespace: user code's subordinate id */

/* The tmpfs's top as each mode shapes the shared dir: as root, owned by user
 * code's uid as the host directory is; with subordinate ids, sticky and
 * writable by both uids; else the one uid's. Ids are the holder's view. */
static void tmpfs_options(const struct sbx_sandbox *sb, long long size, char *out, size_t len)
{
  if (sb->isolation == SBX_ISO_NAMESPACES)
    snprintf(out, len, "size=%lld,mode=0755,uid=%u,gid=%u", size, (unsigned)sb->user_host_uid,
             (unsigned)sb->user_host_gid);
  else
    snprintf(out, len, "size=%lld,mode=%s", size, sb->user_subids ? "1777" : "0755");
}

static void holder_child(const struct sbx_sandbox *sb, const char *opts, int sock)
{
  int copies[N_COPIES], e = 0;
  char byte = 0;

  if (sb->isolation == SBX_ISO_USERNS)
    {
      /* Dumpable, so that the parent may write our maps. */
      if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0 || unshare(CLONE_NEWUSER) != 0)
        e = errno;
      if (sbx_write_all(sock, &e, sizeof e) != 0 || e != 0 || sbx_read_retry(sock, &byte, 1) != 1)
        _exit(1);
    }
  /* Private: the tmpfs must not propagate anywhere, the host least of all. */
  if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0
      || mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0)
    e = errno;
  for (int i = 0; e == 0 && i < N_COPIES; i++)
    if ((copies[i] = (int)syscall(SYS_open_tree, AT_FDCWD, "/tmp", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)) < 0)
      e = errno;
  if (sbx_send_fds(sock, &e, sizeof e, copies, e == 0 ? N_COPIES : 0) < 0)
    _exit(1);
  _exit(0);
}

/* The holder's user namespace maps the caller to 0 and, with subordinate
 * ids, user code's: files on the tmpfs may only be owned by ids it maps. */
static int holder_maps(const struct sbx_sandbox *sb, pid_t pid, struct sbx_error *err)
{
  struct sbx_id_map uids[] = { { 0, (unsigned)getuid(), 1 }, { HOLDER_UID_OF_USER, (unsigned)sb->user_host_uid, 1 } };
  struct sbx_id_map gids[] = { { 0, (unsigned)getgid(), 1 }, { HOLDER_UID_OF_USER, (unsigned)sb->user_host_gid, 1 } };

  if (sb->user_subids)
    return sbx_subids_write_maps(&sb->subids, pid, uids, 2, gids, 2, err);
  return sbx_userns_write_maps(pid, 0, getuid(), 0, getgid(), true, err);
}

int sbx_shared_bound_create(struct sbx_sandbox *sb, bool given_dir, long long size, struct sbx_error *err)
{
  int sp[2], copies[N_COPIES] = { -1, -1, -1 }, e = 0, status;
  char opts[128];
  size_t n = 0;
  pid_t pid;
  ssize_t got;

  if (given_dir)
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION,
                         "a bounded shared dir (limits.shared_max) is a tmpfs of the sandbox's own: it cannot be a "
                         "host directory given to share");
  if (sb->isolation == SBX_ISO_FALLBACK)
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION,
                         "a bounded shared dir (limits.shared_max) needs mount namespaces, which this host refuses "
                         "(isolation fallback): leave the shared dir unbounded here");
  tmpfs_options(sb, size, opts, sizeof opts);
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) != 0)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "bounded shared dir: socketpair");
  pid = fork();
  if (pid == 0)
    {
      close(sp[0]);
      holder_child(sb, opts, sp[1]);
    }
  close(sp[1]);
  if (pid < 0)
    {
      e = errno;
      close(sp[0]);
      return sbx_error_errno(err, e, SBX_E_SANDBOX, "bounded shared dir: fork");
    }
  if (sb->isolation == SBX_ISO_USERNS)
    {
      char byte = 0;
      if (sbx_read_retry(sp[0], &e, sizeof e) != (ssize_t)sizeof e)
        e = EIO;
      else if (e == 0 && (holder_maps(sb, pid, err) < 0 || sbx_write_all(sp[0], &byte, 1) != 0))
        e = -1;
    }
  if (e == 0 && ((got = sbx_recv_fds(sp[0], &e, sizeof e, copies, N_COPIES, &n)) != (ssize_t)sizeof e
                 || (e == 0 && n != N_COPIES)))
    e = EIO;
  close(sp[0]);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (e != 0)
    {
      for (int i = 0; i < N_COPIES; i++)
        if (copies[i] >= 0)
          close(copies[i]);
      if (e < 0)
        return sbx_error_prefix(err, "bounded shared dir");
      /* Before Linux 5.2 there is no open_tree. */
      return sbx_error_errno(err, e, SBX_E_SANDBOX, "bounded shared dir: mount a tmpfs of %lld bytes", size);
    }
  if (sb->shared_fd >= 0)
    close(sb->shared_fd);
  sb->shared_fd = copies[0];
  sb->shared_mnt_user = copies[1];
  sb->shared_mnt_platform = copies[2];
  sb->shared_bounded = true;
  return 0;
}

void sbx_shared_bound_attached(struct sbx_sandbox *sb)
{
  int *fds[] = { &sb->shared_mnt_user, &sb->shared_mnt_platform };

  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
    if (*fds[i] >= 0)
      {
        close(*fds[i]);
        *fds[i] = -1;
      }
}
