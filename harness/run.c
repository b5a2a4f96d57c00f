#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "client/buffer.h"
#include "error.h"
#include "run.h"

#define OUTPUT_MAX (64u * 1024 * 1024)

double sbx_monotonic_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

char *sbx_which(const char *program)
{
  const char *path = getenv("PATH");
  _cleanup_free_ char *copy = NULL;

  if (strchr(program, '/') != NULL)
    return access(program, X_OK) == 0 ? strdup(program) : NULL;
  copy = strdup(path != NULL ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
  for (char *save = NULL, *dir = copy != NULL ? strtok_r(copy, ":", &save) : NULL; dir != NULL;
       dir = strtok_r(NULL, ":", &save))
    {
      char *full = NULL;
      if (asprintf(&full, "%s/%s", dir, program) < 0)
        return NULL;
      if (access(full, X_OK) == 0)
        return full;
      free(full);
    }
  return NULL;
}

/* The leader's pid is its session's and process group's id. Called only
 * while the leader is unreaped, so the id cannot name anyone else. */
static void kill_session(pid_t pid, int sig)
{
  kill(-pid, sig);
}

/* Waits for the leader to exit without reaping it (timeout_ms < 0: forever).
 * true when it has exited. */
static bool exited(pid_t pid, long timeout_ms)
{
  double until = sbx_monotonic_ms() + (double)timeout_ms;

  for (;;)
    {
      siginfo_t info = { 0 };
      int r = waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT | (timeout_ms < 0 ? 0 : WNOHANG));
      if (r == 0 && info.si_pid == pid)
        return true;
      if (r < 0 && errno != EINTR)
        return true; /* not our child (any more) */
      if (timeout_ms >= 0 && sbx_monotonic_ms() >= until)
        return false;
      if (timeout_ms >= 0)
        usleep(5000);
    }
}

static int spawn(char *const argv[], char *const envp[], int in, int out, int err_fd, pid_t *pid)
{
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t none;
  int r;

  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  sigemptyset(&none);
  posix_spawn_file_actions_adddup2(&fa, in, 0);
  posix_spawn_file_actions_adddup2(&fa, out, 1);
  posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
  /* A session of its own (a timeout kills all of it), default signals, no mask. */
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setsigmask(&attr, &none);
  {
    sigset_t all;
    sigfillset(&all);
    posix_spawnattr_setsigdefault(&attr, &all);
  }
  r = posix_spawn(pid, argv[0], &fa, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  return r;
}

struct capture
{
  int fd;
  struct sbx_buffer buf;
};

static int drain(struct capture *c)
{
  char chunk[65536];
  ssize_t n = sbx_read_retry(c->fd, chunk, sizeof chunk);

  if (n <= 0)
    return 0;
  /* Past OUTPUT_MAX, or without memory, the chunk is dropped: the command still runs to its end. */
  (void)sbx_buffer_append(&c->buf, chunk, (size_t)n, OUTPUT_MAX - 1);
  return 1;
}

/* The captured output into res; "" when there was none. */
static int take_output(struct capture *c, char **out, size_t *len)
{
  *out = c->buf.data != NULL ? steal_pointer(&c->buf.data) : strdup("");
  *len = c->buf.len;
  return *out != NULL ? 0 : -1;
}

int sbx_run(char *const argv[], char *const envp[], long long timeout_ms, struct sbx_bresult *res,
            struct sbx_error *err)
{
  int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, null, status = 0, r;
  struct capture cap[2] = { { .fd = -1 }, { .fd = -1 } };
  double start = sbx_monotonic_ms(), deadline = timeout_ms > 0 ? start + (double)timeout_ms : 0;
  bool live[2] = { true, true };
  pid_t pid;

  memset(res, 0, sizeof *res);
  null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null < 0 || pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0)
    {
      int e = errno;
      for (int *fd = (int[]){ null, outp[0], outp[1], errp[0], errp[1] }, i = 0; i < 5; i++)
        if (fd[i] >= 0)
          close(fd[i]);
      return sbx_error_errno(err, e, SBX_E_INTERNAL, "run %s", argv[0]);
    }
  r = spawn(argv, envp, null, outp[1], errp[1], &pid);
  close(null);
  close(outp[1]);
  close(errp[1]);
  if (r != 0)
    {
      close(outp[0]);
      close(errp[0]);
      return sbx_error_errno(err, r, r == ENOENT ? SBX_E_FILE_NOT_FOUND : SBX_E_INTERNAL, "run %s", argv[0]);
    }
  cap[0].fd = outp[0];
  cap[1].fd = errp[0];
  while (live[0] || live[1])
    {
      struct pollfd pfds[2] = { { .fd = live[0] ? outp[0] : -1, .events = POLLIN },
                                { .fd = live[1] ? errp[0] : -1, .events = POLLIN } };
      int wait_ms = -1;

      if (deadline > 0)
        {
          double left = deadline - sbx_monotonic_ms();
          if (left <= 0)
            {
              res->timed_out = true;
              kill_session(pid, SIGKILL);
              break;
            }
          wait_ms = (int)left + 1;
        }
      if (poll(pfds, 2, wait_ms) < 0 && errno != EINTR)
        break;
      for (int i = 0; i < 2; i++)
        if (live[i] && (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)) && drain(&cap[i]) == 0)
          live[i] = false;
    }
  close(outp[0]);
  close(errp[0]);
  /* The deadline holds after the output closes too: a command may close it and go on. */
  if (deadline > 0)
    {
      double left = deadline - sbx_monotonic_ms();
      if (!exited(pid, left > 0 ? (long)left : 0))
        res->timed_out = true;
    }
  else
    exited(pid, -1);
  /* Nothing of it outlives the call: the command's session goes with it. */
  kill_session(pid, SIGKILL);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  res->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  res->ms = sbx_monotonic_ms() - start;
  if (take_output(&cap[0], &res->out, &res->out_len) < 0 || take_output(&cap[1], &res->err, &res->err_len) < 0)
    {
      free(cap[0].buf.data);
      free(cap[1].buf.data);
      sbx_bresult_free(res);
      return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "run %s", argv[0]);
    }
  return 0;
}

int sbx_run_background(char *const argv[], char *const envp[], const char *log_path, pid_t *pid,
                       struct sbx_error *err)
{
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int log = open(log_path != NULL ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  int r;

  if (null < 0 || log < 0)
    {
      int e = errno;
      if (null >= 0)
        close(null);
      if (log >= 0)
        close(log);
      return sbx_error_errno(err, e, SBX_E_INTERNAL, "start %s", argv[0]);
    }
  r = spawn(argv, envp, null, log, log, pid);
  close(null);
  close(log);
  if (r != 0)
    return sbx_error_errno(err, r, r == ENOENT ? SBX_E_FILE_NOT_FOUND : SBX_E_INTERNAL, "start %s", argv[0]);
  return 0;
}

void sbx_run_stop(pid_t pid, long grace_ms)
{
  int status;

  if (pid <= 0)
    return;
  kill_session(pid, SIGTERM);
  exited(pid, grace_ms);
  /* Whatever is left of the session, the leader too if it ignored SIGTERM. */
  kill_session(pid, SIGKILL);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
}
