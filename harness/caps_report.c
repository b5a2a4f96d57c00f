/* splitbox caps: what isolation this machine can give. Every namespace is
 * tried in a child, not guessed from sysctls; the sysctls are reported beside
 * the results, with what they do. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps_report.h"
#include "cleanup.h"
#include "executor.h"
#include "host.h"
#include "resource_limits.h"
#include "run.h"
#include "subids.h"

static const struct
{
  const char *name;
  int flag;
} namespaces[] = {
  { "user", CLONE_NEWUSER }, { "pid", CLONE_NEWPID }, { "mount", CLONE_NEWNS },   { "network", CLONE_NEWNET },
  { "ipc", CLONE_NEWIPC },   { "uts", CLONE_NEWUTS }, { "cgroup", CLONE_NEWCGROUP },
};

/* 0, or the errno of unshare(flags) in a child. */
static int try_unshare(int flags)
{
  int fds[2], e = EIO, status;
  pid_t pid;

  if (pipe2(fds, O_CLOEXEC) != 0)
    return errno;
  pid = fork();
  if (pid == 0)
    {
      int r = unshare(flags) == 0 ? 0 : errno;
      (void)!write(fds[1], &r, sizeof r);
      _exit(0);
    }
  close(fds[1]);
  if (pid < 0 || read(fds[0], &e, sizeof e) != (ssize_t)sizeof e)
    e = pid < 0 ? errno : EIO;
  close(fds[0]);
  if (pid > 0)
    waitpid(pid, &status, 0);
  return e;
}

static void add_namespaces(cJSON *out)
{
  cJSON *ns = cJSON_AddObjectToObject(out, "namespaces");

  for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++)
    {
      cJSON *o = cJSON_AddObjectToObject(ns, namespaces[i].name);
      int alone = try_unshare(namespaces[i].flag);
      int in_userns = namespaces[i].flag == CLONE_NEWUSER ? alone : try_unshare(CLONE_NEWUSER | namespaces[i].flag);
      cJSON_AddBoolToObject(o, "alone", alone == 0);
      if (alone != 0)
        cJSON_AddStringToObject(o, "aloneError", strerror(alone));
      /* Without privilege, the other namespaces come with a user namespace of one's own. */
      cJSON_AddBoolToObject(o, "withUserNamespace", in_userns == 0);
      cJSON_AddBoolToObject(o, "available", alone == 0 || in_userns == 0);
    }
}

/* Each sysctl that decides user namespaces, with its value and what that does here. */
static void add_sysctls(cJSON *out)
{
  cJSON *s = cJSON_AddArrayToObject(out, "userNamespaceSysctls");
  struct
  {
    const char *name;
    long value;
    const char *effect;
  } list[] = {
    { "kernel.unprivileged_userns_clone", sbx_sysctl_read("kernel.unprivileged_userns_clone"), NULL },
    { "user.max_user_namespaces", sbx_sysctl_read("user.max_user_namespaces"), NULL },
    { "kernel.apparmor_restrict_unprivileged_userns", sbx_sysctl_read("kernel.apparmor_restrict_unprivileged_userns"),
      NULL },
  };

  list[0].effect = list[0].value < 0   ? "absent: this kernel has no such switch (upstream behaviour: allowed)"
                   : list[0].value == 0 ? "0: unprivileged user namespaces are disabled"
                                        : "1: unprivileged user namespaces are allowed";
  list[1].effect = list[1].value < 0   ? "absent"
                   : list[1].value == 0 ? "0: no user namespace may be created at all"
                                        : "the most user namespaces one user may hold";
  list[2].effect = list[2].value < 0   ? "absent: AppArmor does not restrict user namespaces"
                   : list[2].value == 0 ? "0: AppArmor does not restrict user namespaces"
                                        : "1: AppArmor denies capabilities in unprivileged user namespaces";
  for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
    {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "name", list[i].name);
      if (list[i].value < 0)
        cJSON_AddNullToObject(o, "value");
      else
        cJSON_AddNumberToObject(o, "value", (double)list[i].value);
      cJSON_AddStringToObject(o, "effect", list[i].effect);
      cJSON_AddItemToArray(s, o);
    }
}

static void add_identity(cJSON *out)
{
  cJSON *id = cJSON_AddObjectToObject(out, "identity");

  cJSON_AddNumberToObject(id, "uid", getuid());
  cJSON_AddNumberToObject(id, "euid", geteuid());
  cJSON_AddNumberToObject(id, "gid", getgid());
  sbx_capabilities_to_json(id);
}

/* Which mechanism would limit a sandbox's user code here: found by making
 * (and removing) a cgroup as a sandbox would. */
static void add_limits(cJSON *out)
{
  cJSON *l = cJSON_AddObjectToObject(out, "limits");
  struct sbx_limits want = { 0 };
  struct sbx_cgroup cg;
  struct sbx_error err = { 0 };
  char name[64];

  snprintf(name, sizeof name, "splitbox-caps-%d", (int)getpid());
  if (sbx_cgroup_create(name, &want, &cg, &err) < 0)
    {
      cJSON_AddStringToObject(l, "mechanism", "none");
      cJSON_AddStringToObject(l, "warning", err.message);
      return;
    }
  cJSON_AddStringToObject(l, "mechanism", sbx_limit_mechanism_name(cg.mechanism));
  cJSON_AddBoolToObject(l, "memory", cg.mechanism == SBX_LIMIT_CGROUP2 || cg.mechanism == SBX_LIMIT_CGROUP1);
  if (cg.mechanism == SBX_LIMIT_RLIMIT)
    cJSON_AddStringToObject(l, "warning", cg.why_not_cgroup);
  sbx_cgroup_destroy(&cg);
}

static void add_kernel(cJSON *out)
{
  cJSON *k = cJSON_AddObjectToObject(out, "kernel"), *host = sbx_host_conditions();
  struct stat st;
  bool delegated;

  cJSON_AddStringToObject(k, "release", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(host, "kernel")) != NULL
                                           ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(host, "kernel"))
                                           : "unknown");
  cJSON_AddNumberToObject(k, "seccompModeOfSelf", sbx_seccomp_mode());
  cJSON_AddBoolToObject(k, "seccompFilterApplied", sbx_seccomp_mode() == 2);
  cJSON_AddNumberToObject(k, "landlockAbi", sbx_landlock_abi());
  cJSON_AddNumberToObject(k, "yamaPtraceScope", (double)sbx_sysctl_read("kernel.yama.ptrace_scope"));
  cJSON_AddStringToObject(k, "procHidepid", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(host, "procHidepid")));
  cJSON_AddBoolToObject(k, "cgroup2", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(host, "cgroup2")));
  /* Delegation: may we make a child cgroup here (as systemd delegates to a user)? */
  delegated = access("/sys/fs/cgroup", W_OK) == 0 && stat("/sys/fs/cgroup/cgroup.subtree_control", &st) == 0;
  cJSON_AddBoolToObject(k, "cgroupWritable", delegated);
  cJSON_AddNumberToObject(k, "legacyTiocsti", (double)sbx_sysctl_read("dev.tty.legacy_tiocsti"));
  {
    cJSON *tools = cJSON_GetObjectItemCaseSensitive(host, "tools");
    cJSON *t = cJSON_AddObjectToObject(out, "tools");
    _cleanup_free_ char *bwrap = sbx_which("bwrap");
    cJSON *item;
    cJSON_ArrayForEach(item, tools)
      cJSON_AddItemToObject(t, item->string, cJSON_Duplicate(item, true));
    cJSON_AddBoolToObject(t, "bwrapSetuid", bwrap != NULL && stat(bwrap, &st) == 0 && (st.st_mode & S_ISUID));
  }
  cJSON_Delete(host);
}

/* What splitbox enforces per row of the audit's table in fallback mode (the
 * namespaced modes enforce every row but those with a userns_lost reason),
 * derived from the executor's uid and the Landlock ABI this kernel gives
 * (ref/fallback.c builds the ruleset); `caps --verify` measures it.
 * landlock_abi: the ABI from which Landlock enforces the row for an
 * unprivileged executor; 0 when Landlock does not help. */
static const struct
{
  const char *row;
  bool fallback_root, fallback_unprivileged;
  int landlock_abi;
  const char *lost_because;
  const char *userns_lost; /* userns mode does not enforce it yet: why */
} rows[] = {
  { "Read env vars", true, true, 0, NULL },
  { "Read /proc/*/environ", false, false, 0,
    "no PID namespace: /proc/PID/cmdline is readable by every uid (and environ too, where both contexts share one "
    "uid and Landlock is missing)" },
  { "Process listing (ps)", false, false, 0, "no PID namespace: user code lists every process" },
  { "Debugger attach", true, false, 1, "one uid for both contexts and no Landlock: ptrace is allowed" },
  { "Memory reading", true, false, 1, "one uid for both contexts and no Landlock: /proc/PID/mem is readable" },
  { "Network sniffing", true, false, 0, "no network namespace, and no separate uid to deny raw sockets" },
  { "Filesystem access", true, false, 1,
    "no mount namespace and no Landlock: user code sees the host's files as the platform's uid" },
  { "IPC (SysV shm, POSIX shm, keyrings)", true, false, 0,
    "one uid for both contexts: its SysV shared memory is shared (Landlock does not cover SysV IPC)" },
  { "Network services (loopback, abstract sockets)", false, false, 0,
    "no network namespace: loopback listeners and abstract sockets are shared" },
  { "Control plane (executor API)", true, true, 0, NULL },
  /* Namespaces mode and fallback as root give user code a uid of its own (ref/uid_pool.c, nobody). */
  { "Ownership in the shared dir", true, false, 0,
    "one uid for both contexts: user code owns what the platform leaves in the shared dir (reads, chmods, links it)",
    "userns mode runs both contexts as the executor's one host uid: user code owns what the platform leaves in the "
    "shared dir (reads, chmods, links it)" },
  { "Signals to platform processes", true, false, 6,
    "one uid for both contexts and no Landlock signal scope (ABI 6): kill() reaches the platform" },
  { "Path hijack of platform commands", true, true, 0, NULL },
  /* The platform's views mount the shared dir nosymfollow (ref/platform_root.c); fallback has no views. */
  { "Symlinks in the shared dir", false, false, 0,
    "no mount namespace: platform commands cannot see the shared dir nosymfollow, and follow the symlinks user code "
    "plants there" },
  { "Integrity of the platform's files", true, false, 1,
    "one uid for both contexts and no Landlock: user code writes the platform's private dir and HOME" },
  { "Capabilities of user code", true, true, 0, NULL },
  { "Kernel surface (io_uring, bpf, nested userns)", true, true, 0, NULL },
};

static bool row_enforced(size_t i, enum sbx_isolation mode, bool root, int landlock_abi)
{
  if (mode == SBX_ISO_USERNS && rows[i].userns_lost != NULL)
    return false;
  if (mode != SBX_ISO_FALLBACK)
    return true;
  if (root ? rows[i].fallback_root : rows[i].fallback_unprivileged)
    return true;
  return rows[i].landlock_abi > 0 && landlock_abi >= rows[i].landlock_abi;
}

/* Whether user code and the platform own files in the shared dir as two host
 * uids: only then does a file's mode keep the platform's files from user code.
 * Userns mode needs the caller's subordinate ids and newuidmap (ref/subids.c). */
static void add_shared_ownership(cJSON *verdict, enum sbx_isolation mode, bool root)
{
  cJSON *o = cJSON_AddObjectToObject(verdict, "sharedDirOwnership");
  struct sbx_subids ids;
  struct sbx_error why = { 0 };
  char text[PATH_MAX + 512];
  bool separate = root;

  if (mode == SBX_ISO_NAMESPACES)
    snprintf(text, sizeof text, "user code runs as a host uid of its own (the splitbox user's subordinate range)");
  else if (mode == SBX_ISO_USERNS && (separate = sbx_subids_find(&ids, &why) == 0))
    snprintf(text, sizeof text, "user code runs as one of uid %u's subordinate ids (%lu from %lu, through %s)",
             (unsigned)getuid(), (unsigned long)ids.range.count, (unsigned long)ids.range.start, ids.newuidmap);
  else if (mode == SBX_ISO_USERNS)
    snprintf(text, sizeof text,
             "user code and the platform are one host uid: %s; a file the platform leaves in the shared dir is user "
             "code's whatever its mode", why.message);
  else
    snprintf(text, sizeof text, root ? "fallback as root: user code runs as an unprivileged uid"
                                     : "fallback without root: user code and the platform are one uid");
  cJSON_AddBoolToObject(o, "separateUids", separate);
  cJSON_AddStringToObject(o, "how", text);
}

cJSON *sbx_caps_report(enum sbx_isolation *mode_out)
{
  cJSON *out = cJSON_CreateObject(), *verdict, *table, *changes;
  struct sbx_error err = { 0 };
  enum sbx_isolation mode = SBX_ISO_FALLBACK;
  bool root = geteuid() == 0, userns;

  add_identity(out);
  add_namespaces(out);
  add_sysctls(out);
  add_kernel(out);
  add_limits(out);
  sbx_isolation_detect(&mode, &err);
  userns = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(out, "namespaces"), "user"), "available"));
  verdict = cJSON_AddObjectToObject(out, "verdict");
  cJSON_AddStringToObject(verdict, "mode", sbx_isolation_name(mode));
  cJSON_AddBoolToObject(verdict, "fullIsolation", mode != SBX_ISO_FALLBACK);
  table = cJSON_AddArrayToObject(verdict, "rows");
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
    {
      cJSON *r = cJSON_CreateObject();
      bool enforced = row_enforced(i, mode, root, sbx_landlock_abi());
      cJSON_AddStringToObject(r, "row", rows[i].row);
      cJSON_AddBoolToObject(r, "enforced", enforced);
      if (!enforced && mode == SBX_ISO_USERNS && rows[i].userns_lost != NULL)
        cJSON_AddStringToObject(r, "lostBecause", rows[i].userns_lost);
      else if (!enforced && rows[i].lost_because != NULL)
        cJSON_AddStringToObject(r, "lostBecause", rows[i].lost_because);
      if (enforced && mode == SBX_ISO_FALLBACK && !(root ? rows[i].fallback_root : rows[i].fallback_unprivileged))
        cJSON_AddStringToObject(r, "enforcedBy", "landlock");
      cJSON_AddItemToArray(table, r);
    }
  add_shared_ownership(verdict, mode, root);
  changes = cJSON_AddArrayToObject(verdict, "toGetFullIsolation");
  if (mode == SBX_ISO_FALLBACK)
    {
      long clone = sbx_sysctl_read("kernel.unprivileged_userns_clone");
      long max = sbx_sysctl_read("user.max_user_namespaces");
      long apparmor = sbx_sysctl_read("kernel.apparmor_restrict_unprivileged_userns");
      if (sbx_seccomp_mode() == 2)
        cJSON_AddItemToArray(changes, cJSON_CreateString(
          "a seccomp filter applied to this process denies namespaces: run splitbox where none is (a container "
          "runtime's seccomp profile is the usual one; allow unshare and clone with CLONE_NEW* flags)"));
      if (apparmor > 0)
        cJSON_AddItemToArray(changes, cJSON_CreateString(
          "enable unprivileged user namespaces: `sysctl kernel.apparmor_restrict_unprivileged_userns=0`, or an "
          "AppArmor profile that allows userns for splitbox"));
      if (clone == 0)
        cJSON_AddItemToArray(changes, cJSON_CreateString("enable unprivileged user namespaces: `sysctl kernel.unprivileged_userns_clone=1`"));
      if (max == 0)
        cJSON_AddItemToArray(changes, cJSON_CreateString("allow user namespaces: `sysctl user.max_user_namespaces=15000`"));
      if (!root)
        cJSON_AddItemToArray(changes, cJSON_CreateString("or run the daemon as root: namespaces mode needs no user namespaces"));
      if (cJSON_GetArraySize(changes) == 0)
        cJSON_AddItemToArray(changes, cJSON_CreateString(
          "user namespaces fail here for a reason none of the known switches explain (a container runtime's policy?)"));
    }
  (void)userns;
  *mode_out = mode;
  return out;
}
