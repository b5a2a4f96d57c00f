/* Masks the parts of a fresh /proc that are not namespaced, as container
 * runtimes do: kernel keyring listings (other sandboxes' key descriptions),
 * kernel memory and timers (addresses), the sysrq trigger; and makes the
 * host-wide tunables read-only. Runs in the user context's mount namespace,
 * before its root becomes read-only. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc_mask.h"

/* Covered with /dev/null: reading them gives nothing. */
static const char *const masked_files[] = {
  "keys", "key-users", "kcore", "timer_list", "sched_debug", "sysrq-trigger", "latency_stats", "kallsyms",
};
/* Bound onto themselves read-only: host-wide settings. */
static const char *const readonly_dirs[] = { "sys", "irq", "bus", "fs" };

int sbx_proc_mask(const char *proc, struct sbx_error *err)
{
  char path[256];
  struct stat st;

  for (size_t i = 0; i < sizeof masked_files / sizeof masked_files[0]; i++)
    {
      if (snprintf(path, sizeof path, "%s/%s", proc, masked_files[i]) >= (int)sizeof path)
        return sbx_error_set(err, ENAMETOOLONG, SBX_E_SANDBOX, "path too long: %s", proc);
      if (lstat(path, &st) != 0)
        continue; /* not in this kernel's /proc */
      if (mount("/dev/null", path, NULL, MS_BIND, NULL) != 0)
        return sbx_error_errno(err, errno, SBX_E_SANDBOX, "mask %s", path);
    }
  for (size_t i = 0; i < sizeof readonly_dirs / sizeof readonly_dirs[0]; i++)
    {
      if (snprintf(path, sizeof path, "%s/%s", proc, readonly_dirs[i]) >= (int)sizeof path)
        return sbx_error_set(err, ENAMETOOLONG, SBX_E_SANDBOX, "path too long: %s", proc);
      if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        continue;
      if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) != 0)
        return sbx_error_errno(err, errno, SBX_E_SANDBOX, "bind %s", path);
      if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
        return sbx_error_errno(err, errno, SBX_E_SANDBOX, "make %s read-only", path);
    }
  return 0;
}
