/* The user context's commands, supervised by splitbox-init itself. A
 * supervisor process per command cost a fork, and a fork here cost more than
 * the command's own spawn (docs/PERFORMANCE.md).
 *
 * Each command leads a session of its own: the session id names its tree.
 * When a command exits, everything of its session is killed before its exit
 * is reported, and so is every stray: an orphan we adopted (we are PID 1)
 * from a session that has ended, i.e. a process that left its command's
 * session on purpose and outlived its parent. A stray is only known to be a
 * leftover when no command that could have started it still runs: one that
 * started before it did. Until then it is left alone (a running command's
 * daemon), and the next command to end looks again. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "init_commands.h"
#include "clock.h"
#include "error.h"
#include "executor.h"
#include "proc_stat.h"
#include "proto.h"
#include "status.h"
#include "supervise.h"

#define MAX_COMMANDS 4096
/* While leftovers are being ended: how often to look, and for how long at most. */
#define SWEEP_INTERVAL_MS 1
#define LEFTOVER_DEADLINE_MS 2000

struct command
{
  uint64_t id;
  pid_t pid; /* the command's, and its session's id */
  int status_fd;
  unsigned long long start; /* /proc/PID/stat starttime */
};

/* A command that exited: its exit is reported once its leftovers are gone. */
struct ending
{
  pid_t sid;
  int wait_status, status_fd;
  unsigned long long start; /* the command's */
  double deadline;
  bool session_empty; /* seen so: its id is free for reuse, and matches nothing more */
};

static struct command commands[MAX_COMMANDS];
static size_t n_commands;
static struct ending endings[MAX_COMMANDS];
static size_t n_endings;
static double next_sweep;

static struct command *find_command(pid_t pid)
{
  for (size_t i = 0; i < n_commands; i++)
    if (commands[i].pid == pid)
      return &commands[i];
  return NULL;
}

void sbx_cmd_start(uint64_t id, const char *cwd, const char *command, char *const *envp, int fds[4])
{
  char *argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)command, NULL };
  struct sbx_supervise_spec spec = {
    .argv = argv, .envp = envp, .cwd = cwd[0] != '\0' ? cwd : SBX_USER_HOME,
    .stdin_fd = fds[0], .stdout_fd = fds[1], .stderr_fd = fds[2], .status_fd = fds[3], .lifeline_fd = -1,
  };
  struct sbx_proc_stat st = { 0 };
  pid_t pid;

  if (n_commands + n_endings >= MAX_COMMANDS)
    {
      struct sbx_error err = { 0 };
      sbx_error_set(&err, EAGAIN, SBX_E_SANDBOX, "user context: %d commands run already", MAX_COMMANDS);
      sbx_status_fail(fds[3], &err);
      return;
    }
  if (sbx_supervise_start(&spec, true, &pid) < 0)
    return;
  fds[0] = fds[1] = fds[2] = fds[3] = -1;
  /* Unreaped, so readable; should it fail, 0 makes every stray look younger. */
  sbx_proc_stat_read(pid, &st);
  commands[n_commands++] = (struct command){ .id = id, .pid = pid, .status_fd = spec.status_fd, .start = st.start };
}

/* Signals every process of session SID (alive or not: a thread group whose
 * leader exited shows as a zombie and runs on). */
static void signal_session(pid_t sid, int sig)
{
  struct sbx_proc_pids it;
  pid_t pid;

  if (!sbx_proc_pids_open(&it))
    return;
  while ((pid = sbx_proc_pids_next(&it)) > 0)
    {
      struct sbx_proc_stat st;
      if (pid > 1 && sbx_proc_stat_read(pid, &st) && st.session == sid)
        kill(pid, sig);
    }
  sbx_proc_pids_close(&it);
}

void sbx_cmd_signal(uint64_t id, int sig)
{
  if (sig <= 0 || sig >= NSIG)
    return;
  for (size_t i = 0; i < n_commands; i++)
    if (commands[i].id == id)
      {
        /* The process group, and whoever left it but not the session. */
        kill(-commands[i].pid, sig);
        signal_session(commands[i].pid, sig);
      }
}

static struct ending *find_ending(pid_t sid)
{
  for (size_t i = 0; i < n_endings; i++)
    if (endings[i].sid == sid && !endings[i].session_empty)
      return &endings[i];
  return NULL;
}

/* One look at every process: kills what belongs to an ended command, and
 * reports the commands whose leftovers are all gone (or past the deadline).
 * A stray holds up the endings of the commands that could have started it:
 * those that started before it did. */
static void sweep(void)
{
  static size_t alive[MAX_COMMANDS], members[MAX_COMMANDS];
  unsigned long long oldest_running = ~0ULL;
  struct sbx_proc_pids it;
  pid_t pid;
  double now = sbx_now_ms();

  memset(alive, 0, n_endings * sizeof alive[0]);
  memset(members, 0, n_endings * sizeof members[0]);
  for (size_t i = 0; i < n_commands; i++)
    if (commands[i].start < oldest_running)
      oldest_running = commands[i].start;
  /* /proc unreadable: no pid, and every ending is reported as if its session were empty. */
  sbx_proc_pids_open(&it);
  while ((pid = sbx_proc_pids_next(&it)) > 0)
    {
      struct sbx_proc_stat st;
      struct ending *e;
      bool stray;

      /* A running command is never a leftover, whatever its ids say. */
      if (pid <= 1 || find_command(pid) != NULL || !sbx_proc_stat_read(pid, &st))
        continue;
      e = find_ending(st.session);
      stray = e == NULL && st.ppid == 1 && find_command(st.session) == NULL && st.start < oldest_running;
      if (e == NULL && !stray)
        continue;
      /* Whatever the state: a zombie leader may have live threads. */
      kill(pid, SIGKILL);
      if (st.state == 'Z' && st.ppid == 1 && waitpid(pid, NULL, WNOHANG) == pid)
        continue;
      if (e != NULL)
        {
          alive[e - endings]++;
          members[e - endings]++;
        }
      else
        for (size_t i = 0; i < n_endings; i++)
          if (endings[i].start <= st.start)
            alive[i]++;
    }
  sbx_proc_pids_close(&it);
  for (size_t i = 0; i < n_endings; i++)
    endings[i].session_empty |= members[i] == 0;
  for (size_t i = n_endings; i-- > 0;)
    if (alive[i] == 0 || now >= endings[i].deadline)
      {
        sbx_status_write(endings[i].status_fd, SBX_ST_EXITED, endings[i].wait_status, 0, NULL);
        close(endings[i].status_fd);
        endings[i] = endings[--n_endings];
      }
}

void sbx_cmd_reap(void)
{
  pid_t pid;
  int status;
  double now = sbx_now_ms();

  while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
    {
      struct command *c = find_command(pid);
      if (c == NULL)
        continue; /* an orphan of ours */
      endings[n_endings++] = (struct ending){ .sid = pid, .wait_status = status, .status_fd = c->status_fd,
                                              .start = c->start, .deadline = now + LEFTOVER_DEADLINE_MS };
      *c = commands[--n_commands];
      next_sweep = now; /* its caller waits: look at once */
    }
  /* At most one look per interval, however often we are woken. */
  if (n_endings > 0 && now >= next_sweep)
    {
      sweep();
      next_sweep = now + SWEEP_INTERVAL_MS;
    }
}

int sbx_cmd_poll_timeout(void)
{
  double left = next_sweep - sbx_now_ms();

  if (n_endings == 0)
    return -1;
  return left <= 0 ? 0 : (int)left + 1;
}
