/* Kernel facts that decide what isolation a host can give, read (never
 * guessed) from /proc/sys, prctl and the syscalls themselves. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "executor.h"
#include "landlock.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* The integer in a /proc/sys file; -1 when it does not exist or is unreadable. */
long sbx_sysctl_read(const char *name)
{
  char path[256], buf[64];
  int fd;
  ssize_t n;

  snprintf(path, sizeof path, "/proc/sys/%s", name);
  for (char *p = path + strlen("/proc/sys/"); *p != '\0'; p++)
    if (*p == '.')
      *p = '/';
  if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
    return -1;
  n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  return strtol(buf, NULL, 10);
}

static void add_sysctl(cJSON *obj, const char *name)
{
  long v = sbx_sysctl_read(name);

  if (v < 0)
    cJSON_AddNullToObject(obj, name);
  else
    cJSON_AddNumberToObject(obj, name, (double)v);
}

/* 0: none, 1: strict, 2: a filter is applied to us (as /proc/self/status says). */
int sbx_seccomp_mode(void)
{
  return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL ? 0 : prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
}

void sbx_host_facts_to_json(struct cJSON *obj)
{
  static const char *const sysctls[] = {
    "kernel.unprivileged_userns_clone", "user.max_user_namespaces", "kernel.apparmor_restrict_unprivileged_userns",
    "kernel.yama.ptrace_scope", "dev.tty.legacy_tiocsti",
  };
  cJSON *s = cJSON_AddObjectToObject(obj, "sysctls");
  struct statfs fs;

  for (size_t i = 0; i < sizeof sysctls / sizeof sysctls[0]; i++)
    add_sysctl(s, sysctls[i]);
  cJSON_AddNumberToObject(obj, "seccompModeOfSelf", sbx_seccomp_mode());
  cJSON_AddNumberToObject(obj, "landlockAbi", sbx_landlock_abi());
  cJSON_AddBoolToObject(obj, "cgroup2", statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC);
}
