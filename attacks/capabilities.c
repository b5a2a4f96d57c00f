/* capabilities: what user code holds. CAP_SYS_ADMIN, CAP_SYS_PTRACE or
 * CAP_NET_RAW in any set is a finding, reported in observed.dangerous. */
#include <cap-ng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

static void status_line(struct probe *p, const char *status, const char *key)
{
  const char *line = strstr(status, key);
  if (line != NULL)
    probe_observe(p, key, "%.*s", (int)strcspn(line + strlen(key) + 1, "\n"), line + strlen(key) + 1 + strspn(line + strlen(key) + 1, "\t "));
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
  static const capng_type_t sets[] = { CAPNG_EFFECTIVE, CAPNG_PERMITTED, CAPNG_INHERITABLE, CAPNG_BOUNDING_SET,
#ifdef CAPNG_AMBIENT
                                       CAPNG_AMBIENT,
#endif
  };
  char dangerous[256] = "";
  size_t len = 0;
  char *status, *map;

  capng_clear(CAPNG_SELECT_ALL);
  probe_attempt(p, "capng_get_caps_process", "self", capng_get_caps_process() == 0, 0, NULL);
  for (size_t i = 0; i < sizeof watched / sizeof watched[0]; i++)
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++)
      if (capng_have_capability(sets[s], (unsigned)watched[i].cap) && strstr(dangerous, watched[i].name) == NULL)
        snprintf(dangerous + strlen(dangerous), sizeof dangerous - strlen(dangerous), "%s%s",
                 dangerous[0] ? "," : "", watched[i].name);
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
