/* env-self: our own environment, our parent's, and what inherited fds hold. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe.h"

extern char **environ;

void probe_env_self(struct probe *p)
{
  char path[64];
  DIR *d;
  struct dirent *de;

  for (char **e = environ; *e != NULL; e++)
    probe_scan(p, *e, strlen(*e));
  probe_attempt(p, "environ", "self", true, 0, NULL);
  probe_scan_file(p, "proc-environ", "/proc/self/environ");
  snprintf(path, sizeof path, "/proc/%d/environ", (int)getppid());
  probe_scan_file(p, "parent-environ", path);
  d = opendir("/proc/self/fd");
  while (d != NULL && (de = readdir(d)) != NULL)
    {
      int fd = atoi(de->d_name);
      struct stat st;
      if (de->d_name[0] == '.' || fd <= 2 || fd == dirfd(d) || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        continue;
      snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
      probe_scan_file(p, "inherited-fd", path);
    }
  if (d != NULL)
    closedir(d);
}
