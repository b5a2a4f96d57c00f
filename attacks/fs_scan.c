/* fs-scan: search the paths where secrets are usually left. */
#include <stdlib.h>

#include "probe.h"
#include "walk.h"

void probe_fs_scan(struct probe *p)
{
  const char *roots[] = { "/platform", "/tmp", "/var/tmp", "/dev/shm", probe_shared_dir, "/root", "/home", "/run",
                          getenv("HOME") };

  for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++)
    if (roots[i] != NULL)
      probe_walk(p, "read", roots[i], 4, 20000);
}
