/* Per-sandbox resource limits for user code: processes, memory (tmpfs pages
 * are charged to the writer's memory cgroup, so they count) and CPU weight.
 * Enforced by the first mechanism the host offers: a cgroup v2 subtree with
 * the controllers enabled, else cgroup v1 pids/memory/cpu hierarchies, else
 * RLIMIT_NPROC in the sandbox's own user namespace (processes only: set by
 * the user init itself, limits.h). A sandbox's cgroup is a child of the
 * daemon's own cgroup in each hierarchy, so a delegated subtree is enough
 * when the daemon is not root. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "resource_limits.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

const char *sbx_limit_mechanism_name(enum sbx_limit_mechanism m)
{
  switch (m)
    {
    case SBX_LIMIT_CGROUP2: return "cgroup2";
    case SBX_LIMIT_CGROUP1: return "cgroup1";
    case SBX_LIMIT_RLIMIT: return "rlimit";
    case SBX_LIMIT_NONE: return "none";
    default: return "none";
    }
}

void sbx_limits_defaults(struct sbx_limits *l)
{
  if (l->pids == 0)
    l->pids = SBX_DEFAULT_PIDS_MAX;
  if (l->memory == 0)
    l->memory = SBX_DEFAULT_MEMORY_MAX;
  if (l->cpu_weight == 0)
    l->cpu_weight = SBX_DEFAULT_CPU_WEIGHT;
}

static int write_file(const char *dir, const char *file, const char *value)
{
  char path[PATH_MAX];
  _cleanup_close_ int fd = -1;
  size_t len = strlen(value);

  if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path)
    return -ENAMETOOLONG;
  fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return -errno;
  if (write(fd, value, len) != (ssize_t)len)
    return errno != 0 ? -errno : -EIO;
  return 0;
}

static ssize_t read_file(const char *dir, const char *file, char *buf, size_t cap)
{
  char path[PATH_MAX];
  _cleanup_close_ int fd = -1;
  ssize_t n;

  if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path)
    return -ENAMETOOLONG;
  fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return -errno;
  n = read(fd, buf, cap - 1);
  if (n < 0)
    return -errno;
  buf[n] = '\0';
  return n;
}

/* Our own cgroup in a hierarchy, from /proc/self/cgroup: "0::/x" for v2,
 * "N:pids:/x" (controllers comma-separated) for v1. */
static bool own_cgroup(const char *controller, char *out, size_t len)
{
  char buf[8192];

  if (read_file("/proc/self", "cgroup", buf, sizeof buf) < 0)
    return false;
  for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
    {
      char *ctrls = strchr(line, ':'), *path;
      if (ctrls == NULL || (path = strchr(++ctrls, ':')) == NULL)
        continue;
      *path++ = '\0';
      if (controller == NULL && ctrls[0] == '\0')
        return snprintf(out, len, "%s", path) < (int)len;
      if (controller != NULL)
        for (char *save2 = NULL, *c = strtok_r(ctrls, ",", &save2); c != NULL; c = strtok_r(NULL, ",", &save2))
          if (strcmp(c, controller) == 0)
            return snprintf(out, len, "%s", path) < (int)len;
    }
  return false;
}

static bool has_word(const char *list, const char *word)
{
  size_t n = strlen(word);
  for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
    if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
      return true;
  return false;
}

/* The v2 hierarchy's mount: /sys/fs/cgroup on a pure-v2 host, /sys/fs/cgroup/unified on a hybrid one. */
static const char *v2_mount(void)
{
  static const char *const candidates[] = { CGROUP_ROOT, CGROUP_ROOT "/unified" };
  char buf[64];

  for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
    if (read_file(candidates[i], "cgroup.controllers", buf, sizeof buf) >= 0)
      return candidates[i];
  return NULL;
}

/* The executors' cgroups are named splitbox-PID-N: one whose executor is gone
 * (killed before it could remove it) is empty, and only in the way. */
static void sweep_dead(const char *parent)
{
  DIR *d = opendir(parent);
  struct dirent *de;

  if (d == NULL)
    return;
  while ((de = readdir(d)) != NULL)
    {
      char path[PATH_MAX];
      long pid;
      if (strncmp(de->d_name, "splitbox-", 9) != 0 || (pid = strtol(de->d_name + 9, NULL, 10)) <= 0)
        continue;
      if (pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
        continue;
      if (snprintf(path, sizeof path, "%s/%s", parent, de->d_name) < (int)sizeof path)
        (void)rmdir(path); /* fails, harmlessly, if anything still runs in it */
    }
  closedir(d);
}

/* mkdir of a sandbox's cgroup; a leftover of a dead executor of the same
 * name is removed first (rmdir only succeeds on an empty cgroup). */
static int make_cgroup_dir(const char *path)
{
  char parent[PATH_MAX];
  char *slash;

  snprintf(parent, sizeof parent, "%s", path);
  if ((slash = strrchr(parent, '/')) != NULL)
    {
      *slash = '\0';
      sweep_dead(parent);
    }
  if (mkdir(path, 0755) == 0)
    return 0;
  if (errno != EEXIST || rmdir(path) != 0)
    return -1;
  return mkdir(path, 0755);
}

static int v2_setup(const char *name, const struct sbx_limits *l, struct sbx_cgroup *cg)
{
  const char *mnt = v2_mount();
  char own[PATH_MAX], parent[PATH_MAX], leaf[PATH_MAX], value[64], ctrls[256];
  int r;

  if (mnt == NULL || !own_cgroup(NULL, own, sizeof own))
    return -ENOENT;
  if (snprintf(parent, sizeof parent, "%s%s", mnt, strcmp(own, "/") == 0 ? "" : own) >= (int)sizeof parent)
    return -ENAMETOOLONG;
  if (read_file(parent, "cgroup.controllers", ctrls, sizeof ctrls) < 0 || !has_word(ctrls, "pids")
      || !has_word(ctrls, "memory"))
    return -EOPNOTSUPP; /* no controllers delegated to us here */
  /* No internal processes: the daemon moves to a leaf of its own before the
   * controllers are enabled for its children. The root cgroup is exempt. */
  if (strcmp(own, "/") != 0)
    {
      if (snprintf(leaf, sizeof leaf, "%s/splitbox-daemon", parent) >= (int)sizeof leaf)
        return -ENAMETOOLONG;
      if (mkdir(leaf, 0755) != 0 && errno != EEXIST)
        return -errno;
      snprintf(value, sizeof value, "%d", (int)getpid());
      if ((r = write_file(leaf, "cgroup.procs", value)) < 0)
        return r;
    }
  if ((r = write_file(parent, "cgroup.subtree_control", has_word(ctrls, "cpu") ? "+pids +memory +cpu" : "+pids +memory")) < 0)
    return r;
  if (snprintf(cg->v2, sizeof cg->v2, "%s/%s", parent, name) >= (int)sizeof cg->v2)
    return -ENAMETOOLONG;
  if (make_cgroup_dir(cg->v2) < 0)
    return -errno;
  snprintf(value, sizeof value, "%ld", l->pids);
  if ((r = write_file(cg->v2, "pids.max", l->pids < 0 ? "max" : value)) < 0)
    return r;
  snprintf(value, sizeof value, "%lld", l->memory);
  if ((r = write_file(cg->v2, "memory.max", l->memory < 0 ? "max" : value)) < 0)
    return r;
  /* Swap would let a sandbox go past its memory limit. */
  (void)write_file(cg->v2, "memory.swap.max", "0");
  snprintf(value, sizeof value, "%u", l->cpu_weight);
  if (has_word(ctrls, "cpu"))
    (void)write_file(cg->v2, "cpu.weight", value);
  cg->mechanism = SBX_LIMIT_CGROUP2;
  return 0;
}

/* A v1 hierarchy's cgroup for the sandbox: a child of ours. */
static int v1_dir(const char *controller, const char *name, char *out, size_t len)
{
  char own[PATH_MAX], mnt[PATH_MAX];
  struct stat st;

  if (snprintf(mnt, sizeof mnt, CGROUP_ROOT "/%s", controller) >= (int)sizeof mnt || stat(mnt, &st) != 0
      || !own_cgroup(controller, own, sizeof own))
    return -ENOENT;
  if (snprintf(out, len, "%s%s/%s", mnt, strcmp(own, "/") == 0 ? "" : own, name) >= (int)len)
    return -ENAMETOOLONG;
  if (make_cgroup_dir(out) < 0)
    return -errno;
  return 0;
}

static int v1_setup(const char *name, const struct sbx_limits *l, struct sbx_cgroup *cg)
{
  char value[64];
  int r;

  if ((r = v1_dir("pids", name, cg->v1_pids, sizeof cg->v1_pids)) < 0)
    {
      cg->v1_pids[0] = '\0';
      return r;
    }
  snprintf(value, sizeof value, "%ld", l->pids);
  if ((r = write_file(cg->v1_pids, "pids.max", l->pids < 0 ? "max" : value)) < 0)
    return r;
  if ((r = v1_dir("memory", name, cg->v1_memory, sizeof cg->v1_memory)) < 0)
    {
      cg->v1_memory[0] = '\0';
      return r;
    }
  snprintf(value, sizeof value, "%lld", l->memory);
  if ((r = write_file(cg->v1_memory, "memory.limit_in_bytes", l->memory < 0 ? "-1" : value)) < 0)
    return r;
  (void)write_file(cg->v1_memory, "memory.memsw.limit_in_bytes", l->memory < 0 ? "-1" : value);
  /* cpu.shares: 1024 is v2's weight 100. Optional: a host may lack the cpu hierarchy. */
  if (v1_dir("cpu", name, cg->v1_cpu, sizeof cg->v1_cpu) == 0)
    {
      snprintf(value, sizeof value, "%u", l->cpu_weight * 1024u / 100u < 2 ? 2 : l->cpu_weight * 1024u / 100u);
      (void)write_file(cg->v1_cpu, "cpu.shares", value);
    }
  else
    cg->v1_cpu[0] = '\0';
  cg->mechanism = SBX_LIMIT_CGROUP1;
  return 0;
}

int sbx_cgroup_create(const char *name, const struct sbx_limits *limits, struct sbx_cgroup *cg,
                      struct sbx_error *err)
{
  int r2, r1;

  memset(cg, 0, sizeof *cg);
  cg->limits = *limits;
  sbx_limits_defaults(&cg->limits);
  r2 = v2_setup(name, &cg->limits, cg);
  if (r2 == 0)
    return 0;
  sbx_cgroup_destroy(cg);
  r1 = v1_setup(name, &cg->limits, cg);
  if (r1 == 0)
    return 0;
  sbx_cgroup_destroy(cg);
  /* The last resort: processes only, by the user init's RLIMIT_NPROC. */
  cg->mechanism = SBX_LIMIT_RLIMIT;
  snprintf(cg->why_not_cgroup, sizeof cg->why_not_cgroup, "cgroup v2: %s; cgroup v1: %s", strerror(-r2),
           strerror(-r1));
  (void)err;
  return 0;
}

int sbx_cgroup_attach(const struct sbx_cgroup *cg, pid_t pid, struct sbx_error *err)
{
  const char *dirs[] = { cg->v2, cg->v1_pids, cg->v1_memory, cg->v1_cpu };
  char value[32];

  snprintf(value, sizeof value, "%d", (int)pid);
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    if (dirs[i][0] != '\0')
      {
        int r = write_file(dirs[i], "cgroup.procs", value);
        if (r < 0)
          return sbx_error_errno(err, -r, SBX_E_SANDBOX, "move %d into %s", (int)pid, dirs[i]);
      }
  return 0;
}

int sbx_cgroup_attach_self(const struct sbx_cgroup *cg)
{
  const char *dirs[] = { cg->v2, cg->v1_pids, cg->v1_memory, cg->v1_cpu };

  /* "0" is the writer itself, in both versions. */
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    if (dirs[i][0] != '\0')
      {
        int r = write_file(dirs[i], "cgroup.procs", "0");
        if (r < 0)
          return r;
      }
  return 0;
}

int sbx_limits_apply_rlimit(const struct sbx_cgroup *cg)
{
  struct rlimit rl;

  if (cg->mechanism != SBX_LIMIT_RLIMIT || cg->limits.pids <= 0)
    return 0;
  rl.rlim_cur = rl.rlim_max = (rlim_t)cg->limits.pids;
  return setrlimit(RLIMIT_NPROC, &rl) == 0 ? 0 : -errno;
}

/* Kills what is in a cgroup; v2 has cgroup.kill (5.14), else signal each pid until it is empty. */
static void kill_all(const char *dir)
{
  char buf[8192];

  if (write_file(dir, "cgroup.kill", "1") == 0)
    return;
  for (int round = 0; round < 100; round++)
    {
      ssize_t n = read_file(dir, "cgroup.procs", buf, sizeof buf);
      bool any = false;
      if (n <= 0)
        return;
      for (char *save = NULL, *tok = strtok_r(buf, "\n", &save); tok != NULL; tok = strtok_r(NULL, "\n", &save))
        {
          long pid = strtol(tok, NULL, 10);
          if (pid > 1)
            {
              kill((pid_t)pid, SIGKILL);
              any = true;
            }
        }
      if (!any)
        return;
      nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
    }
}

/* rmdir fails while the cgroup's last processes exit: retry briefly. */
static void remove_dir(char *dir)
{
  if (dir[0] == '\0')
    return;
  kill_all(dir);
  for (int i = 0; i < 200 && rmdir(dir) != 0 && errno == EBUSY; i++)
    nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
  dir[0] = '\0';
}

void sbx_cgroup_destroy(struct sbx_cgroup *cg)
{
  remove_dir(cg->v2);
  remove_dir(cg->v1_pids);
  remove_dir(cg->v1_memory);
  remove_dir(cg->v1_cpu);
  cg->mechanism = SBX_LIMIT_NONE;
}

long long sbx_cgroup_oom_kills(const struct sbx_cgroup *cg)
{
  char buf[4096];
  const char *dir = cg->v2[0] != '\0' ? cg->v2 : cg->v1_memory;
  const char *line;

  if (dir[0] == '\0' || read_file(dir, cg->v2[0] != '\0' ? "memory.events" : "memory.oom_control", buf, sizeof buf) < 0)
    return -1;
  line = strstr(buf, "oom_kill ");
  return line != NULL ? strtoll(line + strlen("oom_kill "), NULL, 10) : -1;
}
