/* The user context's view of the filesystem, built inside its fresh mount
 * namespace: read-only system directories, a minimal /dev, a fresh /proc,
 * private /tmp and HOME, and the shared directory. Nothing else of the host. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "executor.h"
#include "mounts.h"
#include "proc_mask.h"
#include "user_root.h"

#define NEWROOT "/tmp/.splitbox-root"

static const char *const system_dirs[] = { "usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc" };
static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
static const struct
{
  const char *link, *target;
} dev_links[] = {
  { "ptmx", "pts/ptmx" },
  { "fd", "/proc/self/fd" },
  { "stdin", "/proc/self/fd/0" },
  { "stdout", "/proc/self/fd/1" },
  { "stderr", "/proc/self/fd/2" },
};

static int path_in_root(char *buf, size_t len, const char *rel, struct sbx_error *err)
{
  if (snprintf(buf, len, NEWROOT "/%s", rel) >= (int)len)
    return sbx_error_set(err, ENAMETOOLONG, SBX_E_SANDBOX, "path too long: %s", rel);
  return 0;
}

/* A system directory: bound read-only, or recreated as the symlink it is on a merged-/usr host. */
static int add_system_dir(const char *name, struct sbx_error *err)
{
  char host[PATH_MAX], dest[PATH_MAX];
  struct stat st;

  snprintf(host, sizeof host, "/%s", name);
  if (lstat(host, &st) != 0)
    return 0; /* absent on this host: nothing to expose */
  if (path_in_root(dest, sizeof dest, name, err) < 0)
    return -1;
  if (S_ISLNK(st.st_mode))
    return sbx_copy_symlink(host, dest, err);
  if (!S_ISDIR(st.st_mode))
    return 0;
  if (mkdir(dest, 0755) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "mkdir %s", dest);
  return sbx_mount_bind(host, dest, true, true, err);
}

static int build_dev(const char *shm_opts, struct sbx_error *err)
{
  char path[PATH_MAX], host[64];

  if (sbx_mkdir_p(NEWROOT "/dev", 0755, err) < 0 || sbx_mount_tmpfs(NEWROOT "/dev", "mode=0755,size=64k", err) < 0)
    return -1;
  for (size_t i = 0; i < sizeof dev_nodes / sizeof dev_nodes[0]; i++)
    {
      /* mknod is not allowed in a user namespace: bind the host's nodes. */
      snprintf(path, sizeof path, NEWROOT "/dev/%s", dev_nodes[i]);
      snprintf(host, sizeof host, "/dev/%s", dev_nodes[i]);
      if (sbx_touch(path, err) < 0)
        return -1;
      if (mount(host, path, NULL, MS_BIND, NULL) != 0)
        return sbx_error_child(err, errno, SBX_E_SANDBOX, "bind %s", host);
    }
  for (size_t i = 0; i < sizeof dev_links / sizeof dev_links[0]; i++)
    {
      snprintf(path, sizeof path, NEWROOT "/dev/%s", dev_links[i].link);
      if (symlink(dev_links[i].target, path) != 0)
        return sbx_error_child(err, errno, SBX_E_SANDBOX, "symlink %s", path);
    }
  if (sbx_mkdir_p(NEWROOT "/dev/pts", 0755, err) < 0)
    return -1;
  if (mount("devpts", NEWROOT "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620")
      != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "mount devpts");
  if (sbx_mkdir_p(NEWROOT "/dev/shm", 0755, err) < 0
      || sbx_mount_tmpfs(NEWROOT "/dev/shm", shm_opts, err) < 0)
    return -1;
  return 0;
}

int sbx_user_root_build(const struct sbx_user_root_spec *spec, struct sbx_error *err)
{
  char path[PATH_MAX], shared[64];

  if (sbx_make_slave(err) < 0)
    return -1;
  snprintf(shared, sizeof shared, "/proc/self/fd/%d", spec->shared_fd);
  /* A private tmpfs on /tmp as scratch space, and the new root inside it. */
  if (sbx_mount_tmpfs("/tmp", "mode=0755", err) < 0 || sbx_mkdir_p(NEWROOT, 0755, err) < 0
      || sbx_mount_tmpfs(NEWROOT, "mode=0755,size=1m", err) < 0)
    return sbx_error_prefix(err, "user root");
  for (size_t i = 0; i < sizeof system_dirs / sizeof system_dirs[0]; i++)
    if (add_system_dir(system_dirs[i], err) < 0)
      return sbx_error_prefix(err, "user root");
  if (build_dev(spec->shm_opts, err) < 0)
    return sbx_error_prefix(err, "user /dev");
  if (sbx_mkdir_p(NEWROOT "/proc", 0755, err) < 0 || sbx_mount_proc(NEWROOT "/proc", err) < 0
      || sbx_proc_mask(NEWROOT "/proc", err) < 0)
    return sbx_error_prefix(err, "user /proc");
  if (sbx_mkdir_p(NEWROOT "/tmp", 0755, err) < 0 || sbx_mount_tmpfs(NEWROOT "/tmp", spec->tmp_opts, err) < 0)
    return sbx_error_prefix(err, "user /tmp");
  if (path_in_root(path, sizeof path, &SBX_USER_HOME[1], err) < 0 || sbx_mkdir_p(path, 0755, err) < 0
      || sbx_mount_tmpfs(path, spec->home_opts, err) < 0)
    return sbx_error_prefix(err, "user HOME");
  if (path_in_root(path, sizeof path, spec->shared_path + 1, err) < 0 || sbx_mkdir_p(path, 0755, err) < 0
      || (spec->shared_detached ? sbx_mount_attach(spec->shared_fd, path, err)
                                : sbx_mount_bind(shared, path, false, false, err)) < 0)
    return sbx_error_prefix(err, "shared dir");
  if (sbx_pivot_into(NEWROOT, err) < 0)
    return sbx_error_prefix(err, "user root");
  if (sbx_mount_set_readonly("/", err) < 0 || sbx_mount_set_readonly("/dev", err) < 0)
    return sbx_error_prefix(err, "user root");
  return 0;
}
