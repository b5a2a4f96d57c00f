/* vm-readv: process_vm_readv over the victim's writable mappings. */
#include <errno.h>
#include <stdio.h>
#include <sys/uio.h>

#include "probe.h"

#define READ_LIMIT (8u * 1024 * 1024)

void probe_vm_readv(struct probe *p)
{
  static char buf[READ_LIMIT];

  probe_find_target_attempt(p);
  for (int i = 0; i < p->n_targets; i++)
    {
      struct mapping maps[64];
      int n = probe_mappings(p->targets[i], maps, 64);

      if (n < 0)
        probe_attempt(p, "maps", "victim", false, errno, NULL);
      for (int m = 0; m < n; m++)
        {
          size_t len = maps[m].end - maps[m].start;
          struct iovec local = { .iov_base = buf, .iov_len = len < READ_LIMIT ? len : READ_LIMIT };
          struct iovec remote = { .iov_base = (void *)maps[m].start, .iov_len = local.iov_len };
          ssize_t got = process_vm_readv(p->targets[i], &local, 1, &remote, 1, 0);
          if (got > 0)
            probe_scan(p, buf, (size_t)got);
          probe_attempt(p, "process_vm_readv", maps[m].name, got > 0, errno, "%zd bytes", got);
        }
    }
}
