/* uid/gid maps of a new user namespace, written from the parent namespace:
 * only there may a privileged executor map to an arbitrary host id. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "privileges.h"

static int write_proc_file(pid_t pid, const char *name, const char *content, struct sbx_error *err)
{
  char path[64];
  _cleanup_close_ int fd = -1;
  size_t len = strlen(content);
  ssize_t n;

  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
  fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "open %s", path);
  n = write(fd, content, len);
  if (n < 0)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "write %s", path);
  if ((size_t)n != len)
    return sbx_error_set(err, EIO, SBX_E_SANDBOX, "write %s: short write", path);
  return 0;
}

int sbx_userns_write_maps(pid_t pid, uid_t inside_uid, uid_t outside_uid, gid_t inside_gid, gid_t outside_gid,
                          bool deny_setgroups, struct sbx_error *err)
{
  char map[64];

  /* Unprivileged writers must deny setgroups before they may write gid_map. */
  if (deny_setgroups && write_proc_file(pid, "setgroups", "deny", err) < 0)
    return -1;
  snprintf(map, sizeof map, "%u %u 1\n", (unsigned)inside_uid, (unsigned)outside_uid);
  if (write_proc_file(pid, "uid_map", map, err) < 0)
    return -1;
  snprintf(map, sizeof map, "%u %u 1\n", (unsigned)inside_gid, (unsigned)outside_gid);
  if (write_proc_file(pid, "gid_map", map, err) < 0)
    return -1;
  return 0;
}
