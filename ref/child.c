/* Primitives for the executor's forked children: clone as a fork, reaping,
 * closing inherited fds, the parent-death signal. */
#include <errno.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "error.h"
#include "sandbox.h"

pid_t sbx_clone_raw(unsigned long flags)
{
  /* The raw syscall with a NULL stack behaves like fork(); glibc's clone()
   * wrapper insists on a new stack. Only called from single-threaded children. */
  return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

void sbx_reap(pid_t pid)
{
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

void sbx_kill_reap(pid_t pid)
{
  kill(pid, SIGKILL);
  sbx_reap(pid);
}

int sbx_close_fds_except(const int *keep, size_t n)
{
  int sorted[16];
  unsigned int from = 0;

  if (n > 16)
    return -1;
  /* An insertion sort: qsort may allocate, and this runs after vfork. */
  for (size_t i = 0; i < n; i++)
    {
      size_t j = i;
      for (; j > 0 && sorted[j - 1] > keep[i]; j--)
        sorted[j] = sorted[j - 1];
      sorted[j] = keep[i];
    }
  for (size_t i = 0; i < n; i++)
    {
      if (sorted[i] < 0 || (unsigned int)sorted[i] < from)
        continue;
      if ((unsigned int)sorted[i] > from && syscall(SYS_close_range, from, (unsigned int)sorted[i] - 1, 0) != 0)
        return -1;
      from = (unsigned int)sorted[i] + 1;
    }
  return (int)syscall(SYS_close_range, from, ~0U, 0);
}

int sbx_die_with_parent(const struct sbx_sandbox *sb, int sig, struct sbx_error *err)
{
  if (!sb->die_with_parent)
    return 0;
  if (prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "prctl(PR_SET_PDEATHSIG)");
  /* The executor may have died before the prctl, and then nobody will signal
   * us. getppid() cannot tell from inside a new PID namespace, but the
   * lifeline can: its write end is open while the executor lives. Callers
   * have closed their own copy of it. */
  struct pollfd pfd = { .fd = sb->lifeline[0], .events = POLLIN };
  if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP))
    return sbx_error_set(err, ESRCH, SBX_E_SANDBOX, "the executor exited during setup");
  return 0;
}
