/* integrity: can user code change the files the platform runs and reads? In
 * each of the platform's PATH dirs, /etc, the private dir and the platform's
 * HOME, create a marker of our own (O_EXCL: never an existing file) and
 * remove it at once. A dir where that worked is one where user code could
 * replace a binary or a config the platform trusts. /etc/shadow is read too,
 * as a sign of the same mistake (the host's root bound into the sandbox):
 * recorded, not counted. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

static const char *const path_dirs[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin",
                                          "/sbin",           "/bin",           "/etc" };

/* 1: created and removed (writable), 0: not, -1: created but not removed (said so). */
static int try_write(struct probe *p, const char *dir)
{
  char path[4096];
  int fd, n = snprintf(path, sizeof path, "%s/.splitbox-integrity-%s-%d", dir, p->marker ? p->marker : "nomarker",
                       (int)getpid());

  if (n < 0 || (size_t)n >= sizeof path)
    {
      probe_attempt(p, "create", dir, false, ENAMETOOLONG, NULL);
      return 0;
    }
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      probe_attempt(p, "create", dir, false, errno, "a new file, removed at once");
      return 0;
    }
  close(fd);
  if (unlink(path) != 0)
    {
      probe_attempt(p, "remove", path, false, errno, "our marker could not be removed: remove it by hand");
      return -1;
    }
  probe_attempt(p, "create", dir, true, 0, "a new file, removed at once");
  return 1;
}

void probe_integrity(struct probe *p)
{
  char wrote[2048] = "", home[4096] = "";
  const char *extra[2] = { probe_private_dir, NULL };
  size_t used = 0;

  /* The victim's HOME (start_victim): <private>/home-<marker>. */
  if (probe_private_dir != NULL && p->marker != NULL
      && (size_t)snprintf(home, sizeof home, "%s/home-%s", probe_private_dir, p->marker) < sizeof home)
    extra[1] = home;
  for (size_t i = 0; i < sizeof path_dirs / sizeof path_dirs[0] + 2; i++)
    {
      const char *dir = i < sizeof path_dirs / sizeof path_dirs[0] ? path_dirs[i]
                                                                   : extra[i - sizeof path_dirs / sizeof path_dirs[0]];
      if (dir == NULL)
        continue;
      if (try_write(p, dir) != 0 && used < sizeof wrote)
        used += (size_t)snprintf(wrote + used, sizeof wrote - used, "%swrite %.400s", used ? ", " : "", dir);
    }
  {
    size_t len = 0;
    char *shadow = probe_read_file("/etc/shadow", 1 << 16, &len);
    probe_attempt(p, "read", "/etc/shadow", shadow != NULL, errno, shadow != NULL ? "readable" : NULL);
    probe_observe(p, "etc_shadow_readable", "%s", shadow != NULL ? "true" : "false");
    free(shadow);
  }
  /* The leak of this row: what user code could change. */
  probe_observe(p, "dangerous", "%s", wrote);
}
