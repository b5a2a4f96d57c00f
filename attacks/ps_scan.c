/* ps-scan: is the victim visible? readdir /proc, then a kill(pid, 0) and
 * getpgid oracle over the pid range, which /proc mount options cannot hide.
 *
 * The range: a fresh pid namespace has pid_max 4194304 on recent kernels, and
 * 8 million syscalls take a minute on a loaded host. Pids are handed out in
 * order, so none is above the namespace's last one (ns_last_pid) until they
 * wrap: the oracle goes 65536 past the highest pid known, and over the whole
 * range when a listed pid is above the last one (they wrapped) or the last
 * one is unknown. */
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

static int last_pid(void)
{
  size_t len = 0;
  char *s = probe_read_file("/proc/sys/kernel/ns_last_pid", 32, &len);
  int v = s != NULL ? atoi(s) : 0;

  free(s);
  return v;
}

void probe_ps_scan(struct probe *p)
{
  pid_t *pids = NULL;
  int n = probe_list_pids(&pids), max = pid_max(), last = last_pid(), top = last, alive = 0, hidden = 0;
  bool wrapped = last <= 0;

  probe_attempt(p, "readdir", "/proc", n > 0, errno, "%d pids", n);
  for (int i = 0; i < n; i++)
    wrapped = wrapped || pids[i] > last;
  if (top < (int)getpid())
    top = (int)getpid();
  if (!wrapped && top + 65536 < max)
    max = top + 65536;
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
  probe_attempt(p, "kill-oracle", wrapped ? "1..pid_max" : "1..ns_last_pid+65536", true, 0,
                "%d alive of %d, %d not in /proc (last pid %d)", alive, max, hidden, last);
  probe_observe(p, "pids_listed", "%d", n);
  probe_observe(p, "pids_alive", "%d", alive);
  probe_observe(p, "pids_hidden_from_proc", "%d", hidden);
  /* The verdict: a process carrying the marker is visible to user code. */
  probe_observe(p, "marker_visible", "%s", p->n_targets > 0 ? "true" : "false");
  for (int i = 0; i < p->n_targets; i++)
    probe_attempt(p, "marker", "victim", true, 0, "pid %d", (int)p->targets[i]);
  free(pids);
}
