/* Started processes: they outlive the call; their output goes to log files
 * in the state directory, so nothing has to drain pipes in the background. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "clock.h"
#include "error.h"
#include "executor.h"
#include "io.h"
#include "launch.h"
#include "sandbox.h"
#include "process_table.h"

#define KILL_GRACE_MS 2000

struct sbx_proc
{
  struct sbx_launch l;
  char id[32];
  char *command;
  double start_time, end_time;
  char *out_path, *err_path;
  bool killed;
};

static void refresh(struct sbx_sandbox *sb, struct sbx_proc *p)
{
  while (!p->l.exited && sbx_launch_poll_status(&p->l, false) > 0)
    ;
  if (p->l.exited && p->end_time == 0)
    {
      sbx_launch_finish(sb, &p->l, 0);
      p->end_time = sbx_wall_seconds();
    }
}

static void proc_forget(struct sbx_proc *p)
{
  char *paths[2] = { p->out_path, p->err_path };

  for (int i = 0; i < 2; i++)
    {
      char old[4200];
      unlink(paths[i]);
      snprintf(old, sizeof old, "%s.1", paths[i]);
      unlink(old);
      free(paths[i]);
    }
  free(p->command);
}

/* Past the cap, LOG becomes LOG.1 (replacing the older one) and LOG starts
 * again empty. The process keeps its fd, which appends: the file is copied
 * and truncated rather than renamed. */
static void log_rotate(const char *path, size_t cap)
{
  char old[4200];
  struct stat st;
  _cleanup_close_ int in = -1, out = -1;

  if (stat(path, &st) != 0 || (size_t)st.st_size <= cap)
    return;
  snprintf(old, sizeof old, "%s.1", path);
  in = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  out = open(old, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (in < 0 || out < 0)
    return;
  while (copy_file_range(in, NULL, out, NULL, 1u << 20, 0) > 0)
    ;
  (void)ftruncate(in, 0);
}

/* Under sb->lock. */
static void sweep_locked(struct sbx_sandbox *sb)
{
  size_t finished = 0, w = 0;

  for (size_t i = 0; i < sb->n_procs; i++)
    {
      struct sbx_proc *p = &sb->procs[i];
      refresh(sb, p);
      if (p->end_time > 0)
        finished++;
      else
        {
          log_rotate(p->out_path, SBX_PROCESS_LOG_CAP);
          log_rotate(p->err_path, SBX_PROCESS_LOG_CAP);
        }
    }
  /* The table is in start order: the oldest finished ones go first. */
  for (size_t i = 0; i < sb->n_procs; i++)
    {
      struct sbx_proc *p = &sb->procs[i];
      if (p->end_time > 0 && finished > SBX_PROCESS_FINISHED_KEEP)
        {
          finished--;
          proc_forget(p);
          continue;
        }
      sb->procs[w++] = *p;
    }
  sb->n_procs = w;
}

void sbx_process_sweep(struct sbx_sandbox *sb)
{
  pthread_mutex_lock(&sb->lock);
  sweep_locked(sb);
  pthread_mutex_unlock(&sb->lock);
}

static int fill_info(const struct sbx_proc *p, struct sbx_process_info *out)
{
  int st = p->l.wait_status;

  memset(out, 0, sizeof *out);
  snprintf(out->id, sizeof out->id, "%s", p->id);
  out->pid = p->l.pid;
  out->command = strdup(p->command);
  out->start_time = p->start_time;
  out->end_time = p->end_time;
  out->context = p->l.context;
  if (!p->l.exited)
    out->status = SBX_PROC_RUNNING;
  else if (st == -1 || WIFSIGNALED(st))
    {
      out->status = p->killed ? SBX_PROC_KILLED : SBX_PROC_FAILED;
      out->exit_code = 128 + (st == -1 ? SIGKILL : WTERMSIG(st));
    }
  else
    {
      out->exit_code = WEXITSTATUS(st);
      out->status = p->l.fail_msg[0] != '\0' ? SBX_PROC_ERROR
                    : out->exit_code == 0    ? SBX_PROC_COMPLETED
                    : p->killed              ? SBX_PROC_KILLED
                                             : SBX_PROC_FAILED;
    }
  return out->command != NULL ? 0 : -1;
}

static struct sbx_proc *find(struct sbx_sandbox *sb, enum sbx_context ctx, const char *id)
{
  for (size_t i = 0; i < sb->n_procs; i++)
    if (sb->procs[i].l.context == ctx && strcmp(sb->procs[i].id, id) == 0)
      return &sb->procs[i];
  return NULL;
}

static int open_log(const char *path, struct sbx_error *err)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return sbx_error_errno(err, errno, SBX_E_INTERNAL, "create log %s", path);
  return fd;
}

int sbx_process_start(struct sbx_sandbox *sb, const struct sbx_exec_request *req, struct sbx_process_info *out,
                      struct sbx_error *err)
{
  struct sbx_proc p;
  _cleanup_close_ int devnull = -1, out_fd = -1, err_fd = -1;
  struct sbx_proc *grown;
  int r;

  memset(&p, 0, sizeof p);
  pthread_mutex_lock(&sb->lock);
  sweep_locked(sb);
  snprintf(p.id, sizeof p.id, "proc-%llu", (unsigned long long)++sb->next_id);
  pthread_mutex_unlock(&sb->lock);
  if (asprintf(&p.out_path, "%s/%s.out", sb->log_dir, p.id) < 0
      || asprintf(&p.err_path, "%s/%s.err", sb->log_dir, p.id) < 0
      || (p.command = strdup(req->command != NULL ? req->command : "")) == NULL)
    {
      r = sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "start process");
      goto fail;
    }
  devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0 || (out_fd = open_log(p.out_path, err)) < 0 || (err_fd = open_log(p.err_path, err)) < 0)
    {
      r = devnull < 0 ? sbx_error_errno(err, errno, SBX_E_INTERNAL, "open /dev/null") : -1;
      goto fail;
    }
  {
    int fds[3] = { devnull, out_fd, err_fd };
    r = sbx_launch_start(sb, req, fds, false, &p.l, err);
  }
  if (r < 0)
    goto fail;
  p.start_time = sbx_wall_seconds();
  pthread_mutex_lock(&sb->lock);
  if (sb->n_procs == sb->cap_procs)
    {
      size_t cap = sb->cap_procs ? sb->cap_procs * 2 : 16;
      grown = realloc(sb->procs, cap * sizeof *grown);
      if (grown == NULL)
        {
          pthread_mutex_unlock(&sb->lock);
          sbx_launch_finish(sb, &p.l, 0);
          r = sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "start process");
          goto fail;
        }
      sb->procs = grown;
      sb->cap_procs = cap;
    }
  sb->procs[sb->n_procs++] = p;
  r = fill_info(&p, out);
  pthread_mutex_unlock(&sb->lock);
  if (r < 0)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "start process");
  return 0;
fail:
  if (p.out_path != NULL)
    unlink(p.out_path);
  if (p.err_path != NULL)
    unlink(p.err_path);
  free(p.out_path);
  free(p.err_path);
  free(p.command);
  return r;
}

int sbx_process_list(struct sbx_sandbox *sb, enum sbx_context ctx, struct sbx_process_info **out, size_t *n,
                     struct sbx_error *err)
{
  struct sbx_process_info *list;
  size_t count = 0;

  pthread_mutex_lock(&sb->lock);
  sweep_locked(sb);
  list = calloc(sb->n_procs + 1, sizeof *list);
  if (list == NULL)
    {
      pthread_mutex_unlock(&sb->lock);
      return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "list processes");
    }
  for (size_t i = 0; i < sb->n_procs; i++)
    {
      if (sb->procs[i].l.context != ctx)
        continue;
      refresh(sb, &sb->procs[i]);
      if (fill_info(&sb->procs[i], &list[count++]) < 0)
        {
          pthread_mutex_unlock(&sb->lock);
          sbx_process_list_free(list, count);
          return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "list processes");
        }
    }
  pthread_mutex_unlock(&sb->lock);
  *out = list;
  *n = count;
  return 0;
}

static int not_found(struct sbx_error *err, enum sbx_context ctx, const char *id)
{
  return sbx_error_set(err, ESRCH, SBX_E_PROCESS_NOT_FOUND, "no %s process with id \"%.60s\"",
                       sbx_context_name(ctx), id);
}

int sbx_process_get(struct sbx_sandbox *sb, enum sbx_context ctx, const char *id, struct sbx_process_info *out,
                    struct sbx_error *err)
{
  struct sbx_proc *p;
  int r;

  pthread_mutex_lock(&sb->lock);
  p = find(sb, ctx, id);
  if (p == NULL)
    {
      pthread_mutex_unlock(&sb->lock);
      return not_found(err, ctx, id);
    }
  refresh(sb, p);
  r = fill_info(p, out);
  pthread_mutex_unlock(&sb->lock);
  return r < 0 ? sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "get process") : 0;
}

static int read_log(const char *path, size_t cap, char **out, size_t *len, struct sbx_error *err)
{
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  _cleanup_free_ char *buf = NULL;
  size_t got = 0;

  if (fd < 0)
    return sbx_error_errno(err, errno, SBX_E_INTERNAL, "open log");
  buf = malloc(cap + 1);
  if (buf == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "read log");
  while (got < cap)
    {
      ssize_t n = sbx_read_retry(fd, buf + got, cap - got);
      if (n < 0)
        return sbx_error_errno(err, errno, SBX_E_INTERNAL, "read log");
      if (n == 0)
        break;
      got += (size_t)n;
    }
  buf[got] = '\0';
  *out = steal_pointer(&buf);
  *len = got;
  return 0;
}

int sbx_process_logs(struct sbx_sandbox *sb, enum sbx_context ctx, const char *id, char **out, size_t *out_len,
                     char **errout, size_t *errout_len, struct sbx_error *err)
{
  _cleanup_free_ char *out_path = NULL, *err_path = NULL;
  struct sbx_proc *p;

  pthread_mutex_lock(&sb->lock);
  p = find(sb, ctx, id);
  if (p != NULL)
    {
      out_path = strdup(p->out_path);
      err_path = strdup(p->err_path);
    }
  pthread_mutex_unlock(&sb->lock);
  if (p == NULL)
    return not_found(err, ctx, id);
  if (out_path == NULL || err_path == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "logs");
  if (read_log(out_path, sb->output_cap, out, out_len, err) < 0)
    return -1;
  if (read_log(err_path, sb->output_cap, errout, errout_len, err) < 0)
    {
      free(*out);
      *out = NULL;
      return -1;
    }
  return 0;
}

int sbx_process_kill(struct sbx_sandbox *sb, enum sbx_context ctx, const char *id, int sig, struct sbx_error *err)
{
  struct sbx_proc *p;

  if (sig <= 0 || sig >= NSIG)
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "invalid signal %d", sig);
  pthread_mutex_lock(&sb->lock);
  p = find(sb, ctx, id);
  if (p == NULL)
    {
      pthread_mutex_unlock(&sb->lock);
      return not_found(err, ctx, id);
    }
  refresh(sb, p);
  if (!p->l.exited)
    {
      p->killed = true;
      sbx_launch_signal(sb, &p->l, sig);
      if (sig == SIGKILL)
        {
          sbx_launch_finish(sb, &p->l, KILL_GRACE_MS);
          p->end_time = sbx_wall_seconds();
        }
    }
  pthread_mutex_unlock(&sb->lock);
  return 0;
}

int sbx_process_end_fd(struct sbx_sandbox *sb, enum sbx_context ctx, const char *id, int *fd, struct sbx_error *err)
{
  struct sbx_proc *p;
  int r = 0;

  *fd = -1;
  pthread_mutex_lock(&sb->lock);
  p = find(sb, ctx, id);
  if (p == NULL)
    r = not_found(err, ctx, id);
  else
    {
      refresh(sb, p);
      /* A copy of the status pipe: its EXITED record (or EOF) is the end. */
      if (!p->l.exited && p->l.status_fd >= 0 && (*fd = fcntl(p->l.status_fd, F_DUPFD_CLOEXEC, 3)) < 0)
        r = sbx_error_errno(err, errno, SBX_E_INTERNAL, "wait for process");
    }
  pthread_mutex_unlock(&sb->lock);
  return r;
}

pid_t sbx_process_host_pid(struct sbx_sandbox *sb, enum sbx_context ctx, const char *id)
{
  struct sbx_proc *p;
  pid_t pid = 0;

  pthread_mutex_lock(&sb->lock);
  p = find(sb, ctx, id);
  if (p != NULL && !p->l.reaped)
    pid = p->l.host_pid;
  pthread_mutex_unlock(&sb->lock);
  return pid;
}

void sbx_process_table_destroy(struct sbx_sandbox *sb)
{
  for (size_t i = 0; i < sb->n_procs; i++)
    {
      struct sbx_proc *p = &sb->procs[i];
      /* A grace period: a fallback supervisor kills its tree before it goes. */
      sbx_launch_finish(sb, &p->l, KILL_GRACE_MS);
      free(p->command);
      free(p->out_path);
      free(p->err_path);
    }
  free(sb->procs);
  sb->procs = NULL;
  sb->n_procs = sb->cap_procs = 0;
}

void sbx_process_info_clear(struct sbx_process_info *info)
{
  free(info->command);
  memset(info, 0, sizeof *info);
}

void sbx_process_list_free(struct sbx_process_info *list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    sbx_process_info_clear(&list[i]);
  free(list);
}

static const char *const status_names[] = {
  [SBX_PROC_RUNNING] = "running", [SBX_PROC_COMPLETED] = "completed", [SBX_PROC_FAILED] = "failed",
  [SBX_PROC_KILLED] = "killed", [SBX_PROC_ERROR] = "error",
};

const char *sbx_process_status_name(enum sbx_process_status st)
{
  return (unsigned)st < sizeof status_names / sizeof status_names[0] ? status_names[st] : "unknown";
}
