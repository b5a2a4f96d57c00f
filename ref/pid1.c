/* A platform exec's command as PID 1 of its fresh namespaces, with no init
 * above it: an exec costs most of a bare command on a virtual machine
 * (docs/PERFORMANCE.md, item 17). Called by the executor's vfork-style child
 * and by a spare platform init told to become its command. */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pid1.h"

void sbx_exec_as_pid1(const char *command, const char *cwd, char *const *envp, const int stdio[3], int lifeline_fd,
                      struct sbx_error *err)
{
  char *argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)command, NULL };
  struct pollfd lifeline = { .fd = lifeline_fd, .events = POLLIN };
  struct sigaction dfl = { .sa_handler = SIG_DFL };
  sigset_t none;
  int parked[3];

  /* Parked above 2 first, so that no dup2 clobbers a source. */
  for (int i = 0; i < 3; i++)
    if ((parked[i] = fcntl(stdio[i], F_DUPFD_CLOEXEC, 3)) < 0)
      {
        sbx_error_child(err, errno, SBX_E_SANDBOX, "stdio");
        return;
      }
  for (int i = 0; i < 3; i++)
    if (dup2(parked[i], i) < 0)
      {
        sbx_error_child(err, errno, SBX_E_SANDBOX, "stdio");
        return;
      }
  /* Its own session: a process group the executor may signal whole. */
  if (setsid() < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
    {
      sbx_error_child(err, errno, SBX_E_SANDBOX, "setsid");
      return;
    }
  /* Gone before the prctl: nobody will signal us. */
  if (poll(&lifeline, 1, 0) == 1 && (lifeline.revents & POLLHUP))
    {
      sbx_error_set(err, ESRCH, SBX_E_SANDBOX, "the executor exited during setup");
      return;
    }
  if (chdir(cwd) != 0)
    {
      sbx_error_child(err, errno, errno == ENOENT ? SBX_E_FILE_NOT_FOUND : SBX_E_VALIDATION, "cwd %s", cwd);
      return;
    }
  /* Only 0-2 survive the exec; the status pipe stays until then, for a failure. */
  if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
    {
      sbx_error_child(err, errno, SBX_E_SANDBOX, "close_range");
      return;
    }
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      sigaction(sig, &dfl, NULL);
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execve(argv[0], argv, envp);
  sbx_error_child(err, errno, SBX_E_INTERNAL, "start %s", argv[0]);
}
