/* signal: can user code stop the victim? An integrity check: the harness
 * reads observed.stopped. The victim is continued at once. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

static char state_of(pid_t pid)
{
  char path[64], *s, *paren, state = '?';
  size_t len = 0;

  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  s = probe_read_file(path, 1024, &len);
  if (s != NULL && (paren = strrchr(s, ')')) != NULL && paren[1] == ' ')
    state = paren[2];
  free(s);
  return state;
}

void probe_signal(struct probe *p)
{
  bool stopped = false;

  probe_find_target_attempt(p);
  for (int i = 0; i < p->n_targets; i++)
    {
      pid_t pid = p->targets[i];
      char target[32], st = '?';
      int ok = kill(pid, SIGSTOP) == 0;

      snprintf(target, sizeof target, "pid %d", (int)pid);
      probe_attempt(p, "kill(SIGSTOP)", target, ok, errno, NULL);
      for (int tries = 0; ok && tries < 50 && (st = state_of(pid)) != 'T'; tries++)
        usleep(2000);
      stopped |= st == 'T';
      probe_attempt(p, "SIGCONT", target, kill(pid, SIGCONT) == 0, errno, "state was %c", st);
    }
  probe_observe(p, "stopped", "%s", stopped ? "true" : "false");
}
