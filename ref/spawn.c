/* Process-creation primitives for the executor's forked children. */
#include <errno.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

pid_t sbx_clone_raw(unsigned long flags)
{
  /* The raw syscall with a NULL stack behaves like fork(); glibc's clone()
   * wrapper insists on a new stack. Only called from single-threaded children. */
  return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

int sbx_join_new_session_keyring(void)
{
  /* KEYCTL_JOIN_SESSION_KEYRING with a NULL name: an anonymous keyring, so
   * nothing reachable through the inherited session keyring is shared. */
  return (int)syscall(SYS_keyctl, 1, NULL, 0, 0, 0);
}

static int cmp_int(const void *a, const void *b)
{
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

int sbx_close_fds_except(const int *keep, size_t n)
{
  int sorted[16];
  unsigned int from = 0;

  if (n > 16)
    return -1;
  for (size_t i = 0; i < n; i++)
    sorted[i] = keep[i];
  qsort(sorted, n, sizeof(int), cmp_int);
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
