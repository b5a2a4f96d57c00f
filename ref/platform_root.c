/* The platform context's view: the host's filesystem, plus the persistent
 * platform-private directory at /platform and the shared directory. It is
 * built once per sandbox as a template mount namespace; each platform
 * command gets its own copy of it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "executor.h"
#include "mounts.h"
#include "platform_root.h"

#define NEWROOT "/tmp/.splitbox-platform-root"

/* The host has a mountpoint for the operations socket (a root daemon makes
 * it): then the host's /run is bound whole, live, and the socket's directory
 * over /run/splitbox. Without one, the view gets a /run of its own. */
static bool host_run_mountpoint(void)
{
  struct stat st;
  return lstat(SBX_PLATFORM_RUN_PATH, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Entries of the host's / that each command gets fresh, or that we replace. */
static bool skipped(const char *name, const struct sbx_platform_root_spec *spec, bool own_run)
{
  static const char *const fresh[] = { "tmp", "proc" };

  if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || (own_run && strcmp(name, "run") == 0))
    return true;
  for (size_t i = 0; i < sizeof fresh / sizeof fresh[0]; i++)
    if (strcmp(name, fresh[i]) == 0)
      return true;
  return strcmp(name, &SBX_PLATFORM_PRIVATE_PATH[1]) == 0 || strcmp(name, spec->shared_path + 1) == 0;
}

/* Binds the host's DIR/NAME at NEWROOT/DIR/NAME ("" for the root). */
static int add_host_entry(const char *dir, const char *name, bool readonly, struct sbx_error *err)
{
  char host[PATH_MAX], dest[PATH_MAX];
  struct stat st;

  snprintf(host, sizeof host, "%s/%s", dir, name);
  if (snprintf(dest, sizeof dest, NEWROOT "%s/%s", dir, name) >= (int)sizeof dest || lstat(host, &st) != 0)
    return 0;
  if (S_ISLNK(st.st_mode))
    return sbx_copy_symlink(host, dest, err);
  if (S_ISDIR(st.st_mode))
    {
      if (mkdir(dest, 0755) != 0)
        return sbx_error_child(err, errno, SBX_E_SANDBOX, "mkdir %s", dest);
    }
  /* Files, sockets, FIFOs and devices: a file to bind onto. */
  else if (sbx_touch(dest, err) < 0)
    return -1;
  if (mount(host, dest, NULL, MS_BIND | MS_REC, NULL) != 0)
    {
      /* Gone since readdir: the host changes under us, and that is no error. */
      if (errno == ENOENT)
        {
          S_ISDIR(st.st_mode) ? rmdir(dest) : unlink(dest);
          return 0;
        }
      return sbx_error_child(err, errno, SBX_E_SANDBOX, "bind %s", host);
    }
  /* Every submount too: a recursive bind keeps each one's own flags. */
  if (readonly && sbx_mount_set_attrs(dest, true, MOUNT_ATTR_RDONLY, err) < 0)
    return -1;
  return 0;
}

/* A /run of the view's own, for hosts with no /run/splitbox to mount on (an
 * unprivileged daemon cannot make one): a read-only tmpfs, so that it is no
 * channel between platform commands, with the host's entries bound in it. Its
 * top level is a snapshot taken when the sandbox starts; below it, all is live. */
static int build_own_run(bool readonly, struct sbx_error *err)
{
  DIR *d;
  struct dirent *de;
  int r = 0;

  if (sbx_mkdir_p(NEWROOT "/run", 0755, err) < 0 || sbx_mount_tmpfs(NEWROOT "/run", "mode=0755,size=1m", err) < 0)
    return -1;
  d = opendir("/run");
  while (r == 0 && d != NULL && (de = readdir(d)) != NULL)
    if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 && strcmp(de->d_name, "splitbox") != 0)
      r = add_host_entry("/run", de->d_name, readonly, err);
  if (d != NULL)
    closedir(d);
  if (r < 0 || sbx_mkdir_p(NEWROOT SBX_PLATFORM_RUN_PATH, 0755, err) < 0)
    return -1;
  return sbx_mount_set_readonly(NEWROOT "/run", err);
}

/* Covers up host paths the view must not show (a daemon's state and control
 * socket): an empty read-only tmpfs over a directory, /dev/null over a file. */
static int hide(const char *const *paths, struct sbx_error *err)
{
  for (const char *const *p = paths; p != NULL && *p != NULL; p++)
    {
      char dest[PATH_MAX];
      struct stat st;

      if (snprintf(dest, sizeof dest, NEWROOT "%s", *p) >= (int)sizeof dest || lstat(dest, &st) != 0)
        continue; /* not in the view (under /tmp, say) */
      if (S_ISDIR(st.st_mode))
        {
          if (sbx_mount_tmpfs(dest, "mode=0755,size=4k", err) < 0 || sbx_mount_set_readonly(dest, err) < 0)
            return sbx_error_prefix(err, "hide %s", *p);
        }
      else if (!S_ISLNK(st.st_mode) && sbx_mount_bind("/dev/null", dest, false, true, err) < 0)
        return sbx_error_prefix(err, "hide %s", *p);
    }
  return 0;
}

int sbx_platform_root_build(const struct sbx_platform_root_spec *spec, struct sbx_error *err)
{
  char path[PATH_MAX], private_src[64], shared_src[64], run_src[64], cli_src[64];
  _cleanup_close_ int private_fd = -1, shared_fd = -1, run_fd = -1, cli_fd = -1;
  bool own_run;
  DIR *d;
  struct dirent *de;
  int r = 0;

  if (sbx_make_slave(err) < 0)
    return -1;
  /* Opened now, in our new namespace, before the scratch tmpfs may hide their paths. */
  private_fd = open(spec->private_source, O_PATH | O_DIRECTORY | O_CLOEXEC);
  shared_fd = spec->shared_detached ? dup(spec->shared_mount_fd)
                                    : open(spec->shared_source, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (spec->run_source != NULL)
    run_fd = open(spec->run_source, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (private_fd < 0 || shared_fd < 0 || (spec->run_source != NULL && run_fd < 0))
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "platform root: open state directories");
  if (spec->run_source != NULL && spec->cli_source != NULL
      && (cli_fd = open(spec->cli_source, O_PATH | O_CLOEXEC)) < 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "platform root: open the platform CLI");
  own_run = spec->run_source != NULL && !host_run_mountpoint();
  snprintf(run_src, sizeof run_src, "/proc/self/fd/%d", run_fd);
  snprintf(private_src, sizeof private_src, "/proc/self/fd/%d", private_fd);
  snprintf(shared_src, sizeof shared_src, "/proc/self/fd/%d", shared_fd);
  if (sbx_mount_tmpfs("/tmp", "mode=0755", err) < 0 || sbx_mkdir_p(NEWROOT, 0755, err) < 0
      || sbx_mount_tmpfs(NEWROOT, "mode=0755", err) < 0)
    return sbx_error_prefix(err, "platform root");
  d = opendir("/");
  if (d == NULL)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "platform root: read /");
  while (r == 0 && (de = readdir(d)) != NULL)
    if (!skipped(de->d_name, spec, own_run))
      r = add_host_entry("", de->d_name, spec->host_readonly, err);
  closedir(d);
  if (r < 0 || (own_run && build_own_run(spec->host_readonly, err) < 0) || hide(spec->hidden, err) < 0)
    return sbx_error_prefix(err, "platform root");
  /* Read-only: platform code must not remove the socket, nor plant files beside it. */
  if (spec->run_source != NULL && sbx_mount_bind(run_src, NEWROOT SBX_PLATFORM_RUN_PATH, false, true, err) < 0)
    return sbx_error_prefix(err, "%s", SBX_PLATFORM_RUN_PATH);
  if (cli_fd >= 0)
    {
      snprintf(cli_src, sizeof cli_src, "/proc/self/fd/%d", cli_fd);
      if (sbx_mount_bind(cli_src, NEWROOT SBX_PLATFORM_RUN_PATH "/" SBX_PLATFORM_CLI_DIR "/splitbox", false, true, err) < 0)
        return sbx_error_prefix(err, "the platform CLI");
    }
  /* /proc: the host's, so that each command may mount a fresh one over it
   * (the kernel requires a visible proc mount in the namespace). */
  if (sbx_mkdir_p(NEWROOT "/proc", 0755, err) < 0
      || (mount("/proc", NEWROOT "/proc", NULL, MS_BIND | MS_REC, NULL) != 0
          && sbx_error_child(err, errno, SBX_E_SANDBOX, "bind /proc") < 0))
    return sbx_error_prefix(err, "platform root");
  if (sbx_mkdir_p(NEWROOT "/tmp", 0755, err) < 0)
    return sbx_error_prefix(err, "platform root");
  snprintf(path, sizeof path, NEWROOT "%s", SBX_PLATFORM_PRIVATE_PATH);
  if (sbx_mkdir_p(path, 0755, err) < 0 || sbx_mount_bind(private_src, path, false, false, err) < 0)
    return sbx_error_prefix(err, "platform private dir");
  snprintf(path, sizeof path, NEWROOT "%s", spec->shared_path);
  /* nosymfollow: user code writes here, and a symlink it planted must not
   * send a platform command's write (or read) elsewhere as the platform. */
  if (sbx_mkdir_p(path, 0755, err) < 0
      || (spec->shared_detached ? sbx_mount_attach(shared_fd, path, err)
                                : sbx_mount_bind(shared_src, path, false, false, err)) < 0
      || sbx_mount_set_attrs(path, false, MOUNT_ATTR_NOSYMFOLLOW, err) < 0)
    return sbx_error_prefix(err, "shared dir");
  if (sbx_pivot_into(NEWROOT, err) < 0 || sbx_mount_set_readonly("/", err) < 0 || sbx_make_slave(err) < 0)
    return sbx_error_prefix(err, "platform root");
  return 0;
}
