/* Mount helpers used while building a context's view. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "mounts.h"

int sbx_mount_tmpfs(const char *target, const char *opts, struct sbx_error *err)
{
  if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "mount tmpfs on %s", target);
  return 0;
}

static int setattr(const char *target, unsigned int flags, uint64_t set, struct sbx_error *err)
{
  struct mount_attr attr = { .attr_set = set };

  if (syscall(SYS_mount_setattr, AT_FDCWD, target, flags, &attr, sizeof attr) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "mount_setattr %s", target);
  return 0;
}

int sbx_mount_bind(const char *source, const char *target, bool recursive, bool readonly, struct sbx_error *err)
{
  unsigned long flags = MS_BIND | (recursive ? MS_REC : 0);
  uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (readonly ? MOUNT_ATTR_RDONLY : 0);

  if (mount(source, target, NULL, flags, NULL) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "bind %s on %s", source, target);
  /* mount_setattr applies to every submount at once, where a remount would
   * leave submounts of a recursive bind writable. */
  return setattr(target, recursive ? AT_RECURSIVE : 0, attrs, err);
}

int sbx_mount_attach(int mount_fd, const char *target, struct sbx_error *err)
{
  if (syscall(SYS_move_mount, mount_fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "attach a mount on %s", target);
  return 0;
}

int sbx_mount_set_readonly(const char *target, struct sbx_error *err)
{
  return setattr(target, 0, MOUNT_ATTR_RDONLY, err);
}

int sbx_mount_set_attrs(const char *target, bool recursive, uint64_t attrs, struct sbx_error *err)
{
  return setattr(target, recursive ? AT_RECURSIVE : 0, attrs, err);
}

int sbx_mount_proc(const char *target, struct sbx_error *err)
{
  if (mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "mount proc on %s", target);
  return 0;
}

int sbx_make_slave(struct sbx_error *err)
{
  /* Nothing we mount may propagate back to the host. */
  if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "make / a recursive slave");
  return 0;
}

int sbx_pivot_into(const char *newroot, struct sbx_error *err)
{
  if (chdir(newroot) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "chdir %s", newroot);
  /* pivot_root(".", ".") stacks the old root on the new one; detaching it
   * then leaves no path to the host's tree. */
  if (syscall(SYS_pivot_root, ".", ".") != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "pivot_root %s", newroot);
  if (umount2(".", MNT_DETACH) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "detach the old root");
  if (chdir("/") != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "chdir / after pivot_root");
  return 0;
}

int sbx_mkdir_p(const char *path, mode_t mode, struct sbx_error *err)
{
  char buf[PATH_MAX];

  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
    return sbx_error_set(err, ENAMETOOLONG, SBX_E_SANDBOX, "mkdir %s: path too long", path);
  for (char *p = buf + 1;; p++)
    {
      char c = *p;
      if (c != '/' && c != '\0')
        continue;
      *p = '\0';
      if (mkdir(buf, mode) != 0 && errno != EEXIST)
        return sbx_error_child(err, errno, SBX_E_SANDBOX, "mkdir %s", buf);
      *p = c;
      if (c == '\0')
        break;
    }
  return 0;
}

int sbx_touch(const char *path, struct sbx_error *err)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "create %s", path);
  close(fd);
  return 0;
}

int sbx_loopback_up(struct sbx_error *err)
{
  struct ifreq ifr;
  _cleanup_close_ int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  if (sock < 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "socket for lo");
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, "lo", sizeof "lo");
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "get flags of lo");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(sock, SIOCSIFFLAGS, &ifr) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "bring up lo");
  return 0;
}

int sbx_copy_symlink(const char *host, const char *dest, struct sbx_error *err)
{
  char target[PATH_MAX];
  ssize_t n = readlink(host, target, sizeof target - 1);

  if (n < 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "readlink %s", host);
  target[n] = '\0';
  if (symlink(target, dest) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "symlink %s", dest);
  return 0;
}
