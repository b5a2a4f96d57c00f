/* proc-environ: every /proc/PID/environ we can read. */
#include <stdio.h>
#include <stdlib.h>

#include "probe.h"

void probe_proc_environ(struct probe *p)
{
  pid_t *pids = NULL;
  int n = probe_list_pids(&pids), readable = 0;

  for (int i = 0; i < n; i++)
    {
      char path[64];
      snprintf(path, sizeof path, "/proc/%d/environ", (int)pids[i]);
      readable += probe_scan_file(p, "read", path);
    }
  probe_observe(p, "readable", "%d of %d", readable, n);
  free(pids);
}
