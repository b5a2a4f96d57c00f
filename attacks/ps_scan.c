/* ps-scan: is the victim visible? readdir /proc, then a kill(pid, 0) and
 * getpgid oracle over the whole pid range, which /proc mount options cannot hide. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

static int pid_max(void)
{
  size_t len = 0;
  char *s = probe_read_file("/proc/sys/kernel/pid_max", 32, &len);
  int v = s != NULL ? atoi(s) : 0;

  free(s);
  return v > 0 ? v : 4194304;
}

void probe_ps_scan(struct probe *p)
{
  pid_t *pids = NULL;
  int n = probe_list_pids(&pids), max = pid_max(), alive = 0, hidden = 0;

  probe_attempt(p, "readdir", "/proc", n > 0, errno, "%d pids", n);
  for (int pid = 1; pid < max; pid++)
    {
      bool exists;
      errno = 0;
      exists = kill(pid, 0) == 0 || errno == EPERM || getpgid(pid) >= 0;
      if (!exists)
        continue;
      alive++;
      bool listed = false;
      for (int i = 0; i < n && !listed; i++)
        listed = pids[i] == pid;
      hidden += !listed;
    }
  probe_attempt(p, "kill-oracle", "1..pid_max", true, 0, "%d alive of %d, %d not in /proc", alive, max, hidden);
  probe_observe(p, "pids_listed", "%d", n);
  probe_observe(p, "pids_alive", "%d", alive);
  probe_observe(p, "pids_hidden_from_proc", "%d", hidden);
  /* The verdict: a process carrying the marker is visible to user code. */
  probe_observe(p, "marker_visible", "%s", p->n_targets > 0 ? "true" : "false");
  for (int i = 0; i < p->n_targets; i++)
    probe_attempt(p, "marker", "victim", true, 0, "pid %d", (int)p->targets[i]);
  free(pids);
}
