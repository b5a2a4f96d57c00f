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

#include "mounts.h"
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
        return sbx_error_child(err, ENAMETOOLONG, SBX_E_SANDBOX, "path too long: %s", proc);
      if (lstat(path, &st) != 0)
        continue; /* not in this kernel's /proc */
      /* A plain bind: /dev/null must stay a device (sbx_mount_bind adds nodev), so it reads empty. */
      if (mount("/dev/null", path, NULL, MS_BIND, NULL) != 0)
        return sbx_error_child(err, errno, SBX_E_SANDBOX, "mask %s", path);
    }
  for (size_t i = 0; i < sizeof readonly_dirs / sizeof readonly_dirs[0]; i++)
    {
      if (snprintf(path, sizeof path, "%s/%s", proc, readonly_dirs[i]) >= (int)sizeof path)
        return sbx_error_child(err, ENAMETOOLONG, SBX_E_SANDBOX, "path too long: %s", proc);
      if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        continue;
      /* Recursive, and read-only to every submount (binfmt_misc under sys/fs). */
      if (sbx_mount_bind(path, path, true, true, err) < 0)
        return -1;
    }
  return 0;
}
