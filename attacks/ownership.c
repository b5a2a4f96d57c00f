/* ownership: a platform step leaves a file readable by its owner alone (0600)
 * in the shared dir (the victim's --shared-secret). Can user code read it,
 * make it readable (chmod), or hard-link it? Each works only where user code
 * is, on the host, the platform's uid (or holds CAP_FOWNER/CAP_DAC_*). What
 * we change is put back: the mode, and the link is removed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe.h"

void probe_ownership(struct probe *p)
{
  char path[4096], link_path[4200];
  struct stat st;
  int n;

  if (p->marker == NULL)
    {
      probe_attempt(p, "stat", "the platform's file", false, EINVAL, "no --marker: its name is not known");
      return;
    }
  n = snprintf(path, sizeof path, "%s/.splitbox-owned-%s", probe_shared_dir, p->marker);
  if (n < 0 || (size_t)n >= sizeof path)
    {
      probe_attempt(p, "stat", probe_shared_dir, false, ENAMETOOLONG, NULL);
      return;
    }
  snprintf(link_path, sizeof link_path, "%s.link", path);
  /* It must be there for a "could not read it" to mean anything: without it,
   * no attempt is recorded, and the harness makes the cell an ERROR. */
  if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
    {
      fprintf(stderr, "ownership: the platform's file %s is not there: nothing to try\n", path);
      return;
    }
  probe_attempt(p, "stat", path, true, 0, "mode %04o, uid %d (we are %d)", st.st_mode & 07777, (int)st.st_uid,
                (int)geteuid());
  probe_scan_file(p, "read", path);
  if (chmod(path, 0644) == 0)
    {
      probe_attempt(p, "chmod 0644", path, true, 0, "the platform's file made readable");
      probe_scan_file(p, "read after chmod", path);
      chmod(path, st.st_mode & 07777);
    }
  else
    probe_attempt(p, "chmod 0644", path, false, errno, NULL);
  if (link(path, link_path) == 0)
    {
      probe_attempt(p, "link", link_path, true, 0, "a hard link of the platform's file, ours to keep");
      probe_scan_file(p, "read through the link", link_path);
      unlink(link_path);
    }
  else
    probe_attempt(p, "link", link_path, false, errno, NULL);
}
