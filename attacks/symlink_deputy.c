/* symlink-deputy: make a platform step that works in the shared dir (a
 * deploy: append to a log, copy a config) act for us through symlinks. We
 * plant cfg-M.json -> the victim's private canary file (as the platform sees
 * it) and out-M.log -> a file beside it, outside the shared dir. The harness
 * then runs the step and looks (harness/audit.c, deputy_check): the copy
 * brought the canary where we can read it, or the append wrote outside. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "probe.h"

static int plant(struct probe *p, const char *prefix, const char *suffix, const char *target)
{
  char name[128], path[4096];
  int n;

  snprintf(name, sizeof name, "%s%.32s%s", prefix, p->marker, suffix);
  n = snprintf(path, sizeof path, "%s/%s", probe_shared_dir, name);
  if (n < 0 || (size_t)n >= sizeof path)
    {
      probe_attempt(p, "symlink", name, false, ENAMETOOLONG, "in %.200s", probe_shared_dir);
      return 0;
    }
  if (symlink(target, path) != 0)
    {
      probe_attempt(p, "symlink", path, false, errno, "-> %.400s", target);
      return 0;
    }
  probe_attempt(p, "symlink", path, true, 0, "-> %.400s", target);
  return 1;
}

void probe_symlink_deputy(struct probe *p)
{
  char canary_file[4096], outside[4096];
  int planted = 0;

  /* Without the private dir's path or the marker there is nothing to aim at:
   * no attempt, so that the harness makes the cell an ERROR. */
  if (probe_private_dir == NULL || p->marker == NULL)
    {
      fprintf(stderr, "symlink-deputy: needs --private and --marker\n");
      return;
    }
  if ((size_t)snprintf(canary_file, sizeof canary_file, "%s/canary-%s", probe_private_dir, p->marker)
        >= sizeof canary_file
      || (size_t)snprintf(outside, sizeof outside, "%s/deputy-%s.log", probe_private_dir, p->marker)
           >= sizeof outside)
    {
      probe_attempt(p, "symlink", probe_private_dir, false, ENAMETOOLONG, NULL);
      return;
    }
  planted += plant(p, "cfg-", ".json", canary_file);
  planted += plant(p, "out-", ".log", outside);
  probe_observe(p, "planted", "%d", planted);
}
