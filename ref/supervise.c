/* The supervisor: parent of every command in every context. It forwards
 * signals to the command's whole tree, and when the command exits it kills
 * whatever the command left behind, so an exec leaves no process after it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "io.h"
#include "proc_stat.h"
#include "proto.h"
#include "status.h"
#include "supervise.h"

static void signal_tree(const struct sbx_supervise_spec *spec, pid_t child, int sig)
{
  if (spec->ns_init)
    {
      /* From a namespace's init, -1 means every other process in it. */
      kill(-1, sig);
      return;
    }
  kill(-child, sig);
  sbx_signal_descendants(sig);
}

static void kill_leftovers(const struct sbx_supervise_spec *spec)
{
  struct timespec pause = { 0, 2 * 1000 * 1000 };

  for (;;)
    {
      int status;
      pid_t r;

      if (spec->ns_init)
        kill(-1, SIGKILL);
      else
        sbx_signal_descendants(SIGKILL);
      while ((r = waitpid(-1, &status, WNOHANG)) > 0)
        ;
      if (r < 0 && errno == ECHILD)
        return;
      /* Children remain: a process forked between scan and kill. Rescan. */
      nanosleep(&pause, NULL);
    }
}

/* The signals this process ignores, looked up once. An ignored signal stays
 * ignored across exec (a handler does not), so these are what a command must
 * get back to default. Asking in every child cost 64 sigaction calls per
 * spawn, each through the sandbox's seccomp filter; nothing here sets SIG_IGN
 * after its start, so the answer does not change. */
static const sigset_t *ignored_signals(void)
{
  static sigset_t ignored;
  static bool known;

  if (!known)
    {
      sigemptyset(&ignored);
      for (int sig = 1; sig < NSIG; sig++)
        {
          struct sigaction sa;
          if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
            sigaddset(&ignored, sig);
        }
      known = true;
    }
  return &ignored;
}

/* Starts the command with posix_spawn: glibc's clone(CLONE_VM|CLONE_VFORK)
 * copies no page tables, where fork's copy was the largest cost of an exec
 * (docs/PERFORMANCE.md). The child gets its own process group, default
 * dispositions and no blocked signal (not the supervisor's, nor what its
 * launcher had: a daemon blocks SIGTERM, SIGINT and SIGPIPE for sigwait, and a
 * command that inherited that could not be stopped, nor see a closed pipe),
 * the command's stdio, nothing else open, and its cwd. 0, or an errno. */
static int spawn_command(const struct sbx_supervise_spec *spec, bool new_session, pid_t *child)
{
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t none;
  int r;

  sigemptyset(&none);
  if ((r = posix_spawn_file_actions_init(&fa)) != 0)
    return r;
  if ((r = posix_spawnattr_init(&attr)) != 0)
    {
      posix_spawn_file_actions_destroy(&fa);
      return r;
    }
  r = posix_spawn_file_actions_adddup2(&fa, spec->stdin_fd, 0);
  if (r == 0)
    r = posix_spawn_file_actions_adddup2(&fa, spec->stdout_fd, 1);
  if (r == 0)
    r = posix_spawn_file_actions_adddup2(&fa, spec->stderr_fd, 2);
  /* Only 0-2 survive the exec. Marked here, in the supervisor (which never
   * execs itself), rather than by a closefrom file action: musl, which the
   * init may be linked with, has none. */
  if (r == 0 && syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
    r = errno;
  if (r == 0 && spec->cwd != NULL)
    r = posix_spawn_file_actions_addchdir_np(&fa, spec->cwd);
  if (r == 0)
    r = posix_spawnattr_setflags(&attr, (new_session ? POSIX_SPAWN_SETSID : POSIX_SPAWN_SETPGROUP)
                                            | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  if (r == 0)
    r = posix_spawnattr_setpgroup(&attr, 0);
  if (r == 0)
    r = posix_spawnattr_setsigmask(&attr, &none);
  if (r == 0)
    r = posix_spawnattr_setsigdefault(&attr, ignored_signals());
  if (r == 0)
    r = posix_spawn(child, spec->argv[0], &fa, &attr, spec->argv, spec->envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  return r;
}

int sbx_supervise_start(const struct sbx_supervise_spec *spec, bool new_session, pid_t *child)
{
  int r = spawn_command(spec, new_session, child);

  if (r != 0)
    {
      struct sbx_error err = { 0 };
      /* posix_spawn reports the child's failure: a missing cwd most often. */
      if (spec->cwd != NULL && (r == ENOENT || r == ENOTDIR || r == EACCES))
        sbx_error_errno(&err, r, r == ENOENT ? SBX_E_FILE_NOT_FOUND : SBX_E_VALIDATION, "cwd %s", spec->cwd);
      /* The caller's input, not our fault: the command and env past ARG_MAX. */
      else if (r == E2BIG)
        sbx_error_errno(&err, r, SBX_E_VALIDATION, "the command and its env are too large for exec");
      else
        sbx_error_errno(&err, r, SBX_E_INTERNAL, "start %s", spec->argv[0]);
      sbx_status_fail(spec->status_fd, &err);
      return -1;
    }
  /* The supervisor keeps no end of the command's stdio: EOF must mean the tree is gone. */
  close(spec->stdin_fd);
  close(spec->stdout_fd);
  close(spec->stderr_fd);
  sbx_status_write(spec->status_fd, SBX_ST_STARTED, (int)*child, 0, NULL);
  return 0;
}

int sbx_supervise(const struct sbx_supervise_spec *spec)
{
  sigset_t all, old;
  pid_t child;
  int child_status = 0, sigfd, lifeline;
  bool child_done = false;

  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  if (!spec->ns_init && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
    {
      struct sbx_error err = { 0 };
      sbx_error_errno(&err, errno, SBX_E_INTERNAL, "prctl(PR_SET_CHILD_SUBREAPER)");
      sbx_status_fail(spec->status_fd, &err);
      return 1;
    }
  if (sbx_supervise_start(spec, false, &child) < 0)
    return 1;

  sigfd = signalfd(-1, &all, SFD_CLOEXEC);
  lifeline = spec->lifeline_fd;
  while (!child_done)
    {
      struct pollfd pfds[2] = { { .fd = sigfd, .events = POLLIN }, { .fd = lifeline, .events = POLLIN } };
      struct signalfd_siginfo si;
      int sig;

      if (sigfd < 0)
        {
          /* No signalfd: the command runs on, unsupervised, until it ends. */
          if (waitpid(child, &child_status, 0) == child)
            child_done = true;
          continue;
        }
      if (poll(pfds, 2, -1) < 0)
        continue;
      /* Any event: the executor is gone (a hang-up), or the pipe is not what
       * it should be. Either way nobody will collect this tree, and an event
       * left pending would spin the loop. */
      if (pfds[1].revents != 0)
        {
          signal_tree(spec, child, SIGKILL);
          lifeline = -1;
        }
      if (!(pfds[0].revents & POLLIN) || sbx_read_retry(sigfd, &si, sizeof si) != (ssize_t)sizeof si)
        continue;
      sig = (int)si.ssi_signo;
      if (sig == SIGCHLD)
        {
          int status;
          pid_t r;
          while ((r = waitpid(-1, &status, WNOHANG)) > 0)
            if (r == child)
              {
                child_status = status;
                child_done = true;
              }
          continue;
        }
      /* SIGUSR1 queued with a value is a request to send that signal to the tree. */
      if (sig == SIGUSR1 && si.ssi_code == SI_QUEUE)
        sig = si.ssi_int;
      else if (sig == SBX_SIG_PARENT_DIED)
        sig = SIGKILL; /* the executor is gone: nobody will collect this tree */
      if (sig > 0 && sig < NSIG)
        signal_tree(spec, child, sig);
    }
  kill_leftovers(spec);
  sbx_status_write(spec->status_fd, SBX_ST_EXITED, child_status, 0, NULL);
  return 0;
}
