/* proc-root: the victim's files through its /proc entry: root, cwd and fds. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "probe.h"
#include "walk.h"

void probe_proc_root(struct probe *p)
{
  static const char *const under_root[] = { "platform", "tmp", "root", "home", "dev/shm", "var/tmp", "run" };
  char path[128];

  probe_find_target_attempt(p);
  for (int i = 0; i < p->n_targets; i++)
    {
      int pid = (int)p->targets[i];
      for (size_t k = 0; k < sizeof under_root / sizeof under_root[0]; k++)
        {
          snprintf(path, sizeof path, "/proc/%d/root/%s", pid, under_root[k]);
          probe_walk(p, "proc-root", path, 3, 20000);
        }
      snprintf(path, sizeof path, "/proc/%d/cwd", pid);
      probe_walk(p, "proc-cwd", path, 2, 200);
      /* Its fds are magic links: open each, which follows it. */
      for (int fd = 0; fd < 64; fd++)
        {
          snprintf(path, sizeof path, "/proc/%d/fd/%d", pid, fd);
          if (faccessat(AT_FDCWD, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
            probe_scan_file(p, "proc-fd", path);
        }
    }
}
