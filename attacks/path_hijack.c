/* path-hijack: plant executables named like platform tools in the shared
 * dir. A plant that runs records its environment next to itself; the harness
 * runs a platform command there and looks. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe.h"

static const char *const tools[] = { "zip", "aws", "git", "sh", "env" };

static void plant(struct probe *p, const char *dir, const char *tool)
{
  char path[4096], script[512];
  int fd, n = snprintf(path, sizeof path, "%s/%s", dir, tool);

  if (n < 0 || (size_t)n >= sizeof path)
    {
      probe_attempt(p, "plant", tool, false, ENAMETOOLONG, "in %.200s", dir);
      return;
    }
  /* Cannot be cut: the tools' names are short. */
  snprintf(script, sizeof script,
           "#!/bin/sh\n# splitbox path-hijack plant: records that it ran, with its environment.\n"
           "# Builtins only: a plant named env or dirname must not find itself.\n"
           "export -p > \"${0%%/*}/.splitbox-hijacked-%s\"\n",
           tool);
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0755);
  if (fd < 0 || write(fd, script, strlen(script)) != (ssize_t)strlen(script))
    {
      probe_attempt(p, "plant", path, false, errno, NULL);
      if (fd >= 0)
        close(fd);
      return;
    }
  close(fd);
  probe_attempt(p, "plant", path, true, 0, NULL);
}

void probe_path_hijack(struct probe *p)
{
  char bin[4096], nm[4096];
  int planted = 0, n = snprintf(bin, sizeof bin, "%s/node_modules/.bin", probe_shared_dir);

  if (n < 0 || (size_t)n >= sizeof bin)
    {
      probe_attempt(p, "plant", probe_shared_dir, false, ENAMETOOLONG, "the shared dir's path is too long");
      return;
    }
  snprintf(nm, sizeof nm, "%s/node_modules", probe_shared_dir); /* shorter than bin */
  if ((mkdir(nm, 0755) != 0 && errno != EEXIST) || (mkdir(bin, 0755) != 0 && errno != EEXIST))
    probe_attempt(p, "mkdir", bin, false, errno, NULL);
  for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
    {
      plant(p, probe_shared_dir, tools[i]);
      plant(p, bin, tools[i]);
      planted += 2;
    }
  probe_observe(p, "planted_in", "%s %s", probe_shared_dir, bin);
}
