/* The user context: one long-lived sandbox per sandbox object. Its first
 * process builds the view and then becomes splitbox-init, a small exec'd
 * binary, so no copy of the executor's memory ever lives inside. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
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
#include "io.h"
#include "keyring.h"
#include "mounts.h"
#include "payload.h"
#include "privileges.h"
#include "proto.h"
#include "sandbox.h"
#include "seccomp_filter.h"
#include "status.h"
#include "subids.h"
#include "user_root.h"

#define INIT_REPLY_TIMEOUT_MS 5000

struct user_child_args
{
  struct sbx_sandbox *sb;
  int status_fd;
  int ctl_fd;
  bool privileged;
};

static void user_init_child(const struct user_child_args *a)
{
  struct sbx_error err = { 0 };
  char *const argv[] = { (char *)"splitbox-init", NULL };
  char *const envp[] = { NULL };
  int keep[] = { a->status_fd, a->ctl_fd, a->sb->init_bin_fd, a->sb->shared_fd, a->sb->lifeline[0],
                  a->sb->shared_mnt_user };
  int shared_fd = a->sb->shared_mnt_user;

  if (sbx_close_fds_except(keep, 6) != 0)
    {
      sbx_error_child(&err, errno, SBX_E_SANDBOX, "close inherited fds");
      goto fail;
    }
  /* Opened now, in our new mount namespace, while we still own what the
   * executor owns: the path may cross directories the user may not enter. */
  if (!a->sb->shared_bounded)
    shared_fd = open(a->sb->shared_host_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (shared_fd < 0)
    {
      sbx_error_child(&err, errno, SBX_E_SANDBOX, "open shared dir %s", a->sb->shared_host_dir);
      goto fail;
    }
  /* Become the mapped, unprivileged id first: files created on the new tmpfs
   * need an fsuid that the namespace maps. Capabilities stay until dropped.
   * newgidmap leaves setgroups allowed: drop the caller's supplementary
   * groups, or user code would keep them. */
  if (sbx_become_user(SBX_USER_ID_INSIDE, SBX_USER_ID_INSIDE, a->privileged || a->sb->user_subids, &err) < 0)
    goto fail;
  /* After the uid change, which would clear it. */
  if (sbx_die_with_parent(a->sb, SIGKILL, &err) < 0)
    goto fail;
  if (sbx_join_new_session_keyring() < 0)
    {
      sbx_error_child(&err, errno, SBX_E_SANDBOX, "join a new session keyring");
      goto fail;
    }
  if (sethostname("splitbox", 8) != 0)
    {
      sbx_error_child(&err, errno, SBX_E_SANDBOX, "sethostname");
      goto fail;
    }
  if (a->sb->user_network != SBX_NET_HOST && sbx_loopback_up(&err) < 0)
    goto fail;
  {
    struct sbx_user_root_spec spec = { .shared_fd = shared_fd, .shared_detached = a->sb->shared_bounded,
                                       .shared_path = a->sb->shared_path,
                                       .tmp_opts = a->sb->user_tmp_opts, .home_opts = a->sb->user_home_opts,
                                       .shm_opts = a->sb->user_shm_opts };
    if (sbx_user_root_build(&spec, &err) < 0)
      goto fail;
  }
  if (sbx_limits_apply_rlimit(&a->sb->cgroup) < 0)
    {
      sbx_error_child(&err, errno, SBX_E_SANDBOX, "setrlimit(RLIMIT_NPROC)");
      goto fail;
    }
  if (sbx_caps_drop_bounding(&err) < 0 || sbx_caps_drop_all(&err) < 0 || sbx_seccomp_load_user(&a->sb->user_filter, &err) < 0)
    goto fail;
  if (dup2(a->ctl_fd, SBX_INIT_CONTROL_FD) < 0)
    {
      sbx_error_child(&err, errno, SBX_E_SANDBOX, "dup2 control socket");
      goto fail;
    }
  syscall(SYS_execveat, a->sb->init_bin_fd, "", argv, envp, AT_EMPTY_PATH);
  sbx_error_child(&err, errno, SBX_E_SANDBOX, "exec splitbox-init");
fail:
  sbx_error_prefix(&err, "start user sandbox");
  sbx_status_fail(a->status_fd, &err);
  _exit(1);
}

static void close_pairs(int *a, int *b, int *c)
{
  int saved = errno;
  for (int i = 0; i < 2; i++)
    {
      if (a[i] >= 0)
        close(a[i]);
      if (b[i] >= 0)
        close(b[i]);
      if (c[i] >= 0)
        close(c[i]);
    }
  errno = saved;
}

/* Reads GPID and FAILED records until EOF; the init's exec closes the last writer. */
static int await_init(int status_read, pid_t *init_pid, struct sbx_error *err)
{
  struct sbx_status_rec rec;
  int r;

  while ((r = sbx_status_read(status_read, &rec)) > 0)
    {
      if (rec.kind == SBX_ST_GPID)
        *init_pid = rec.value;
      else if (rec.kind == SBX_ST_FAILED)
        return sbx_status_record_error(&rec, err);
    }
  if (r < 0)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "start user sandbox: read status");
  if (*init_pid <= 0)
    return sbx_error_set(err, EIO, SBX_E_SANDBOX, "start user sandbox: the namespace setup exited early");
  return 0;
}

/* Held for the sandbox's removal (sandbox.c): what user code made as a subordinate id. */
static int open_userns(struct sbx_sandbox *sb, pid_t pid, struct sbx_error *err)
{
  char path[64];

  snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
  sb->user_userns_fd = open(path, O_RDONLY | O_CLOEXEC);
  if (sb->user_userns_fd < 0)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "start user sandbox: open %s", path);
  return 0;
}

int sbx_user_context_create(struct sbx_sandbox *sb, struct sbx_error *err)
{
  bool privileged = sb->isolation == SBX_ISO_NAMESPACES;
  int sync[2] = { -1, -1 }, status[2] = { -1, -1 }, ctl[2] = { -1, -1 };
  _cleanup_close_ int sync_parent = -1, status_read = -1, ctl_parent = -1;
  unsigned long flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
  pid_t child;
  int r = 0;
  char byte = 0;

  if (sb->user_network != SBX_NET_HOST)
    flags |= CLONE_NEWNET;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) != 0 || pipe2(status, O_CLOEXEC) != 0
      || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) != 0)
    {
      close_pairs(sync, status, ctl);
      return sbx_error_errno(err, errno, SBX_E_SANDBOX, "start user sandbox: create sockets");
    }
  child = fork();
  if (child < 0)
    {
      close_pairs(sync, status, ctl);
      return sbx_error_errno(err, errno, SBX_E_SANDBOX, "start user sandbox: fork");
    }
  if (child == 0)
    {
      struct sbx_error cerr = { 0 };
      struct user_child_args a = { .sb = sb, .status_fd = status[1], .ctl_fd = ctl[1], .privileged = privileged };
      pid_t init;

      /* Our copies of the parent's ends would hide the EOFs it waits for. */
      close(sb->lifeline[1]);
      close(sync[0]);
      close(status[0]);
      close(ctl[0]);
      /* A non-dumpable process's /proc files belong to root: the parent could
       * not write our uid_map. Nothing of the user context can see us. */
      if (!privileged && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
        _exit(1);
      if (unshare((int)flags) != 0)
        {
          sbx_error_child(&cerr, errno, SBX_E_SANDBOX, "start user sandbox: unshare");
          sbx_status_fail(status[1], &cerr);
          _exit(1);
        }
      if (sbx_write_all(sync[1], &byte, 1) != 0 || sbx_read_retry(sync[1], &byte, 1) != 1)
        _exit(1);
      /* CLONE_PARENT: the executor, not this short-lived child, reaps the init. */
      init = sbx_clone_raw(CLONE_PARENT);
      if (init == 0)
        user_init_child(&a);
      if (init < 0)
        {
          sbx_error_child(&cerr, errno, SBX_E_SANDBOX, "start user sandbox: clone init");
          sbx_status_fail(status[1], &cerr);
          _exit(1);
        }
      sbx_status_write(status[1], SBX_ST_GPID, (int)init, 0, NULL);
      _exit(0);
    }
  sync_parent = sync[0];
  status_read = status[0];
  ctl_parent = ctl[0];
  close(sync[1]);
  close(status[1]);
  close(ctl[1]);

  if (sbx_read_retry(sync_parent, &byte, 1) == 1)
    {
      uid_t outside_uid = privileged ? sb->user_host_uid : getuid();
      gid_t outside_gid = privileged ? sb->user_host_gid : getgid();
      struct sbx_id_map u = { SBX_USER_ID_INSIDE, (unsigned)sb->user_host_uid, 1 };
      struct sbx_id_map g = { SBX_USER_ID_INSIDE, (unsigned)sb->user_host_gid, 1 };
      if (sb->user_subids)
        r = sbx_subids_write_maps(&sb->subids, child, &u, 1, &g, 1, err) < 0
              ? sbx_error_prefix(err, "start user sandbox")
              : open_userns(sb, child, err);
      else
        r = sbx_userns_write_maps(child, SBX_USER_ID_INSIDE, outside_uid, SBX_USER_ID_INSIDE, outside_gid,
                                  !privileged, err);
      /* Before it makes the init: everything of the user context starts inside the limits. */
      if (r == 0)
        r = sbx_cgroup_attach(&sb->cgroup, child, err);
      if (r == 0 && sbx_write_all(sync_parent, &byte, 1) != 0)
        r = sbx_error_errno(err, errno, SBX_E_SANDBOX, "start user sandbox: sync");
    }
  close(sync_parent);
  sync_parent = -1;
  sb->user_init_pid = 0;
  if (r == 0)
    r = await_init(status_read, &sb->user_init_pid, err);
  sbx_reap(child);
  if (r < 0)
    {
      sbx_user_context_destroy(sb);
      return sbx_error_prefix(err, "user context");
    }
  sb->user_ctl_fd = sbx_steal_fd(&ctl_parent);
  return 0;
}

void sbx_user_context_destroy(struct sbx_sandbox *sb)
{
  if (sb->user_ctl_fd >= 0)
    {
      close(sb->user_ctl_fd);
      sb->user_ctl_fd = -1;
    }
  if (sb->user_init_pid > 0)
    {
      /* SIGKILL to a PID namespace's init ends every process in it. */
      sbx_kill_reap(sb->user_init_pid);
      sb->user_init_pid = 0;
    }
}

int sbx_user_spawn(struct sbx_sandbox *sb, uint64_t id, const char *cwd, const char *command, char *const *envp,
                   const int fds[3], int status_fd, struct sbx_error *err)
{
  struct sbx_init_msg msg;
  _cleanup_close_ int payload = sbx_payload_create(cwd, command, envp, err);
  int send[SBX_SPAWN_FDS];

  if (payload < 0)
    return -1;
  memset(&msg, 0, sizeof msg);
  msg.op = SBX_OP_SPAWN;
  msg.id = id;
  send[0] = payload;
  send[1] = fds[0];
  send[2] = fds[1];
  send[3] = fds[2];
  send[4] = status_fd;
  if (sbx_send_fds(sb->user_ctl_fd, &msg, sizeof msg, send, SBX_SPAWN_FDS) < 0)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "user context: send spawn request");
  return 0;
}

int sbx_user_kill(struct sbx_sandbox *sb, uint64_t id, int sig)
{
  struct sbx_init_msg msg;

  memset(&msg, 0, sizeof msg);
  msg.op = SBX_OP_KILL;
  msg.id = id;
  msg.sig = sig;
  return sbx_send_fds(sb->user_ctl_fd, &msg, sizeof msg, NULL, 0);
}

/* One request to the init, answered on a socket of its own: errno, and an fd if want_fd. */
static int user_request(struct sbx_sandbox *sb, struct sbx_init_msg *msg, int dir_fd, int file_fd, bool want_fd,
                        struct sbx_error *err)
{
  struct sbx_init_reply reply;
  int pair[2];
  _cleanup_close_ int mine = -1;
  int fd = -1, sent, send[3];
  size_t nfds = 0, nsend = 1;
  struct pollfd pfd;
  ssize_t n;

  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
    return sbx_error_errno(err, errno, SBX_E_INTERNAL, "socketpair");
  mine = pair[0];
  send[0] = pair[1];
  if (dir_fd >= 0)
    send[nsend++] = dir_fd;
  if (dir_fd >= 0 && file_fd >= 0)
    send[nsend++] = file_fd;
  sent = sbx_send_fds(sb->user_ctl_fd, msg, sizeof *msg, send, nsend);
  close(pair[1]);
  if (sent < 0)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "user context: send a file request");
  pfd.fd = mine;
  pfd.events = POLLIN;
  if (poll(&pfd, 1, INIT_REPLY_TIMEOUT_MS) != 1)
    return sbx_error_set(err, ETIMEDOUT, SBX_E_SANDBOX, "user context: no answer to a file request");
  n = sbx_recv_fds(mine, &reply, sizeof reply, &fd, 1, &nfds);
  if (n != (ssize_t)sizeof reply || (fd >= 0) != (want_fd && reply.errno_ == 0))
    {
      if (fd >= 0)
        close(fd);
      return sbx_error_set(err, EPROTO, SBX_E_SANDBOX, "user context: bad answer to a file request");
    }
  if (reply.errno_ != 0)
    {
      int e = reply.errno_ > 0 ? reply.errno_ : EPROTO;
      return sbx_error_errno(err, e, sbx_error_code_for_errno(e), "%s", msg->path);
    }
  return want_fd ? fd : 0;
}

int sbx_user_open(struct sbx_sandbox *sb, int dir_fd, const char *path, int flags, mode_t mode,
                  struct sbx_error *err)
{
  struct sbx_init_msg msg;

  if (strlen(path) >= sizeof msg.path)
    return sbx_error_set(err, ENAMETOOLONG, SBX_E_VALIDATION, "path is too long");
  memset(&msg, 0, sizeof msg);
  msg.op = SBX_OP_OPEN;
  msg.flags = (uint32_t)flags;
  msg.mode = mode;
  snprintf(msg.path, sizeof msg.path, "%s", path);
  return user_request(sb, &msg, dir_fd, -1, true, err);
}

int sbx_user_rename(struct sbx_sandbox *sb, int dir_fd, const char *from, const char *to, struct sbx_error *err)
{
  struct sbx_init_msg msg;
  size_t flen = strlen(from), tlen = to != NULL ? strlen(to) : 0;

  if (flen + tlen + 2 > sizeof msg.path)
    return sbx_error_set(err, ENAMETOOLONG, SBX_E_VALIDATION, "name is too long");
  memset(&msg, 0, sizeof msg);
  msg.op = SBX_OP_RENAME;
  memcpy(msg.path, from, flen);
  if (tlen > 0)
    memcpy(msg.path + flen + 1, to, tlen);
  return user_request(sb, &msg, dir_fd, -1, false, err);
}

int sbx_user_link(struct sbx_sandbox *sb, int dir_fd, int fd, const char *name, struct sbx_error *err)
{
  struct sbx_init_msg msg;

  if (strlen(name) >= sizeof msg.path)
    return sbx_error_set(err, ENAMETOOLONG, SBX_E_VALIDATION, "name is too long");
  if (dir_fd < 0 || fd < 0)
    return sbx_error_set(err, EBADF, SBX_E_INTERNAL, "link: no directory or file");
  memset(&msg, 0, sizeof msg);
  msg.op = SBX_OP_LINK;
  snprintf(msg.path, sizeof msg.path, "%s", name);
  return user_request(sb, &msg, dir_fd, fd, false, err);
}
