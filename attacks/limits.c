/* limits: whether user code can make processes without bound, tried
 * harmlessly. Children of its own, each blocked on a pipe, up to one more
 * than the reference's default limit (1024 processes and threads, user code's
 * own shell and probe included); then the pipe closes and every child exits
 * and is reaped. A fork that fails with EAGAIN before the target is the
 * limit: blocked. All made: observed.dangerous says so. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"

#define LIMITS_TARGET 1100 /* above the default 1024, far below any pid_max */

void probe_limits(struct probe *p)
{
  int gate[2], made = 0, fork_errno = 0;
  pid_t *kids = calloc(LIMITS_TARGET, sizeof *kids);

  if (kids == NULL || pipe2(gate, O_CLOEXEC) != 0)
    {
      probe_attempt(p, "fork", "children of its own", false, errno, "cannot set up");
      free(kids);
      return;
    }
  while (made < LIMITS_TARGET)
    {
      pid_t pid = fork();
      if (pid < 0)
        {
          fork_errno = errno;
          break;
        }
      if (pid == 0)
        {
          char c;
          close(gate[1]);
          /* Until the parent closes its end, or dies: no child outlives the probe. */
          (void)!read(gate[0], &c, 1);
          _exit(0);
        }
      kids[made++] = pid;
    }
  close(gate[0]);
  close(gate[1]);
  for (int i = 0; i < made; i++)
    while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR)
      ;
  free(kids);
  probe_attempt(p, "fork", "children of its own, held at once", made == LIMITS_TARGET, fork_errno,
                "%d of %d made%s%s", made, LIMITS_TARGET, fork_errno ? ", then: " : "",
                fork_errno ? strerror(fork_errno) : "");
  probe_observe(p, "processes_made", "%d", made);
  if (made == LIMITS_TARGET)
    probe_observe(p, "dangerous", "no process limit: %d processes held at once", made);
}
