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

/* What protects each row of the audit's table, as alternatives: a row is
 * enforced here when every mechanism of one alternative is present, judged
 * from the mode and the facts measured above (namespaces tried, the uid, the
 * Landlock ABI, seccomp), never from a constant per row. Each claim says
 * which alternative holds, or why none does; `caps --verify` measures it. */
enum mechanism
{
  M_PIDNS = 1 << 0,   /* a PID namespace (and a fresh /proc) per context */
  M_NETNS = 1 << 1,   /* a network namespace per context */
  M_MNTNS = 1 << 2,   /* a mount namespace: user code's own view of the filesystem */
  M_IPCNS = 1 << 3,   /* an IPC namespace per context */
  M_UID = 1 << 4,     /* user code runs as a uid of its own, not the platform's */
  M_LANDLOCK = 1 << 5, /* fallback's Landlock ruleset, from alt.landlock_abi */
  M_SECCOMP = 1 << 6, /* splitbox's seccomp filter on user code */
  M_API = 1 << 7,     /* the executor's API design: secrets per call, caps dropped, the platform's own PATH */
  M_HOSTUID = 1 << 8, /* user code is a host uid of its own (not only in its user namespace): the platform's files are not its */
  M_LIMITS = 1 << 9,  /* a cgroup or RLIMIT_NPROC bounds user code's processes */
};

struct facts
{
  enum sbx_isolation mode;
  bool root, pidns, netns, mntns, ipcns, seccomp;
  bool hostuid; /* namespaces mode, userns mode with subordinate ids, fallback as root */
  bool limits;  /* a limit mechanism works here (add_limits) */
  int landlock_abi;
};

struct alternative
{
  unsigned mechanisms;
  int landlock_abi;
  const char *because;
};

static const struct
{
  const char *row;
  struct alternative alts[3];
  const char *lost_because;
} rows[] = {
  { "Read env vars", { { M_API, 0, "secrets are given per call (the API's design): user code's env never holds the platform's" } }, NULL },
  { "Read /proc/*/environ",
    { { M_PIDNS, 0, "user code's /proc is its own PID namespace's: the platform's processes are not in it" } },
    "no PID namespace: /proc/PID/cmdline is readable by every uid (and environ too, where both contexts share one uid)" },
  { "Process listing (ps)", { { M_PIDNS, 0, "a PID namespace per context: user code lists only its own processes" } },
    "no PID namespace: user code lists every process" },
  { "Debugger attach",
    { { M_PIDNS, 0, "the platform's processes are outside user code's PID namespace" },
      { M_UID, 0, "user code runs as another uid than the platform: ptrace is denied" },
      { M_LANDLOCK, 1, "Landlock keeps user code from ptracing processes outside its domain" } },
    "one uid for both contexts and no Landlock: ptrace is allowed" },
  { "Memory reading",
    { { M_PIDNS, 0, "the platform's processes are outside user code's PID namespace" },
      { M_UID, 0, "user code runs as another uid than the platform: /proc/PID/mem is denied" },
      { M_LANDLOCK, 1, "Landlock keeps user code from ptrace access to processes outside its domain" } },
    "one uid for both contexts and no Landlock: /proc/PID/mem is readable" },
  { "Network sniffing",
    { { M_NETNS, 0, "a network namespace per context: user code sees only its own interfaces" },
      { M_UID, 0, "user code runs as an unprivileged uid of its own: no CAP_NET_RAW" } },
    "no network namespace, and no separate uid to deny raw sockets" },
  { "Filesystem access",
    { { M_MNTNS, 0, "a mount namespace: user code sees only its own root" },
      { M_UID, 0, "user code runs as another uid: the platform's files (0700) are denied" },
      { M_LANDLOCK, 1, "Landlock limits user code to the system's directories and its own" } },
    "no mount namespace and no Landlock: user code sees the host's files as the platform's uid" },
  { "IPC (SysV shm, POSIX shm, keyrings)",
    { { M_IPCNS | M_MNTNS, 0, "an IPC namespace per context, a /dev/shm of its own and a session keyring of its own" },
      { M_UID, 0, "user code runs as another uid: the platform's IPC objects and keyrings are denied" } },
    "one uid for both contexts: its SysV shared memory is shared (Landlock does not cover SysV IPC)" },
  { "Network services (loopback, abstract sockets)",
    { { M_NETNS, 0, "a network namespace per context: its own loopback and abstract socket namespace" } },
    "no network namespace: loopback listeners and abstract sockets are shared" },
  { "Control plane (executor API)",
    { { M_MNTNS, 0, "the executor's API socket is outside user code's mount namespace" },
      { M_UID, 0, "the executor's API socket and state are the executor's uid's, and user code runs as another" },
      { M_LANDLOCK, 1, "Landlock denies user code the executor's state directory and its socket" } },
    "one uid for both contexts and no Landlock: the executor's socket is reachable" },
  { "Ownership in the shared dir",
    { { M_HOSTUID, 0, "user code is a host uid of its own: the platform's 0600 files in the shared dir are not its to "
                      "read, chmod or link" } },
    "one host uid for both contexts (userns mode without subordinate ids, or fallback without root): user code owns "
    "what the platform leaves in the shared dir" },
  { "Signals to platform processes",
    { { M_PIDNS, 0, "the platform's processes are outside user code's PID namespace" },
      { M_UID, 0, "user code runs as another uid: kill() is denied" },
      { M_LANDLOCK, 6, "Landlock's signal scope (ABI 6) denies kill() outside user code's domain" } },
    "one uid for both contexts and no Landlock signal scope (ABI 6): kill() reaches the platform" },
  { "Path hijack of platform commands",
    { { M_API, 0, "platform commands get their own PATH and HOME, which user code cannot write (the executor's design)" } },
    NULL },
  { "Symlinks in the shared dir",
    { { M_MNTNS, 0, "platform commands see the shared dir mounted nosymfollow: a symlink planted there is not followed" } },
    "no mount namespace: platform commands follow the symlinks user code plants in the shared dir" },
  { "Integrity of the platform's files",
    { { M_MNTNS, 0, "user code's own view: the system's directories read-only, no private dir, no platform HOME" },
      { M_UID, 0, "user code runs as an unprivileged uid of its own: the platform's directories are not writable" },
      { M_LANDLOCK, 1, "Landlock limits user code's writes to the shared dir and its own tmp" } },
    "one uid for both contexts and no Landlock: user code writes the platform's private dir and HOME" },
  { "Capabilities of user code",
    { { M_API, 0, "user code's capabilities are dropped, bounding set and ambient included, with no_new_privs" } }, NULL },
  { "Kernel surface (io_uring, bpf, nested userns)",
    { { M_SECCOMP, 0, "splitbox's seccomp filter denies io_uring, bpf and namespace creation to user code" } },
    "this kernel cannot apply seccomp filters" },
  { "Resource limits (processes)",
    { { M_LIMITS, 0, "a cgroup (or RLIMIT_NPROC of user code's own uid) bounds its processes (default 1024)" } },
    "no cgroup to write and no RLIMIT_NPROC to set: user code's processes are unbounded" },
  { "Cross-tenant: another sandbox's platform",
    { { M_PIDNS | M_NETNS | M_IPCNS, 0, "every sandbox's platform commands run in PID, network and IPC namespaces of "
                                        "their own: another sandbox's user code shares none of them" } },
    "no namespaces: every sandbox's platform processes are listed, their cmdline readable and their loopback "
    "listeners shared with every sandbox's user code" },
  { "Cross-tenant: another sandbox's user code",
    { { M_PIDNS | M_NETNS | M_IPCNS, 0, "every sandbox's user code has PID, network and IPC namespaces of its own" } },
    "no namespaces: every sandbox's user code is listed, its cmdline readable and its loopback listeners shared "
    "with every other sandbox's user code" },
};

static bool has(const struct facts *f, const struct alternative *a)
{
  bool ns = f->mode != SBX_ISO_FALLBACK;

  return (!(a->mechanisms & M_PIDNS) || (ns && f->pidns)) && (!(a->mechanisms & M_NETNS) || (ns && f->netns))
         && (!(a->mechanisms & M_MNTNS) || (ns && f->mntns)) && (!(a->mechanisms & M_IPCNS) || (ns && f->ipcns))
         /* Namespaced modes map user code to an unprivileged uid of its own; fallback drops to one only as root. */
         && (!(a->mechanisms & M_UID) || ns || f->root)
         /* Landlock is fallback's: the namespaced modes do not apply it. */
         && (!(a->mechanisms & M_LANDLOCK) || (!ns && f->landlock_abi >= a->landlock_abi))
         && (!(a->mechanisms & M_SECCOMP) || f->seccomp) && (!(a->mechanisms & M_HOSTUID) || f->hostuid)
         && (!(a->mechanisms & M_LIMITS) || f->limits);
}

/* verdict.sharedDirOwnership: whether user code is a host uid of its own, and how; true is the fact
 * M_HOSTUID stands for. */
static bool add_shared_ownership(cJSON *verdict, enum sbx_isolation mode, bool root)
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
  return separate;
}

static bool ns_available(const cJSON *report, const char *name)
{
  return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(report, "namespaces"), name), "available"));
}

static void add_rows(cJSON *table, const struct facts *f)
{
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
    {
      cJSON *r = cJSON_CreateObject();
      const struct alternative *held = NULL;

      for (size_t k = 0; k < sizeof rows[i].alts / sizeof rows[i].alts[0] && held == NULL; k++)
        if (rows[i].alts[k].because != NULL && has(f, &rows[i].alts[k]))
          held = &rows[i].alts[k];
      cJSON_AddStringToObject(r, "row", rows[i].row);
      cJSON_AddBoolToObject(r, "enforced", held != NULL);
      cJSON_AddStringToObject(r, "because", held != NULL              ? held->because
                                            : rows[i].lost_because != NULL ? rows[i].lost_because
                                                                           : "none of its mechanisms is present here");
      if (held == NULL)
        cJSON_AddStringToObject(r, "lostBecause", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "because")));
      else if (held->mechanisms & M_LANDLOCK)
        cJSON_AddStringToObject(r, "enforcedBy", "landlock");
      cJSON_AddItemToArray(table, r);
    }
}

cJSON *sbx_caps_report(enum sbx_isolation *mode_out)
{
  return sbx_caps_report_assuming(NULL, mode_out);
}

cJSON *sbx_caps_report_assuming(const enum sbx_isolation *assume, enum sbx_isolation *mode_out)
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
  {
    struct facts f = { .mode = mode, .root = root, .pidns = ns_available(out, "pid"), .netns = ns_available(out, "network"),
                       .mntns = ns_available(out, "mount"), .ipcns = ns_available(out, "ipc"),
                       .seccomp = sbx_seccomp_mode() >= 0, .landlock_abi = sbx_landlock_abi() };
    const char *limits = cJSON_GetStringValue(
      cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(out, "limits"), "mechanism"));
    f.hostuid = add_shared_ownership(verdict, mode, root);
    f.limits = limits != NULL && strcmp(limits, "none") != 0;
    /* --assume-mode: another mode's claims, with the namespaces that mode presumes, against this machine's
     * measurement: the way to show that --verify catches a claim that does not hold. */
    if (assume != NULL)
      {
        f.mode = *assume;
        if (*assume != SBX_ISO_FALLBACK)
          f.pidns = f.netns = f.mntns = f.ipcns = true;
        if (*assume == SBX_ISO_NAMESPACES)
          f.hostuid = true;
        cJSON_AddStringToObject(verdict, "assumedMode", sbx_isolation_name(*assume));
      }
    add_rows(table, &f);
  }
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
