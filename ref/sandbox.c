/* The sandbox object: its state directory, its two contexts, its lifetime. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "contexts.h"
#include "error.h"
#include "executor.h"
#include "platform_cli.h"
#include "remove_tree.h"
#include "sandbox.h"
#include "seccomp_filter.h"
#include "shared_bound.h"
#include "uid_pool.h"
#include "process_table.h"

/* Names a shared path may not take: they are parts of the views we build. */
static const char *const reserved[] = { "bin", "dev", "etc", "home", "lib", "lib32", "lib64", "libx32", "proc",
                                        "platform", "root", "sbin", "sys", "tmp", "usr" };

static int validate_shared_path(const char *p, struct sbx_error *err)
{
  size_t len = strlen(p);

  if (len < 2 || len > 64 || p[0] != '/')
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "shared path \"%s\" must be /NAME, e.g. /app", p);
  for (size_t i = 1; i < len; i++)
    if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9')
          || p[i] == '-' || p[i] == '_' || (p[i] == '.' && i > 1)))
      return sbx_error_set(err, EINVAL, SBX_E_VALIDATION,
                           "shared path \"%s\" must be one top-level name of letters, digits, '-', '_' or '.'", p);
  for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
    if (strcmp(p + 1, reserved[i]) == 0)
      return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "shared path \"%s\" is reserved", p);
  return 0;
}

static char *join(const char *a, const char *b)
{
  char *s = NULL;
  if (asprintf(&s, "%s/%s", a, b) < 0)
    return NULL;
  return s;
}

static int make_dir(const char *path, mode_t mode, uid_t uid, gid_t gid, bool chown_it, struct sbx_error *err)
{
  struct stat st;

  if (mkdir(path, mode) != 0 && errno != EEXIST)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "create %s", path);
  if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
    return sbx_error_set(err, ENOTDIR, SBX_E_SANDBOX, "%s is not a directory", path);
  if (chmod(path, mode) != 0)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "chmod %s", path);
  if (chown_it && chown(path, uid, gid) != 0)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "chown %s", path);
  return 0;
}

static int setup_state(struct sbx_sandbox *sb, const struct sbx_options *opts, struct sbx_error *err)
{
  /* Root hands the user's directories to the unprivileged user id. */
  bool give = geteuid() == 0 && sb->isolation != SBX_ISO_USERNS;

  if (opts->state_dir != NULL)
    {
      sb->state_dir = strdup(opts->state_dir);
      sb->own_state_dir = opts->remove_state_dir;
    }
  else
    {
      const char *tmp = getenv("TMPDIR");
      if (asprintf(&sb->state_dir, "%s/splitbox-XXXXXX", tmp != NULL && tmp[0] == '/' ? tmp : "/tmp") < 0)
        sb->state_dir = NULL;
      else if (mkdtemp(sb->state_dir) == NULL)
        return sbx_error_errno(err, errno, SBX_E_SANDBOX, "create a state directory in %s",
                               tmp != NULL ? tmp : "/tmp");
      else
        sb->own_state_dir = true;
    }
  if (sb->state_dir == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "state dir");
  sb->shared_host_dir = opts->shared_dir != NULL ? realpath(opts->shared_dir, NULL) : join(sb->state_dir, "shared");
  if (opts->shared_dir != NULL && sb->shared_host_dir == NULL)
    return sbx_error_errno(err, errno, SBX_E_VALIDATION, "shared dir %s", opts->shared_dir);
  sb->platform_dir = join(sb->state_dir, "platform");
  sb->log_dir = join(sb->state_dir, "logs");
  sb->user_home_fallback = join(sb->state_dir, "home-user");
  sb->platform_home_fallback = join(sb->state_dir, "home-platform");
  sb->user_tmp_fallback = join(sb->state_dir, "tmp-user");
  if (!sb->shared_host_dir || !sb->platform_dir || !sb->log_dir || !sb->user_home_fallback
      || !sb->platform_home_fallback || !sb->user_tmp_fallback)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "state dir");
  /* 0711: the unprivileged user may pass through to the shared dir, never list the rest. With
   * subordinate ids both sides write the shared dir as different uids: sticky, so that neither
   * removes nor renames what the other made; a file's mode decides who reads it. */
  if (make_dir(sb->state_dir, 0711, 0, 0, false, err) < 0
      || (opts->shared_dir == NULL
          && make_dir(sb->shared_host_dir, sb->user_subids ? 01777 : 0755, sb->user_host_uid, sb->user_host_gid,
                      give, err) < 0)
      || make_dir(sb->platform_dir, 0700, 0, 0, false, err) < 0 || make_dir(sb->log_dir, 0700, 0, 0, false, err) < 0
      || make_dir(sb->user_home_fallback, 0700, sb->user_host_uid, sb->user_host_gid, give, err) < 0
      || make_dir(sb->user_tmp_fallback, 0700, sb->user_host_uid, sb->user_host_gid, give, err) < 0
      || make_dir(sb->platform_home_fallback, 0700, 0, 0, false, err) < 0)
    return -1;
  sb->shared_fd = open(sb->shared_host_dir, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  sb->platform_fd = open(sb->platform_dir, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (sb->shared_fd < 0 || sb->platform_fd < 0)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "open the state directories");
  return 0;
}

/* The init binary is exec'd from a sealed memfd: the kernel refuses to exec a
 * file on a mount outside the sandbox's namespace, and a sealed copy cannot be
 * changed under us. */
static int sealed_copy(const char *path, struct sbx_error *err)
{
  _cleanup_close_ int src = open(path, O_RDONLY | O_CLOEXEC);
  _cleanup_close_ int mfd = -1;
  struct stat st;
  off_t off = 0;

  if (src < 0)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "open splitbox-init at %s", path);
  if (fstat(src, &st) != 0 || !S_ISREG(st.st_mode))
    return sbx_error_set(err, EINVAL, SBX_E_SANDBOX, "splitbox-init at %s is not a regular file", path);
  mfd = memfd_create("splitbox-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "memfd_create");
  while (off < st.st_size)
    if (sendfile(mfd, src, &off, (size_t)(st.st_size - off)) <= 0)
      return sbx_error_errno(err, errno, SBX_E_SANDBOX, "copy splitbox-init");
  /* Execute-only: a process exec'd from an unreadable file is not dumpable,
   * so user code of the same uid cannot ptrace a supervisor before it says so. */
  if (fchmod(mfd, 0111) != 0
      || fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "seal splitbox-init");
  return sbx_steal_fd(&mfd);
}

/* A host uid of its own for user code, as root: from the range, held until
 * the sandbox is gone. A given uid is the caller's choice; without a range,
 * the old fixed default, and a warning on every result. */
static int choose_user_uid(struct sbx_sandbox *sb, const struct sbx_options *opts, struct sbx_error *err)
{
  struct sbx_uid_range range = { .start = opts->uid_range_start, .count = opts->uid_range_count,
                                 .gid_start = opts->uid_range_start };
  struct sbx_error why = { 0 };
  uid_t id;

  if (opts->user_host_uid != 0 || geteuid() != 0)
    {
      sb->user_host_uid = opts->user_host_uid != 0 ? opts->user_host_uid : SBX_DEFAULT_USER_HOST_ID;
      sb->user_host_gid = opts->user_host_gid != 0 ? opts->user_host_gid : sb->user_host_uid;
      sb->user_uid_shared = opts->user_host_uid == 0;
      snprintf(sb->user_uid_why, sizeof sb->user_uid_why, "a fixed uid was asked for");
      return 0;
    }
  if (range.count == 0 && sbx_uid_range_default(&range, &why) < 0)
    {
      sb->user_host_uid = sb->user_host_gid = SBX_DEFAULT_USER_HOST_ID;
      sb->user_uid_shared = true;
      snprintf(sb->user_uid_why, sizeof sb->user_uid_why, "%s", why.message);
      return 0;
    }
  if (sbx_uid_range_check(&range, err) < 0 || sbx_uid_take(&range, NULL, &id, &sb->user_uid_lock, err) < 0)
    return sbx_error_prefix(err, "user uid");
  sb->user_host_uid = id;
  sb->user_host_gid = range.gid_start + (id - range.start);
  return 0;
}

/* Userns mode: user code as one of the caller's subordinate ids where it has
 * them; else the caller's own uid, and the reason for the warnings. */
static int choose_subids(struct sbx_sandbox *sb, const struct sbx_options *opts, struct sbx_error *err)
{
  struct sbx_error why = { 0 };

  if (sb->isolation != SBX_ISO_USERNS)
    return 0;
  if (opts->no_subids)
    {
      snprintf(sb->subids_why, sizeof sb->subids_why, "subordinate ids turned off (no_subids)");
      return 0;
    }
  if (sbx_subids_find(&sb->subids, &why) < 0)
    {
      snprintf(sb->subids_why, sizeof sb->subids_why, "%s", why.message);
      return 0;
    }
  if (sbx_subids_take(&sb->subids, &sb->user_host_uid, &sb->user_host_gid, &sb->user_uid_lock, err) < 0)
    return sbx_error_prefix(err, "user uid");
  sb->user_subids = true;
  sb->user_uid_shared = false;
  return 0;
}

bool sbx_sandbox_user_subids(const struct sbx_sandbox *sb, const char **why)
{
  if (why != NULL)
    *why = sb->user_subids ? NULL : sb->subids_why;
  return sb->user_subids;
}

int sbx_sandbox_shared_dir_fd(const struct sbx_sandbox *sb)
{
  return openat(sb->shared_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
}

uid_t sbx_sandbox_user_host_uid(const struct sbx_sandbox *sb, bool *shared)
{
  if (shared != NULL)
    *shared = sb->user_uid_shared;
  return sb->user_host_uid;
}

static int apply_options(struct sbx_sandbox *sb, const struct sbx_options *opts, struct sbx_error *err)
{
  size_t n = 0;

  if (opts->init_path == NULL)
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "no splitbox-init binary given");
  if (validate_shared_path(opts->shared_path != NULL ? opts->shared_path : SBX_DEFAULT_SHARED_PATH, err) < 0)
    return -1;
  sb->shared_path = strdup(opts->shared_path != NULL ? opts->shared_path : SBX_DEFAULT_SHARED_PATH);
  sb->user_network = opts->user_network == SBX_NET_HOST ? SBX_NET_HOST : SBX_NET_ISOLATED;
  sb->platform_network = opts->platform_network == SBX_NET_ISOLATED ? SBX_NET_ISOLATED : SBX_NET_HOST;
  if (choose_user_uid(sb, opts, err) < 0)
    return -1;
  sb->output_cap = opts->output_cap != 0 ? opts->output_cap : SBX_DEFAULT_OUTPUT_CAP;
  sb->die_with_parent = opts->die_with_parent;
  sb->warm_platform = opts->warm_platform;
  sb->platform_host_readonly = opts->platform_host_readonly;
  sb->no_landlock = opts->no_landlock;
  sb->cgroup.limits = opts->limits;
  if (opts->platform_cli != NULL && opts->platform_run_dir == NULL)
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "a platform CLI needs a platform run dir");
  if ((opts->platform_run_dir != NULL && (sb->platform_run_dir = strdup(opts->platform_run_dir)) == NULL)
      || (opts->platform_cli != NULL && (sb->platform_cli = strdup(opts->platform_cli)) == NULL)
      || (opts->platform_hidden != NULL && (sb->platform_hidden = sbx_strv_dup(opts->platform_hidden)) == NULL))
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "options");
  if (pipe2(sb->lifeline, O_CLOEXEC) != 0)
    return sbx_error_errno(err, errno, SBX_E_INTERNAL, "pipe");
  sb->legacy = opts->legacy;
  if (sb->shared_path == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "options");
  if (opts->legacy && opts->legacy_env != NULL)
    {
      if (sbx_env_validate(opts->legacy_env, SBX_CTX_USER, err) < 0)
        return sbx_error_prefix(err, "legacy env");
      while (opts->legacy_env[n] != NULL)
        n++;
      sb->legacy_env = calloc(n + 1, sizeof(char *));
      if (sb->legacy_env == NULL)
        return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "options");
      for (size_t i = 0; i < n; i++)
        if ((sb->legacy_env[i] = strdup(opts->legacy_env[i])) == NULL)
          return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "options");
    }
  sb->init_bin_fd = sealed_copy(opts->init_path, err);
  return sb->init_bin_fd < 0 ? -1 : 0;
}

static void tmpfs_options(struct sbx_sandbox *sb);

/* A cgroup named for this executor and sandbox, unique on the host. */
static int limits_create(struct sbx_sandbox *sb, struct sbx_error *err)
{
  static unsigned long seq;
  struct sbx_limits limits = sb->cgroup.limits;
  char name[64];

  if (limits.pids < -1 || limits.memory < -1 || limits.cpu_weight > 10000)
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION,
                         "limits: processes and memory are -1 (none), 0 (default) or positive; CPU weight 1 to 10000");
  if (limits.shared_max < -1)
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION,
                         "limits: the shared dir's size is -1 (none), 0 (default) or positive");
  if (limits.memory > 0 && limits.memory < (16LL << 20))
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "limits: a memory limit under 16 MiB leaves no room to start");
  snprintf(name, sizeof name, "splitbox-%d-%lu", (int)getpid(), __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
  if (sbx_cgroup_create(name, &limits, &sb->cgroup, err) < 0)
    return -1;
  tmpfs_options(sb);
  return 0;
}

/* /tmp and HOME a quarter of the memory limit each, /dev/shm an eighth; at
 * most their usual sizes (1 GiB, 256 MiB). */
static void tmpfs_options(struct sbx_sandbox *sb)
{
  long long tmp = 1LL << 30, shm = 256LL << 20, mem = sb->cgroup.limits.memory;

  if (sb->cgroup.mechanism != SBX_LIMIT_RLIMIT && sb->cgroup.mechanism != SBX_LIMIT_NONE && mem > 0)
    {
      tmp = mem / 4 < tmp ? mem / 4 : tmp;
      shm = mem / 8 < shm ? mem / 8 : shm;
    }
  snprintf(sb->user_tmp_opts, sizeof sb->user_tmp_opts, "mode=1777,size=%lld", tmp);
  snprintf(sb->user_home_opts, sizeof sb->user_home_opts, "mode=0700,size=%lld", tmp);
  snprintf(sb->user_shm_opts, sizeof sb->user_shm_opts, "mode=1777,size=%lld", shm);
}

const char *sbx_sandbox_limits_mechanism(const struct sbx_sandbox *sb)
{
  return sbx_limit_mechanism_name(sb->cgroup.mechanism);
}

struct sbx_sandbox *sbx_sandbox_create(const struct sbx_options *opts, struct sbx_error *err)
{
  struct sbx_sandbox *sb = calloc(1, sizeof *sb);
  int r;

  if (sb == NULL)
    {
      sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "create sandbox");
      return NULL;
    }
  sb->init_bin_fd = sb->user_ctl_fd = sb->shared_fd = sb->platform_fd = sb->user_landlock_fd = sb->user_uid_lock = -1;
  sb->user_userns_fd = sb->shared_mnt_user = sb->shared_mnt_platform = -1;
  sb->lifeline[0] = sb->lifeline[1] = -1;
  sb->platform_userns_fd = sb->platform_mntns_fd = -1;
  pthread_mutex_init(&sb->lock, NULL);
  pthread_mutex_init(&sb->active_lock, NULL);
  sbx_platform_spare_init(sb);
  if (apply_options(sb, opts, err) < 0)
    goto fail;
  sb->isolation = opts->isolation;
  if (sb->isolation == SBX_ISO_AUTO && sbx_isolation_detect(&sb->isolation, err) < 0)
    goto fail;
  if (sb->isolation == SBX_ISO_FALLBACK && opts->require_isolation)
    {
      sbx_error_set(err, EPERM, SBX_E_NO_NAMESPACES,
                    "namespace isolation is required, but this host refuses to create user, PID and mount "
                    "namespaces (unshare failed); without --require-isolation splitbox falls back to "
                    "process-level isolation");
      goto fail;
    }
  if (choose_subids(sb, opts, err) < 0 || setup_state(sb, opts, err) < 0 || sbx_platform_cli_install(sb, err) < 0)
    goto fail;
  if (opts->limits.shared_max > 0
      && sbx_shared_bound_create(sb, opts->shared_dir != NULL, opts->limits.shared_max, err) < 0)
    goto fail;
  /* Compiled here: libseccomp allocates, which a child of a threaded executor must not. */
  if ((r = sbx_seccomp_user_filter(&sb->user_filter, sb->isolation == SBX_ISO_FALLBACK)) != 0)
    {
      sbx_error_errno(err, -r, SBX_E_SANDBOX, "compile the user context's seccomp filter");
      goto fail;
    }
  if (sb->isolation == SBX_ISO_FALLBACK)
    sbx_fallback_prepare(sb);
  if (limits_create(sb, err) < 0)
    goto fail;
  if (sb->isolation != SBX_ISO_FALLBACK
      && (sbx_user_context_create(sb, err) < 0 || sbx_platform_context_create(sb, err) < 0
          || sbx_platform_spare_start(sb, sbx_platform_make_spare, err) < 0))
    goto fail;
  sbx_shared_bound_attached(sb);
  return sb;
fail:
  sbx_sandbox_destroy(sb);
  return NULL;
}

/* What user code made as a subordinate id (a directory of 0755, say) the
 * caller may not remove: a child removes it from inside user code's user
 * namespace, whose owner the caller is, with the capabilities that gives over
 * the ids that namespace maps. The uid lock is held until this is done. */
static void remove_as_user_code(struct sbx_sandbox *sb)
{
  pid_t pid = fork();
  int status;

  if (pid == 0)
    {
      if (setns(sb->user_userns_fd, CLONE_NEWUSER) != 0)
        _exit(1);
      sbx_remove_tree(sb->state_dir);
      _exit(0);
    }
  if (pid > 0)
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
      ;
}

void sbx_sandbox_destroy(struct sbx_sandbox *sb)
{
  if (sb == NULL)
    return;
  int *fds[] = { &sb->init_bin_fd, &sb->shared_fd, &sb->platform_fd, &sb->lifeline[0], &sb->lifeline[1],
                 &sb->user_landlock_fd, &sb->user_uid_lock, &sb->user_userns_fd, &sb->shared_mnt_user,
                 &sb->shared_mnt_platform };

  sbx_platform_spare_stop(sb);
  sbx_process_table_destroy(sb);
  sbx_user_context_destroy(sb);
  sbx_platform_context_destroy(sb);
  /* After the user init: what escaped its PID namespace (fallback commands) dies here. */
  sbx_cgroup_destroy(&sb->cgroup);
  if (sb->own_state_dir && sb->state_dir != NULL && sb->user_userns_fd >= 0)
    remove_as_user_code(sb);
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
    if (*fds[i] >= 0)
      close(*fds[i]);
  if (sb->own_state_dir && sb->state_dir != NULL)
    sbx_remove_tree(sb->state_dir);
  if (sb->legacy_env != NULL)
    for (char **e = sb->legacy_env; *e != NULL; e++)
      free(*e);
  free(sb->legacy_env);
  free(sb->state_dir);
  free(sb->shared_host_dir);
  free(sb->shared_path);
  free(sb->platform_dir);
  free(sb->platform_run_dir);
  free(sb->platform_cli);
  free(sb->platform_cli_dir);
  sbx_strvfreep(&sb->platform_hidden);
  free(sb->log_dir);
  free(sb->user_home_fallback);
  free(sb->user_tmp_fallback);
  free(sb->platform_home_fallback);
  pthread_mutex_destroy(&sb->lock);
  pthread_mutex_destroy(&sb->active_lock);
  pthread_mutex_destroy(&sb->spare_lock);
  pthread_mutex_destroy(&sb->spare_stop_lock);
  pthread_cond_destroy(&sb->spare_cond);
  free(sb->active);
  sbx_seccomp_free(&sb->user_filter);
  free(sb);
}

enum sbx_isolation sbx_sandbox_isolation(const struct sbx_sandbox *sb)
{
  return sb->isolation;
}

const char *sbx_sandbox_state_dir(const struct sbx_sandbox *sb)
{
  return sb->state_dir;
}

const char *sbx_sandbox_shared_host_dir(const struct sbx_sandbox *sb)
{
  return sb->shared_host_dir;
}

/* Where the platform's private directory is, as platform commands see it. */
const char *sbx_sandbox_platform_path(const struct sbx_sandbox *sb)
{
  return sb->isolation == SBX_ISO_FALLBACK ? sb->platform_dir : SBX_PLATFORM_PRIVATE_PATH;
}

const char *sbx_sandbox_shared_path(const struct sbx_sandbox *sb, enum sbx_context ctx)
{
  (void)ctx;
  /* Without a mount namespace the shared dir can only appear where it is. */
  return sb->isolation == SBX_ISO_FALLBACK ? sb->shared_host_dir : sb->shared_path;
}

pid_t sbx_sandbox_user_init_pid(const struct sbx_sandbox *sb)
{
  return sb->user_init_pid;
}
