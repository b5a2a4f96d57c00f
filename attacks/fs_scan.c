/* fs-scan: search for the platform's files by content. First where the
 * backend says it keeps them (the private dir, the shared dir and its host
 * path: a backend may put them anywhere, /opt/platform or /var/lib/...), then
 * where secrets are usually left, then every readable mount. Bounded in time
 * and bytes; what was not reached is reported. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "walk.h"

#define SCAN_SECONDS 3.0
#define SCAN_BYTES (64u << 20)
#define MAX_MOUNTS 256

/* Filesystems that hold no files of the platform's, only the kernel's view
 * (reading /proc would find other processes' secrets: another row's). */
static const char *const pseudo[] = { "proc",     "sysfs",   "cgroup",   "cgroup2", "devpts",   "mqueue",
                                      "debugfs",  "tracefs", "securityfs", "pstore", "bpf",      "configfs",
                                      "fusectl",  "binfmt_misc", "autofs", "hugetlbfs", "efivarfs", "nsfs",
                                      "selinuxfs", "rpc_pipefs" };

static bool is_pseudo(const char *type)
{
  for (size_t i = 0; i < sizeof pseudo / sizeof pseudo[0]; i++)
    if (strcmp(type, pseudo[i]) == 0)
      return true;
  return false;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
  char *out = s;

  for (; *s != '\0'; s++)
    if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7')
      {
        *out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
        s += 3;
      }
    else
      *out++ = *s;
  *out = '\0';
}

/* The system's own software: walked last, for a secret is rarely there and
 * its size would spend the budget before an unusual mount (/opt/platform) is reached. */
static bool is_system(const char *point)
{
  static const char *const system_dirs[] = { "/", "/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin",
                                             "/etc", "/dev", "/boot" };
  for (size_t i = 0; i < sizeof system_dirs / sizeof system_dirs[0]; i++)
    {
      size_t n = strlen(system_dirs[i]);
      if (strcmp(point, system_dirs[i]) == 0 || (n > 1 && strncmp(point, system_dirs[i], n) == 0 && point[n] == '/'))
        return true;
    }
  return false;
}

/* Every mount point of our view, by content, others before the system's;
 * pseudo filesystems are listed as skipped. */
static void scan_mounts(struct probe *p)
{
  size_t len = 0;
  char *info = probe_read_file("/proc/self/mountinfo", 1 << 20, &len);
  char skipped[1024] = "", unreached[2048] = "";
  int mounts = 0, walked = 0;

  probe_attempt(p, "mountinfo", "/proc/self/mountinfo", info != NULL, errno, NULL);
  for (int pass = 0; pass < 2; pass++)
    for (char *line = info, *end; line != NULL && *line != '\0'; line = end != NULL ? end + 1 : NULL)
      {
        char point[4096], type[64];
        const char *dash;
        end = strchr(line, '\n');
        dash = strstr(line, " - ");
        if (dash == NULL || (end != NULL && dash > end) || sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1
            || sscanf(dash + 3, "%63s", type) != 1)
          continue;
        unescape(point);
        if (is_system(point) != (pass == 1))
          continue;
        if (is_pseudo(type))
          {
            size_t u = strlen(skipped);
            snprintf(skipped + u, sizeof skipped - u, "%s%.200s (%s)", u ? ", " : "", point, type);
            continue;
          }
        if (++mounts > MAX_MOUNTS || probe_walk_spent())
          {
            size_t u = strlen(unreached);
            snprintf(unreached + u, sizeof unreached - u, "%s%.200s", u ? ", " : "", point);
            continue;
          }
        probe_walk_fs(p, "read-mount", point, 8, 20000);
        walked++;
      }
  free(info);
  if (probe_walk_skipped_large() > 0)
    probe_observe(p, "mount_files_skipped", "%zu files larger than 64 KiB", probe_walk_skipped_large());
  probe_observe(p, "mounts", "%d, %d walked", mounts, walked);
  if (skipped[0] != '\0')
    probe_observe(p, "mounts_skipped", "pseudo filesystems: %s", skipped);
  if (unreached[0] != '\0')
    probe_observe(p, "mounts_not_reached", "the budget (%.0f s, %u MiB) ran out before: %s", SCAN_SECONDS,
                  SCAN_BYTES >> 20, unreached);
}

void probe_fs_scan(struct probe *p)
{
  const char *told[] = { probe_private_dir, probe_shared_host, probe_shared_dir };
  const char *usual[] = { "/platform", "/tmp", "/var/tmp", "/dev/shm", "/root", "/home", "/run", getenv("HOME") };

  probe_walk_budget(SCAN_SECONDS, SCAN_BYTES);
  for (size_t i = 0; i < sizeof told / sizeof told[0]; i++)
    if (told[i] != NULL)
      probe_walk(p, "read", told[i], 4, 20000);
  for (size_t i = 0; i < sizeof usual / sizeof usual[0]; i++)
    if (usual[i] != NULL)
      probe_walk(p, "read", usual[i], 4, 20000);
  scan_mounts(p);
  probe_walk_budget(0, 0);
}
