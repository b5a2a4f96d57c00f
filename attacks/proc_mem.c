/* proc-mem: read /proc/PID/mem over the victim's writable mappings. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "probe.h"

#define READ_LIMIT (8u * 1024 * 1024)

void probe_proc_mem(struct probe *p)
{
  char path[64];
  static char buf[READ_LIMIT];

  probe_find_target_attempt(p);
  for (int i = 0; i < p->n_targets; i++)
    {
      struct mapping maps[64];
      int n = probe_mappings(p->targets[i], maps, 64), fd;

      snprintf(path, sizeof path, "/proc/%d/mem", (int)p->targets[i]);
      fd = open(path, O_RDONLY | O_CLOEXEC);
      if (fd < 0 || n < 0)
        {
          probe_attempt(p, "open", path, false, errno, NULL);
          if (fd >= 0)
            close(fd);
          continue;
        }
      for (int m = 0; m < n; m++)
        {
          size_t len = maps[m].end - maps[m].start;
          ssize_t got = pread(fd, buf, len < READ_LIMIT ? len : READ_LIMIT, (off_t)maps[m].start);
          if (got > 0)
            probe_scan(p, buf, (size_t)got);
          probe_attempt(p, "pread", maps[m].name, got > 0, errno, "%zd bytes", got);
        }
      close(fd);
    }
}
