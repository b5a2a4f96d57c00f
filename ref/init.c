/* splitbox-init: PID 1 of the user context. It is exec'd fresh, so it holds
 * no copy of the executor's memory; it runs as the sandbox's unprivileged
 * user, non-dumpable, and only starts and supervises commands and opens files
 * on request. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init_commands.h"
#include "error.h"
#include "fdpass.h"
#include "io.h"
#include "pid1.h"
#include "proto.h"
#include "resolve.h"
#include "status.h"
#include "supervise.h"

#define MAX_PAYLOAD (4u * 1024 * 1024)
#define MAX_ENV 4096
#define OPEN_FLAGS_ALLOWED \
  (O_RDONLY | O_WRONLY | O_RDWR | O_CREAT | O_EXCL | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_DIRECTORY | O_PATH \
   | O_TMPFILE)

static int root_fd = -1;

static void close_all(int *fds, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (fds[i] >= 0)
      close(fds[i]);
}

/* Most payloads fit here. musl's malloc maps a fresh page for each one and
 * unmaps it after, a TLB shoot-down per command on the init's hot path. */
static char payload_buf[64 * 1024];

static void release_payload(char *buf)
{
  if (buf != payload_buf)
    free(buf);
}

/* Payload: cwd NUL command NUL env... NUL */
static char *read_payload(int fd, size_t *len)
{
  struct stat st;
  char *buf;

  if (fstat(fd, &st) != 0 || st.st_size <= 0 || (size_t)st.st_size > MAX_PAYLOAD)
    return NULL;
  buf = (size_t)st.st_size < sizeof payload_buf ? payload_buf : malloc((size_t)st.st_size + 1);
  if (buf == NULL)
    return NULL;
  if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size)
    {
      release_payload(buf);
      return NULL;
    }
  buf[st.st_size] = '\0';
  *len = (size_t)st.st_size;
  return buf;
}

struct parsed
{
  char *payload, *cwd, *command;
  char *envp[MAX_ENV + 1];
};

static int parse_payload(int fd, struct parsed *p)
{
  size_t len = 0, n_env = 0;
  char *end;

  if ((p->payload = read_payload(fd, &len)) == NULL)
    return -1;
  end = p->payload + len;
  p->cwd = p->payload;
  p->command = p->cwd + strlen(p->cwd) + 1;
  if (p->command >= end)
    {
      release_payload(p->payload);
      return -1;
    }
  for (char *e = p->command + strlen(p->command) + 1; e < end && n_env < MAX_ENV; e += strlen(e) + 1)
    p->envp[n_env++] = e;
  p->envp[n_env] = NULL;
  return 0;
}

/* The supervisor of one platform or fallback command: this very process. */
static int supervise(const struct parsed *p, const int *fds, int lifeline_fd, bool ns_init, const char *default_cwd)
{
  char *argv[] = { (char *)"/bin/sh", (char *)"-c", p->command, NULL };
  struct sbx_supervise_spec spec = {
    .argv = argv, .envp = (char *const *)p->envp, .cwd = p->cwd[0] != '\0' ? p->cwd : default_cwd,
    .stdin_fd = fds[0], .stdout_fd = fds[1], .stderr_fd = fds[2], .status_fd = fds[3],
    .lifeline_fd = lifeline_fd, .ns_init = ns_init,
  };
  return sbx_supervise(&spec);
}

static void spawn(const struct sbx_init_msg *msg, int *fds)
{
  static struct parsed p;

  if (parse_payload(fds[0], &p) < 0)
    {
      struct sbx_error err = { 0 };
      sbx_error_set(&err, EINVAL, SBX_E_SANDBOX, "user context: unreadable spawn payload");
      sbx_status_fail(fds[4], &err);
      return;
    }
  sbx_cmd_start(msg->id, p.cwd, p.command, p.envp, fds + 1);
  release_payload(p.payload);
}

static void open_request(struct sbx_init_msg *msg, int reply_fd, int dir_fd)
{
  struct sbx_init_reply reply = { 0 };
  struct open_how how = { 0 };
  int fd;

  msg->path[sizeof msg->path - 1] = '\0';
  how.flags = (uint64_t)(msg->flags & OPEN_FLAGS_ALLOWED) | O_CLOEXEC;
  how.mode = sbx_open_creates((int)how.flags) ? (msg->mode & 07777) : 0;
  /* The init's root is the sandbox's root, and it opens with the user's own
   * credentials: the answer is exactly what user code could open itself. A
   * dir the executor passes back was opened here before, the same way. */
  how.resolve = (dir_fd >= 0 ? RESOLVE_BENEATH : RESOLVE_IN_ROOT) | RESOLVE_NO_MAGICLINKS;
  fd = sbx_openat2(dir_fd >= 0 ? dir_fd : root_fd, msg->path, &how);
  if (fd < 0)
    reply.errno_ = errno;
  sbx_send_fds(reply_fd, &reply, sizeof reply, fd >= 0 ? &fd : NULL, fd >= 0 ? 1 : 0);
  if (fd >= 0)
    close(fd);
}

/* Both names are entries of dir, without a '/': nothing to resolve beyond it. */
static void rename_request(struct sbx_init_msg *msg, int reply_fd, int dir_fd)
{
  struct sbx_init_reply reply = { 0 };
  const char *from = msg->path, *to;
  size_t flen = strnlen(msg->path, sizeof msg->path);

  msg->path[sizeof msg->path - 1] = '\0';
  to = flen + 1 < sizeof msg->path ? msg->path + flen + 1 : "";
  if (from[0] == '\0' || strchr(from, '/') != NULL || strchr(to, '/') != NULL)
    reply.errno_ = EINVAL;
  else if ((to[0] != '\0' ? renameat(dir_fd, from, dir_fd, to) : unlinkat(dir_fd, from, 0)) != 0)
    reply.errno_ = errno;
  sbx_send_fds(reply_fd, &reply, sizeof reply, NULL, 0);
}

/* Names an unnamed file as the user. Only a file with no name yet: a named
 * one linked again here would be a second name that user code could keep. */
static void link_request(struct sbx_init_msg *msg, int reply_fd, int dir_fd, int file_fd)
{
  struct sbx_init_reply reply = { 0 };
  struct stat st;

  msg->path[sizeof msg->path - 1] = '\0';
  if (msg->path[0] == '\0' || strchr(msg->path, '/') != NULL || strcmp(msg->path, ".") == 0
      || strcmp(msg->path, "..") == 0)
    reply.errno_ = EINVAL;
  else if (fstat(file_fd, &st) != 0)
    reply.errno_ = errno;
  else if (!S_ISREG(st.st_mode) || st.st_nlink != 0)
    reply.errno_ = EINVAL;
  else if (sbx_link_unnamed(file_fd, dir_fd, msg->path) != 0)
    reply.errno_ = errno;
  sbx_send_fds(reply_fd, &reply, sizeof reply, NULL, 0);
}

/* A spare platform init waits here, in its fresh namespaces, for its one
 * command: the payload and the command's fds on the job socket. Returns the
 * payload fd with the others in fds (stdin, stdout, stderr, status), or -1
 * when the executor went away first. */
static int wait_for_job(int job_fd, int lifeline_fd, int fds[4], uint32_t *job)
{
  struct pollfd pfds[2] = { { .fd = job_fd, .events = POLLIN }, { .fd = lifeline_fd, .events = POLLIN } };
  int got[5];
  size_t nfds = 0;
  ssize_t n;

  while (poll(pfds, 2, -1) < 0)
    if (errno != EINTR)
      return -1;
  if (pfds[1].revents != 0 || !(pfds[0].revents & POLLIN))
    return -1;
  n = sbx_recv_fds(job_fd, job, sizeof *job, got, 5, &nfds);
  if (n != (ssize_t)sizeof *job || nfds != 5)
    {
      close_all(got, nfds);
      return -1;
    }
  for (int i = 0; i < 4; i++)
    fds[i] = got[i + 1];
  return got[0];
}

/* A spare's job to be its command, as PID 1 of its namespaces, as the
 * executor's vfork-style child makes it where it can. fds: stdin, stdout,
 * stderr, status, lifeline. */
static int become_command(const struct parsed *p, const int *fds)
{
  struct sbx_error err = { 0 };

  sbx_exec_as_pid1(p->command, p->cwd[0] != '\0' ? p->cwd : "/", (char *const *)p->envp, fds, fds[4], &err);
  sbx_error_prefix(&err, "start platform command");
  sbx_status_fail(fds[3], &err);
  return 1;
}

/* splitbox-init supervise [--ns-init [--job]]: the supervisor of one platform
 * or fallback command, exec'd so that it holds nothing of the executor. */
static int supervise_main(bool ns_init, bool job)
{
  static struct parsed p;
  int fds[SBX_SUPERVISE_FDS - 1], payload_fd = SBX_SUPERVISE_FIRST_FD;
  uint32_t kind = SBX_JOB_SUPERVISE;

  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    return 1;
  if (job)
    {
      /* fds: stdin, stdout, stderr, status, then the lifeline */
      fds[4] = SBX_SUPERVISE_FIRST_FD + 1;
      payload_fd = wait_for_job(SBX_SUPERVISE_FIRST_FD, fds[4], fds, &kind);
      if (payload_fd < 0)
        return 0; /* the executor is gone: so is this namespace, with us */
      close(SBX_SUPERVISE_FIRST_FD);
    }
  else
    for (int i = 0; i < SBX_SUPERVISE_FDS - 1; i++)
      fds[i] = SBX_SUPERVISE_FIRST_FD + 1 + i;
  if (parse_payload(payload_fd, &p) < 0)
    {
      struct sbx_error err = { 0 };
      sbx_error_set(&err, EINVAL, SBX_E_SANDBOX, "supervisor: unreadable spawn payload");
      sbx_status_fail(fds[3], &err);
      return 1;
    }
  close(payload_fd);
  for (int i = 0; i < SBX_SUPERVISE_FDS - 1; i++)
    fcntl(fds[i], F_SETFD, FD_CLOEXEC);
  if (job && kind == SBX_JOB_EXEC_AS_PID1)
    return become_command(&p, fds);
  return supervise(&p, fds, fds[4], ns_init, "/");
}

int main(int argc, char **argv)
{
  sigset_t mask;
  int sigfd;
  struct pollfd pfds[2];

  if (argc >= 2 && strcmp(argv[1], "supervise") == 0)
    return supervise_main(argc >= 3 && strcmp(argv[2], "--ns-init") == 0,
                          argc >= 4 && strcmp(argv[3], "--job") == 0);
  /* Non-dumpable: user code, same uid, can neither ptrace us nor read our memory. */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    return 1;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  /* SETMASK, not BLOCK: nothing of the executor's own mask is kept. */
  if (sigprocmask(SIG_SETMASK, &mask, NULL) != 0 || (sigfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0)
    return 1;
  /* A status pipe per running command is ours to hold: as many as we may. */
  {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
      {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
      }
  }
  root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0 || fcntl(SBX_INIT_CONTROL_FD, F_SETFD, FD_CLOEXEC) != 0)
    return 1;

  pfds[0].fd = SBX_INIT_CONTROL_FD;
  pfds[0].events = POLLIN;
  pfds[1].fd = sigfd;
  pfds[1].events = POLLIN;
  for (;;)
    {
      struct sbx_init_msg msg;
      int fds[SBX_SPAWN_FDS];
      size_t nfds = 0;
      ssize_t n;

      int ready = poll(pfds, 2, sbx_cmd_poll_timeout());

      if (ready < 0)
        {
          if (errno == EINTR)
            continue;
          return 1;
        }
      if (pfds[1].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          if (sbx_read_retry(sigfd, &si, sizeof si) < 0 && errno != EAGAIN)
            return 1;
        }
      sbx_cmd_reap();
      if (!(pfds[0].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      n = sbx_recv_fds(SBX_INIT_CONTROL_FD, &msg, sizeof msg, fds, SBX_SPAWN_FDS, &nfds);
      if (n == 0 || (n < 0 && errno != EMSGSIZE))
        return 0; /* the executor is gone: exiting ends the whole namespace */
      if (n == (ssize_t)sizeof msg)
        {
          if (msg.op == SBX_OP_SPAWN && nfds == SBX_SPAWN_FDS)
            spawn(&msg, fds);
          else if (msg.op == SBX_OP_KILL)
            sbx_cmd_signal(msg.id, msg.sig);
          else if (msg.op == SBX_OP_OPEN && (nfds == 1 || nfds == 2))
            open_request(&msg, fds[0], nfds == 2 ? fds[1] : -1);
          else if (msg.op == SBX_OP_RENAME && nfds == 2)
            rename_request(&msg, fds[0], fds[1]);
          else if (msg.op == SBX_OP_LINK && nfds == 3)
            link_request(&msg, fds[0], fds[1], fds[2]);
        }
      close_all(fds, nfds);
    }
}
