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
  if (!l->exited)
    res->exit_code = -1; /* its supervisor never answered: nothing is known */
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

/* Polls output and status until the command has exited and its output is
 * drained, or the deadline passes. Returns true on a timeout. */
static bool capture(struct sbx_sandbox *sb, struct sbx_launch *l, struct stream *s, const struct sbx_exec_request *req)
{
  double deadline = req->timeout_ms > 0 ? sbx_now_ms() + (double)req->timeout_ms : -1;
  double drain_until = -1;
  bool timed_out = false;

  while (s[0].fd >= 0 || s[1].fd >= 0 || (!l->exited && l->status_fd >= 0))
    {
      struct pollfd pfd[3] = {
        { .fd = s[0].fd, .events = POLLIN },
        { .fd = s[1].fd, .events = POLLIN },
        { .fd = l->exited ? -1 : l->status_fd, .events = POLLIN },
      };
      double now = sbx_now_ms();
      int wait_ms = -1;

      if (deadline >= 0 && !timed_out && now >= deadline)
        {
          timed_out = true;
          sbx_launch_signal(sb, l, SIGKILL);
          drain_until = now + DRAIN_GRACE_MS;
        }
      if ((l->exited || l->status_fd < 0) && drain_until < 0)
        drain_until = now + DRAIN_GRACE_MS;
      if (drain_until >= 0 && now >= drain_until)
        break; /* output held open by something outside the tree: stop waiting */
      if (drain_until >= 0)
        wait_ms = (int)(drain_until - now) + 1;
      else if (deadline >= 0)
        wait_ms = (int)(deadline - now) + 1;
      if (poll(pfd, 3, wait_ms) < 0 && errno != EINTR)
        break;
      for (int i = 0; i < 2; i++)
        if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
          stream_read(&s[i], req, i + 1);
      if (pfd[2].revents & (POLLIN | POLLHUP | POLLERR))
        sbx_launch_poll_status(l, true);
    }
  return timed_out;
}

int sbx_exec(struct sbx_sandbox *sb, const struct sbx_exec_request *req, struct sbx_exec_result *res,
             struct sbx_error *err)
{
  struct sbx_launch l;
  struct stream s[2];
  int out[2], errp[2], devnull = -1;
  double start;
  long long oom_before;

  memset(res, 0, sizeof *res);
  res->context = req->context;
  res->isolation = sb->isolation;
  res->exit_code = -1;
  res->command = strdup(req->command != NULL ? req->command : "");
  res->warnings = sbx_warnings_for(sb, req->context);
  sbx_iso8601(sbx_wall_seconds(), res->timestamp, sizeof res->timestamp);
  if (res->command == NULL || res->warnings == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "exec");
  start = sbx_now_ms();
  /* The cgroup counts OOM kills, not whose: an exec running beside this one
   * in the same sandbox may be the one the kernel chose. */
  oom_before = req->context == SBX_CTX_USER ? sbx_cgroup_oom_kills(&sb->cgroup) : -1;
  if (pipes(out, errp, &devnull, err) < 0)
    return -1;
  {
    int fds[3] = { devnull, out[1], errp[1] };
    int r = sbx_launch_start(sb, req, fds, &l, err);
    close(devnull);
    close(out[1]);
    close(errp[1]);
    if (r < 0)
      {
        close(out[0]);
        close(errp[0]);
        res->duration_ms = sbx_now_ms() - start;
        return -1;
      }
  }
  memset(s, 0, sizeof s);
  s[0].fd = out[0];
  s[1].fd = errp[0];
  s[0].cap = s[1].cap = sb->output_cap;
  res->timed_out = capture(sb, &l, s, req);
  for (int i = 0; i < 2; i++)
    if (s[i].fd >= 0)
      close(s[i].fd);
  sbx_launch_finish(sb, &l, DRAIN_GRACE_MS);
  res->duration_ms = sbx_now_ms() - start;
  res->stdout_buf = s[0].buf != NULL ? s[0].buf : strdup("");
  res->stdout_len = s[0].len;
  res->stdout_truncated = s[0].truncated;
  res->stderr_buf = s[1].buf != NULL ? s[1].buf : strdup("");
  res->stderr_len = s[1].len;
  res->stderr_truncated = s[1].truncated;
  fill_exit(res, &l);
  if (oom_before >= 0 && sbx_cgroup_oom_kills(&sb->cgroup) > oom_before)
    {
      res->oom_killed = true;
      res->success = false;
    }
  if (res->timed_out)
    return sbx_error_set(err, ETIMEDOUT, SBX_E_TIMEOUT, "command timed out after %lld ms; its process tree was killed",
                         req->timeout_ms);
  if (l.fail_msg[0] != '\0')
    {
      struct sbx_status_rec rec = { .errno_ = l.fail_errno, .value = l.fail_value };
      memcpy(rec.msg, l.fail_msg, sizeof rec.msg);
      return sbx_status_record_error(&rec, err);
    }
  return 0;
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
