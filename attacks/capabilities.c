/* capabilities: what user code holds (effective, permitted, ambient) and what
 * it can gain (the bounding set, through a setuid or file-capability program,
 * when no_new_privs is off), each reported whole. Either is a finding:
 * observed.dangerous is their union. */
#include <cap-ng.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "probe.h"

static void status_line(struct probe *p, const char *status, const char *key)
{
  const char *line = strstr(status, key);
  if (line != NULL)
    probe_observe(p, key, "%.*s", (int)strcspn(line + strlen(key) + 1, "\n"), line + strlen(key) + 1 + strspn(line + strlen(key) + 1, "\t "));
}

/* A setuid-root or file-capability program: the way an unprivileged process
 * gains its bounding set (unless no_new_privs is set). NULL when none. */
static const char *privileged_program(char *out, size_t len)
{
  static const char *const dirs[] = { "/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin" };

  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    {
      DIR *d = opendir(dirs[i]);
      struct dirent *de;
      if (d == NULL)
        continue;
      while ((de = readdir(d)) != NULL)
        {
          struct stat st;
          if (de->d_name[0] == '.' || snprintf(out, len, "%s/%s", dirs[i], de->d_name) >= (int)len)
            continue;
          if (lstat(out, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
          if (((st.st_mode & S_ISUID) && st.st_uid == 0) || getxattr(out, "security.capability", NULL, 0) > 0)
            {
              closedir(d);
              return out;
            }
        }
      closedir(d);
    }
  return NULL;
}

static void add_name(char *list, size_t len, const char *name)
{
  size_t used = strlen(list);

  if (strstr(list, name) == NULL)
    snprintf(list + used, len - used, "%s%s", used ? "," : "", name);
}

void probe_capabilities(struct probe *p)
{
  /* Any of these lets user code reach past its sandbox: read or write files it
   * should not, leave its root, trace, sniff, or reconfigure the kernel. */
  static const struct
  {
    int cap;
    const char *name;
  } watched[] = {
    { CAP_SYS_ADMIN, "CAP_SYS_ADMIN" },     { CAP_SYS_PTRACE, "CAP_SYS_PTRACE" },
    { CAP_NET_RAW, "CAP_NET_RAW" },         { CAP_NET_ADMIN, "CAP_NET_ADMIN" },
    { CAP_DAC_OVERRIDE, "CAP_DAC_OVERRIDE" }, { CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH" },
    { CAP_SYS_CHROOT, "CAP_SYS_CHROOT" },   { CAP_SETUID, "CAP_SETUID" },
    { CAP_SETGID, "CAP_SETGID" },           { CAP_SYS_MODULE, "CAP_SYS_MODULE" },
    { CAP_SYS_RAWIO, "CAP_SYS_RAWIO" },     { CAP_MKNOD, "CAP_MKNOD" },
  };
  /* Held: usable now, or by an exec (ambient). */
  static const capng_type_t held_sets[] = { CAPNG_EFFECTIVE, CAPNG_PERMITTED,
#ifdef CAPNG_AMBIENT
                                            CAPNG_AMBIENT,
#endif
  };
  char held[512] = "", gainable[512] = "", dangerous[1024] = "", program[512];
  const char *via = NULL;
  size_t len = 0;
  char *status, *map;
  bool nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;

  capng_clear(CAPNG_SELECT_ALL);
  probe_attempt(p, "capng_get_caps_process", "self", capng_get_caps_process() == 0, 0, NULL);
  for (size_t i = 0; i < sizeof watched / sizeof watched[0]; i++)
    for (size_t s = 0; s < sizeof held_sets / sizeof held_sets[0]; s++)
      if (capng_have_capability(held_sets[s], (unsigned)watched[i].cap))
        add_name(held, sizeof held, watched[i].name);
  /* Gainable: the bounding set, through a privileged program, unless no_new_privs. */
  if (!nnp && (via = privileged_program(program, sizeof program)) != NULL)
    for (size_t i = 0; i < sizeof watched / sizeof watched[0]; i++)
      if (capng_have_capability(CAPNG_BOUNDING_SET, (unsigned)watched[i].cap))
        add_name(gainable, sizeof gainable, watched[i].name);
  probe_attempt(p, "find a setuid or file-capability program", "/usr/bin, /bin, /usr/sbin, /sbin", via != NULL,
                ENOENT, "%s", via != NULL ? via : (nnp ? "no_new_privs is set" : "none"));
  probe_observe(p, "held", "%s", held);
  probe_observe(p, "gainable", "%s", gainable);
  if (via != NULL)
    probe_observe(p, "gainable_via", "%s", via);
  snprintf(dangerous, sizeof dangerous, "%s", held);
  for (char *save = NULL, *tok = strtok_r(gainable, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
    add_name(dangerous, sizeof dangerous, tok);
  probe_observe(p, "dangerous", "%s", dangerous);
  status = probe_read_file("/proc/self/status", 1 << 16, &len);
  if (status != NULL)
    {
      status_line(p, status, "CapEff:");
      status_line(p, status, "CapPrm:");
      status_line(p, status, "CapBnd:");
      status_line(p, status, "CapInh:");
      status_line(p, status, "CapAmb:");
      status_line(p, status, "NoNewPrivs:");
      status_line(p, status, "Seccomp:");
      status_line(p, status, "Uid:");
    }
  free(status);
  map = probe_read_file("/proc/self/uid_map", 4096, &len);
  probe_observe(p, "uid_map", "%s", map != NULL ? map : "");
  free(map);
}
