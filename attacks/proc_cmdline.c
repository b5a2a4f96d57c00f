/* proc-cmdline: every /proc/PID/cmdline, where secrets passed as arguments show. */
#include <stdio.h>
#include <stdlib.h>

#include "probe.h"

void probe_proc_cmdline(struct probe *p)
{
  pid_t *pids = NULL;
  int n = probe_list_pids(&pids);

  for (int i = 0; i < n; i++)
    {
      char path[64];
      snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pids[i]);
      probe_scan_file(p, "read", path);
    }
  free(pids);
}
