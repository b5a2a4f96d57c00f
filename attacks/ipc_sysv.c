/* ipc-sysv: every SysV shared-memory segment we can find and attach. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "probe.h"

static void read_segment(struct probe *p, int id, const char *how)
{
  struct shmid_ds ds;
  char target[32];
  void *mem;

  snprintf(target, sizeof target, "shmid %d", id);
  if (shmctl(id, IPC_STAT, &ds) != 0)
    {
      probe_attempt(p, "IPC_STAT", target, false, errno, "%s", how);
      return;
    }
  mem = shmat(id, NULL, SHM_RDONLY);
  if (mem == (void *)-1)
    {
      probe_attempt(p, "shmat", target, false, errno, "%s", how);
      return;
    }
  probe_scan(p, mem, ds.shm_segsz);
  probe_attempt(p, "shmat", target, true, 0, "%s, %zu bytes", how, (size_t)ds.shm_segsz);
  shmdt(mem);
}

void probe_ipc_sysv(struct probe *p)
{
  size_t len = 0;
  char *list = probe_read_file("/proc/sysvipc/shm", 1 << 20, &len);
  struct shm_info info;
  int max, seen = 0;

  probe_attempt(p, "read", "/proc/sysvipc/shm", list != NULL, errno, NULL);
  for (char *line = list ? strchr(list, '\n') : NULL; line != NULL && line[1] != '\0'; line = strchr(line + 1, '\n'))
    {
      int key, id;
      if (sscanf(line + 1, "%d %d", &key, &id) == 2)
        {
          read_segment(p, id, "/proc/sysvipc/shm");
          seen++;
        }
    }
  free(list);
  /* SHM_STAT walks the kernel's index, which /proc might not show. */
  max = shmctl(0, SHM_INFO, (struct shmid_ds *)&info);
  probe_attempt(p, "SHM_INFO", "kernel", max >= 0, errno, "highest index %d", max);
  for (int idx = 0; idx <= max; idx++)
    {
      struct shmid_ds ds;
      int id = shmctl(idx, SHM_STAT, &ds);
      if (id >= 0)
        read_segment(p, id, "SHM_STAT");
    }
  probe_observe(p, "segments_listed", "%d", seen);
}
