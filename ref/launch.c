/* One command in one context: start it, follow its status stream, signal it,
 * and end it. exec.c and process.c are built on this. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>

#include "cleanup.h"
#include "clock.h"
#include "contexts.h"
#include "env.h"
#include "error.h"
#include "executor.h"
#include "launch.h"
#include "proto.h"
#include "sandbox.h"
#include "status.h"

static const char *context_home(const struct sbx_sandbox *sb, enum sbx_context ctx)
{
  if (sb->isolation == SBX_ISO_FALLBACK)
    return ctx == SBX_CTX_USER ? sb->user_home_fallback : sb->platform_home_fallback;
  return ctx == SBX_CTX_USER ? SBX_USER_HOME : SBX_PLATFORM_HOME;
}

static int validate(const struct sbx_exec_request *req, struct sbx_error *err)
{
  if (req->context != SBX_CTX_USER && req->context != SBX_CTX_PLATFORM)
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "context must be \"user\" or \"platform\"");
  if (req->command == NULL || req->command[0] == '\0')
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "command is empty");
  /* The command is one argument of /bin/sh -c, and Linux refuses an execve
   * with any string longer than MAX_ARG_STRLEN (32 pages, with its NUL). */
  if (strlen(req->command) >= SBX_ARG_STRLEN_MAX)
    return sbx_error_set(err, E2BIG, SBX_E_VALIDATION, "command is longer than %d bytes, the kernel's limit on one "
                         "argument; write a script to the shared dir and run that", SBX_ARG_STRLEN_MAX - 1);
  if (req->timeout_ms < 0)
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "timeoutMs must not be negative (got %lld)",
                         req->timeout_ms);
  if (req->cwd != NULL && (req->cwd[0] != '/' || strlen(req->cwd) >= PATH_MAX))
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "cwd must be an absolute path");
  return 0;
}

/* execve's total, the strings and their pointers, within ARG_MAX (a quarter
 * of the stack limit, which the command inherits): else E2BIG, after the
 * launch, as an internal error. */
static int exec_size_ok(const char *command, char *const *envp, struct sbx_error *err)
{
  long max = sysconf(_SC_ARG_MAX);
  size_t total = sizeof "/bin/sh" + sizeof "-c" + strlen(command) + 1 + 4 * sizeof(char *);

  for (char *const *e = envp; *e != NULL; e++)
    total += strlen(*e) + 1 + sizeof(char *);
  if (max > 0 && total > (size_t)max)
    return sbx_error_set(err, E2BIG, SBX_E_VALIDATION,
                         "the command and its env take %zu bytes, more than exec takes here (%ld); pass data in files",
                         total, max);
  return 0;
}

/* Where platform code finds the daemon's operations socket: its own view's
 * /run/splitbox, or the host's directory when there are no namespaces. */
static const char *platform_run_dir(const struct sbx_sandbox *sb, enum sbx_context ctx)
{
  if (ctx != SBX_CTX_PLATFORM || sb->platform_run_dir == NULL)
    return NULL;
  return sb->isolation == SBX_ISO_FALLBACK ? sb->platform_run_dir : SBX_PLATFORM_RUN_PATH;
}

/* A command run as PID 1 (sbx_platform_exec_direct): its status pipe says
 * its pid (when a launcher made it) and FAILED should it fail before its
 * exec, then closes: at its exec, or its death. Then its end is watched on a
 * pidfd, and read by waitpid. */
static int await_direct_exec(struct sbx_launch *l)
{
  struct sbx_status_rec rec;
  int pidfd;

  while (sbx_status_read(l->status_fd, &rec) == 1)
    if (rec.kind == SBX_ST_GPID && l->trust_gpid && l->host_pid == 0 && rec.value > 0)
      l->host_pid = rec.value;
    else if (rec.kind == SBX_ST_FAILED)
      {
        l->fail_errno = rec.errno_;
        l->fail_value = rec.value;
        memcpy(l->fail_msg, rec.msg, sizeof l->fail_msg);
      }
  close(l->status_fd);
  l->status_fd = -1;
  if (l->fail_msg[0] != '\0')
    return 0; /* the failure is said below */
  if (l->host_pid <= 0)
    {
      /* The launcher died before it said a pid: nothing runs. */
      l->exited = true;
      l->wait_status = -1;
      return 0;
    }
  if ((pidfd = (int)syscall(SYS_pidfd_open, l->host_pid, 0)) < 0)
    return -1;
  l->status_fd = pidfd;
  l->direct = true;
  l->pid = 1;
  return 0;
}

int sbx_launch_start(struct sbx_sandbox *sb, const struct sbx_exec_request *req, const int fds[3], bool run_to_end,
                     struct sbx_launch *l, struct sbx_error *err)
{
  _cleanup_strv_ char **envp = NULL;
  int status[2];
  bool as_pid1 = false;
  int r;

  memset(l, 0, sizeof *l);
  l->status_fd = -1;
  l->context = req->context;
  if (validate(req, err) < 0)
    return -1;
  /* Fallback user code has a tmp of its own: Landlock keeps it out of the host's /tmp. */
  envp = sbx_env_build(req->context, context_home(sb, req->context),
                       sb->isolation == SBX_ISO_FALLBACK && req->context == SBX_CTX_USER ? sb->user_tmp_fallback : NULL,
                       platform_run_dir(sb, req->context),
                       req->context == SBX_CTX_PLATFORM ? sb->platform_cli_dir : NULL,
                       sb->legacy ? (const char *const *)sb->legacy_env : NULL, req->env, err);
  if (envp == NULL || exec_size_ok(req->command, envp, err) < 0)
    return -1;
  if (pipe2(status, O_CLOEXEC) != 0)
    return sbx_error_errno(err, errno, SBX_E_INTERNAL, "pipe");
  pthread_mutex_lock(&sb->lock);
  l->id = ++sb->next_id;
  pthread_mutex_unlock(&sb->lock);

  if (sb->isolation == SBX_ISO_FALLBACK)
    r = sbx_fallback_spawn(sb, req->context, req->cwd, req->command, envp, fds, status[1], &l->host_pid, err);
  else if (req->context == SBX_CTX_USER)
    r = sbx_user_spawn(sb, l->id, req->cwd, req->command, envp, fds, status[1], err);
  else if (run_to_end && !req->init)
    {
      r = sbx_platform_exec_direct(sb, req->cwd, req->command, envp, fds, status[1], &l->host_pid, err);
      l->trust_gpid = r == 0 && l->host_pid == 0;
      as_pid1 = r == 0;
    }
  else
    {
      r = sbx_platform_spawn(sb, req->cwd, req->command, envp, fds, status[1], &l->host_pid, err);
      /* Only a launcher's pid comes on the pipe, the launcher being a fork of ours. */
      l->trust_gpid = r == 0 && l->host_pid == 0;
    }
  close(status[1]);
  l->status_fd = status[0];
  if (r < 0)
    {
      close(l->status_fd);
      l->status_fd = -1;
      return -1;
    }
  if (as_pid1 && await_direct_exec(l) < 0)
    {
      sbx_error_errno(err, errno, SBX_E_INTERNAL, "pidfd_open");
      sbx_launch_finish(sb, l, 0);
      return -1;
    }
  /* A user exec is not waited for: its STARTED, or why it failed, reaches the
   * job loop with its exit (sbx_exec_job_advance), and it is ended by its id,
   * not its pid. The launching thread goes on at once. */
  if (run_to_end && req->context == SBX_CTX_USER && sb->isolation != SBX_ISO_FALLBACK)
    return 0;
  /* Wait for STARTED (or the reason it failed): after this, the command runs.
   * The fork path's launcher says the init's pid when it can: wait for that too. */
  while ((l->pid == 0 || (l->trust_gpid && l->host_pid == 0)) && !l->exited && l->fail_msg[0] == '\0')
    if (sbx_launch_poll_status(l, true) < 0)
      break;
  /* In flight: sbx_sandbox_kill_all must be able to end it. */
  if (l->host_pid > 0 && sbx_sandbox_track(sb, l->host_pid) < 0)
    {
      sbx_error_set(err, ECANCELED, SBX_E_SANDBOX, "the sandbox is being torn down");
      sbx_launch_finish(sb, l, 0);
      return -1;
    }
  l->tracked = l->host_pid > 0;
  if (l->pid == 0)
    {
      struct sbx_status_rec rec = { .errno_ = l->fail_errno, .value = l->fail_value };
      memcpy(rec.msg, l->fail_msg, sizeof rec.msg);
      if (l->fail_msg[0] != '\0')
        sbx_status_record_error(&rec, err);
      else
        sbx_error_set(err, EIO, SBX_E_SANDBOX, "the %s context did not start the command",
                      sbx_context_name(req->context));
      sbx_launch_finish(sb, l, 0);
      return -1;
    }
  return 0;
}

int sbx_launch_poll_status(struct sbx_launch *l, bool blocking)
{
  struct sbx_status_rec rec;
  int r;

  if (l->status_fd < 0)
    return 0;
  if (!blocking || l->direct)
    {
      struct pollfd pfd = { .fd = l->status_fd, .events = POLLIN };
      while ((r = poll(&pfd, 1, blocking ? -1 : 0)) < 0 && errno == EINTR)
        ;
      if (r != 1)
        return 0;
    }
  if (l->direct)
    {
      int status = -1;
      pid_t w = waitpid(l->host_pid, &status, WNOHANG);
      /* 0: not yet (the pidfd said otherwise; look again). ECHILD: reaped
       * elsewhere, its status unknown. */
      if (w == 0 || (w < 0 && errno != ECHILD))
        return 0;
      l->reaped = true;
      l->exited = true;
      l->wait_status = status;
      close(l->status_fd);
      l->status_fd = -1;
      return 1;
    }
  r = sbx_status_read(l->status_fd, &rec);
  if (r <= 0)
    {
      /* EOF without EXITED: the supervisor died (killed from inside the context). */
      close(l->status_fd);
      l->status_fd = -1;
      if (!l->exited)
        {
          l->exited = true;
          l->wait_status = -1;
        }
      return r < 0 ? -1 : 1;
    }
  switch (rec.kind)
    {
    case SBX_ST_GPID:
      /* Only the platform launcher, a fork of ours, says this; from anywhere
       * else (a supervisor user code could reach) it would be a pid to kill. */
      if (l->trust_gpid && l->host_pid == 0 && rec.value > 0)
        l->host_pid = rec.value;
      break;
    case SBX_ST_STARTED:
      l->pid = rec.value > 0 ? rec.value : -1;
      break;
    case SBX_ST_EXITED:
      l->exited = true;
      l->wait_status = rec.value;
      break;
    case SBX_ST_FAILED:
      l->fail_errno = rec.errno_;
      l->fail_value = rec.value;
      memcpy(l->fail_msg, rec.msg, sizeof l->fail_msg);
      break;
    default:
      break;
    }
  return 1;
}

void sbx_launch_signal(struct sbx_sandbox *sb, struct sbx_launch *l, int sig)
{
  union sigval v = { .sival_int = sig };

  if (l->exited)
    return;
  if (sb->isolation != SBX_ISO_FALLBACK && l->context == SBX_CTX_USER)
    {
      sbx_user_kill(sb, l->id, sig);
      return;
    }
  if (l->host_pid <= 0 || l->reaped)
    return;
  /* Killing a PID namespace's init kills everything in it at once. */
  if (sig == SIGKILL && sb->isolation != SBX_ISO_FALLBACK)
    kill(l->host_pid, SIGKILL);
  else if (l->direct)
    kill(-l->host_pid, sig); /* its session's group; a PID 1 without a handler ignores it */
  else
    sigqueue(l->host_pid, SIGUSR1, v);
}

void sbx_launch_finish(struct sbx_sandbox *sb, struct sbx_launch *l, int grace_ms)
{
  double deadline = sbx_now_ms() + grace_ms;

  if (!l->exited)
    sbx_launch_signal(sb, l, SIGKILL);
  while (!l->exited && l->status_fd >= 0)
    {
      struct pollfd pfd = { .fd = l->status_fd, .events = POLLIN };
      int left = (int)(deadline - sbx_now_ms());
      if (left <= 0 || poll(&pfd, 1, left) != 1)
        break;
      sbx_launch_poll_status(l, true);
    }
  if (l->tracked)
    {
      sbx_sandbox_untrack(sb, l->host_pid);
      l->tracked = false;
    }
  if (l->host_pid > 0 && !l->reaped)
    {
      int status;
      if (!l->exited)
        kill(l->host_pid, SIGKILL);
      while (waitpid(l->host_pid, &status, 0) < 0 && errno == EINTR)
        ;
      l->reaped = true;
    }
  if (l->status_fd >= 0)
    {
      close(l->status_fd);
      l->status_fd = -1;
    }
  if (l->context == SBX_CTX_PLATFORM && sb->isolation != SBX_ISO_FALLBACK)
    sbx_platform_spare_refill(sb);
}
