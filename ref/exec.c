/* sbx_exec: run a command to completion, capturing its output up to a cap. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "clock.h"
#include "error.h"
#include "executor.h"
#include "io.h"
#include "launch.h"
#include "proto.h"
#include "sandbox.h"
#include "status.h"

/* After a timeout, or once the command has exited, how long output may still drain. */
#define DRAIN_GRACE_MS 2000

struct stream
{
  int fd;
  char *buf;
  size_t len, alloc, cap;
  bool truncated;
};

static int stream_read(struct stream *s, const struct sbx_exec_request *req, int which)
{
  char scratch[65536];
  ssize_t n = sbx_read_retry(s->fd, scratch, sizeof scratch);

  if (n < 0 && errno == EAGAIN)
    return 0;
  if (n <= 0)
    {
      close(s->fd);
      s->fd = -1;
      return 0;
    }
  if (req->on_output != NULL)
    req->on_output(req->on_output_arg, which, scratch, (size_t)n);
  /* Past the cap, keep reading (so the writer never blocks) but keep nothing. */
  size_t keep = s->len < s->cap ? s->cap - s->len : 0;
  if ((size_t)n > keep)
    s->truncated = true;
  if (keep > (size_t)n)
    keep = (size_t)n;
  if (keep == 0)
    return 0;
  if (s->len + keep + 1 > s->alloc)
    {
      size_t want = s->alloc ? s->alloc * 2 : 65536;
      while (want < s->len + keep + 1)
        want *= 2;
      if (want > s->cap + 1)
        want = s->cap + 1;
      char *grown = realloc(s->buf, want);
      if (grown == NULL)
        return -1;
      s->buf = grown;
      s->alloc = want;
    }
  memcpy(s->buf + s->len, scratch, keep);
  s->len += keep;
  s->buf[s->len] = '\0';
  return 0;
}

static void fill_exit(struct sbx_exec_result *res, const struct sbx_launch *l)
{
  if (!l->exited || l->pid == 0)
    res->exit_code = -1; /* never started, or its supervisor never answered: nothing is known */
  else if (l->wait_status == -1)
    {
      res->exit_code = 128 + SIGKILL;
      res->term_signal = SIGKILL;
    }
  else if (WIFEXITED(l->wait_status))
    res->exit_code = WEXITSTATUS(l->wait_status);
  else if (WIFSIGNALED(l->wait_status))
    {
      res->term_signal = WTERMSIG(l->wait_status);
      res->exit_code = 128 + res->term_signal;
    }
  res->success = !res->timed_out && res->exit_code == 0 && l->fail_msg[0] == '\0';
}

static int pipes(int out[2], int errp[2], int *devnull, struct sbx_error *err)
{
  out[0] = out[1] = errp[0] = errp[1] = -1;
  *devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (*devnull < 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0)
    {
      int e = errno;
      int fds[] = { out[0], out[1], errp[0], errp[1], *devnull };
      for (size_t i = 0; i < 5; i++)
        if (fds[i] >= 0)
          close(fds[i]);
      return sbx_error_errno(err, e, SBX_E_INTERNAL, "create output pipes");
    }
  return 0;
}

struct sbx_exec_job
{
  struct sbx_sandbox *sb;
  struct sbx_launch l;
  struct stream s[2];
  struct sbx_exec_request req; /* timeout and output callback; the rest is not used after the launch */
  double start, deadline, drain_until;
  long long oom_before;
  bool timed_out, cancelled, over;
};

/* Reads the status records already there, without blocking. The command's
 * time counts from its start: a STARTED read here (a user command's comes to
 * the loop) sets the deadline again, so that a slow launch does not eat it. */
static void take_status(struct sbx_exec_job *j)
{
  while (!j->l.exited && j->l.status_fd >= 0)
    {
      pid_t before = j->l.pid;
      if (sbx_launch_poll_status(&j->l, false) <= 0)
        break;
      if (before == 0 && j->l.pid != 0 && j->req.timeout_ms > 0)
        j->deadline = sbx_now_ms() + (double)j->req.timeout_ms;
    }
}

/* The deadlines of a job: its timeout, then the drain after an exit or a kill. */
static void step_clock(struct sbx_exec_job *j)
{
  double now = sbx_now_ms();

  if (j->deadline >= 0 && !j->timed_out && !j->l.exited && now >= j->deadline)
    {
      /* A daemon that was stopped or starved wakes past the deadline with the
       * exit already waiting on the status pipe: that exit is the result,
       * not a timeout (the deadline is checked after the status is read). */
      take_status(j);
      /* A STARTED read just now moved the deadline. */
      if (!j->l.exited && now >= j->deadline)
        {
          j->timed_out = true;
          sbx_launch_signal(j->sb, &j->l, SIGKILL);
          j->drain_until = now + DRAIN_GRACE_MS;
        }
    }
  if ((j->l.exited || j->l.status_fd < 0) && j->drain_until < 0)
    j->drain_until = now + DRAIN_GRACE_MS;
  if (j->drain_until >= 0 && now >= j->drain_until)
    j->over = true; /* output held open by something outside the tree: stop waiting */
  if (j->s[0].fd < 0 && j->s[1].fd < 0 && (j->l.exited || j->l.status_fd < 0))
    j->over = true;
}

void sbx_exec_job_pollfds(const struct sbx_exec_job *j, struct pollfd *pfd, double *wake_ms)
{
  pfd[0] = (struct pollfd){ .fd = j->over ? -1 : j->s[0].fd, .events = POLLIN };
  pfd[1] = (struct pollfd){ .fd = j->over ? -1 : j->s[1].fd, .events = POLLIN };
  pfd[2] = (struct pollfd){ .fd = j->over || j->l.exited ? -1 : j->l.status_fd, .events = POLLIN };
  *wake_ms = j->over                     ? 0
             : j->drain_until >= 0       ? j->drain_until
             : j->deadline >= 0          ? j->deadline
                                         : -1;
}

bool sbx_exec_job_advance(struct sbx_exec_job *j, const struct pollfd *pfd)
{
  if (j->over)
    return true;
  /* Status before output and before the clock: see step_clock. */
  if (pfd[2].fd >= 0 && (pfd[2].revents & (POLLIN | POLLHUP | POLLERR)))
    take_status(j);
  for (int i = 0; i < 2; i++)
    if (pfd[i].fd >= 0 && pfd[i].fd == j->s[i].fd && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
      stream_read(&j->s[i], &j->req, i + 1);
  step_clock(j);
  return j->over;
}

/* The most output an end encodes on the job loop's thread: a larger one goes
 * to a worker, so that the loop does not stall other commands. */
#define QUICK_END_OUTPUT_MAX (64u * 1024)

bool sbx_exec_job_end_is_quick(const struct sbx_exec_job *j)
{
  return j->l.exited && (j->l.host_pid <= 0 || j->l.reaped)
         && j->s[0].len + j->s[1].len <= QUICK_END_OUTPUT_MAX;
}

void sbx_exec_job_cancel(struct sbx_exec_job *j)
{
  if (j->cancelled || j->l.exited)
    return;
  j->cancelled = true;
  sbx_launch_signal(j->sb, &j->l, SIGKILL);
}

int sbx_exec_begin(struct sbx_sandbox *sb, const struct sbx_exec_request *req, struct sbx_exec_result *res,
                   struct sbx_exec_job **out, struct sbx_error *err)
{
  struct sbx_exec_job *j;
  int o[2], e[2], devnull = -1;

  *out = NULL;
  memset(res, 0, sizeof *res);
  res->context = req->context;
  res->isolation = sb->isolation;
  res->exit_code = -1;
  res->command = strdup(req->command != NULL ? req->command : "");
  res->warnings = sbx_warnings_for(sb, req->context);
  sbx_iso8601(sbx_wall_seconds(), res->timestamp, sizeof res->timestamp);
  j = calloc(1, sizeof *j);
  if (res->command == NULL || res->warnings == NULL || j == NULL)
    {
      free(j);
      return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "exec");
    }
  j->sb = sb;
  j->req = *req;
  j->start = sbx_now_ms();
  j->drain_until = -1;
  /* The cgroup counts OOM kills, not whose: an exec running beside this one
   * in the same sandbox may be the one the kernel chose. */
  j->oom_before = req->context == SBX_CTX_USER ? sbx_cgroup_oom_kills(&sb->cgroup) : -1;
  if (pipes(o, e, &devnull, err) < 0)
    {
      free(j);
      return -1;
    }
  {
    int fds[3] = { devnull, o[1], e[1] };
    int r = sbx_launch_start(sb, req, fds, true, &j->l, err);
    close(devnull);
    close(o[1]);
    close(e[1]);
    if (r < 0)
      {
        close(o[0]);
        close(e[0]);
        res->duration_ms = sbx_now_ms() - j->start;
        free(j);
        return -1;
      }
  }
  j->s[0].fd = o[0];
  j->s[1].fd = e[0];
  j->s[0].cap = j->s[1].cap = sb->output_cap;
  /* From the launch, and again from the start when STARTED comes later (take_status). */
  j->deadline = req->timeout_ms > 0 ? sbx_now_ms() + (double)req->timeout_ms : -1;
  *out = j;
  return 0;
}

int sbx_exec_end(struct sbx_exec_job *j, struct sbx_exec_result *res, struct sbx_error *err)
{
  struct sbx_launch *l = &j->l;
  int r = 0;

  for (int i = 0; i < 2; i++)
    if (j->s[i].fd >= 0)
      close(j->s[i].fd);
  sbx_launch_finish(j->sb, l, DRAIN_GRACE_MS);
  res->timed_out = j->timed_out;
  res->duration_ms = sbx_now_ms() - j->start;
  res->stdout_buf = j->s[0].buf != NULL ? j->s[0].buf : strdup("");
  res->stdout_len = j->s[0].len;
  res->stdout_truncated = j->s[0].truncated;
  res->stderr_buf = j->s[1].buf != NULL ? j->s[1].buf : strdup("");
  res->stderr_len = j->s[1].len;
  res->stderr_truncated = j->s[1].truncated;
  fill_exit(res, l);
  if (j->oom_before >= 0 && sbx_cgroup_oom_kills(&j->sb->cgroup) > j->oom_before)
    {
      res->oom_killed = true;
      res->success = false;
    }
  if (res->timed_out)
    r = sbx_error_set(err, ETIMEDOUT, SBX_E_TIMEOUT, "command timed out after %lld ms; its process tree was killed",
                      j->req.timeout_ms);
  else if (j->cancelled)
    r = sbx_error_set(err, ECANCELED, SBX_E_INTERNAL, "the client went away; the command's tree was killed");
  else if (l->fail_msg[0] != '\0')
    {
      struct sbx_status_rec rec = { .errno_ = l->fail_errno, .value = l->fail_value };
      memcpy(rec.msg, l->fail_msg, sizeof rec.msg);
      r = sbx_status_record_error(&rec, err);
    }
  else if (l->pid == 0)
    r = sbx_error_set(err, EIO, SBX_E_SANDBOX, "the %s context did not start the command",
                      sbx_context_name(l->context));
  free(j);
  return r;
}

int sbx_exec(struct sbx_sandbox *sb, const struct sbx_exec_request *req, struct sbx_exec_result *res,
             struct sbx_error *err)
{
  struct sbx_exec_job *j;
  struct pollfd pfd[3] = { { .fd = -1 }, { .fd = -1 }, { .fd = -1 } };

  if (sbx_exec_begin(sb, req, res, &j, err) < 0)
    return -1;
  while (!sbx_exec_job_advance(j, pfd))
    {
      double wake;
      int wait_ms = -1;
      sbx_exec_job_pollfds(j, pfd, &wake);
      if (wake >= 0)
        {
          double left = wake - sbx_now_ms();
          wait_ms = left <= 0 ? 0 : (int)left + 1;
        }
      if (poll(pfd, 3, wait_ms) < 0 && errno != EINTR)
        break;
    }
  return sbx_exec_end(j, res, err);
}

void sbx_exec_result_clear(struct sbx_exec_result *res)
{
  free(res->stdout_buf);
  free(res->stderr_buf);
  free(res->command);
  if (res->warnings != NULL)
    for (char **w = res->warnings; *w != NULL; w++)
      free(*w);
  free(res->warnings);
  memset(res, 0, sizeof *res);
}
