/* Landlock for user code: a filesystem allow list, and the scopes that keep
 * it from signalling or reaching abstract sockets of processes outside its
 * domain. Landlock also limits ptrace (and so /proc/PID/environ and mem) to
 * processes inside the domain. The ruleset is built in the parent, where
 * paths are opened and memory may be allocated; the child only restricts
 * itself, with no allocation (after a fork of a threaded daemon). The ABI is
 * found by asking the kernel, and each feature is used only where present. */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "landlock.h"

/* Debian's uapi header stops at ABI 2: the later bits, from the kernel's. */
#define ACCESS_FS_TRUNCATE (1ULL << 14)  /* ABI 3 */
#define ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#define SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define SCOPE_SIGNAL (1ULL << 1)               /* ABI 6 */

/* struct landlock_ruleset_attr as of ABI 6; fields an older kernel lacks stay zero. */
struct ruleset_attr
{
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};

#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_READ_EXEC (FS_READ | LANDLOCK_ACCESS_FS_EXECUTE)
#define FS_ABI1_ALL                                                                                                 \
  (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE                       \
   | LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE                  \
   | LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG                      \
   | LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK                   \
   | LANDLOCK_ACCESS_FS_MAKE_SYM)

int sbx_landlock_abi(void)
{
  long abi = syscall(__NR_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return abi > 0 ? (int)abi : 0;
}

static uint64_t handled_fs(int abi)
{
  uint64_t all = FS_ABI1_ALL;

  if (abi >= 2)
    all |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3)
    all |= ACCESS_FS_TRUNCATE;
  if (abi >= 5)
    all |= ACCESS_FS_IOCTL_DEV;
  return all;
}

/* What a class of path may do, within what the ABI handles. */
static uint64_t access_for(enum sbx_landlock_access a, int abi)
{
  uint64_t handled = handled_fs(abi);

  switch (a)
    {
    case SBX_LANDLOCK_READ: return FS_READ & handled;
    case SBX_LANDLOCK_READ_EXEC: return FS_READ_EXEC & handled;
    case SBX_LANDLOCK_DEVICES:
      /* /dev/null, tty and friends: read, write and ioctl, never make nodes. */
      return (FS_READ | LANDLOCK_ACCESS_FS_WRITE_FILE | ACCESS_FS_TRUNCATE | ACCESS_FS_IOCTL_DEV) & handled;
    case SBX_LANDLOCK_READ_WRITE:
      return handled & ~(LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_BLOCK);
    default: return 0;
    }
}

static int add_path(int ruleset, const char *path, uint64_t allowed, struct sbx_error *err)
{
  struct landlock_path_beneath_attr attr = { 0 };
  _cleanup_close_ int fd = open(path, O_PATH | O_CLOEXEC);
  struct stat st;

  if (fd < 0)
    {
      if (errno == ENOENT)
        return 0; /* absent on this host: nothing to allow */
      return sbx_error_errno(err, errno, SBX_E_SANDBOX, "landlock: open %s", path);
    }
  /* A rule on a file may only carry file rights. */
  if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
    allowed &= LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE
               | ACCESS_FS_TRUNCATE | ACCESS_FS_IOCTL_DEV;
  attr.allowed_access = allowed;
  attr.parent_fd = fd;
  if (allowed != 0 && syscall(__NR_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &attr, 0) != 0)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "landlock: allow %s", path);
  return 0;
}

int sbx_landlock_ruleset_new(const struct sbx_landlock_rule *rules, size_t n, int *abi_out, struct sbx_error *err)
{
  struct ruleset_attr attr = { 0 };
  int abi = sbx_landlock_abi();
  _cleanup_close_ int ruleset = -1;

  *abi_out = abi;
  if (abi == 0)
    return sbx_error_set(err, EOPNOTSUPP, SBX_E_SANDBOX, "landlock is not available on this kernel");
  attr.handled_access_fs = handled_fs(abi);
  if (abi >= 6)
    attr.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL;
  ruleset = (int)syscall(__NR_landlock_create_ruleset, &attr, sizeof attr, 0);
  if (ruleset < 0)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "landlock: create ruleset (ABI %d)", abi);
  for (size_t i = 0; i < n; i++)
    if (add_path(ruleset, rules[i].path, access_for(rules[i].access, abi), err) < 0)
      return -1;
  return sbx_steal_fd(&ruleset);
}

int sbx_landlock_restrict(int ruleset_fd)
{
  /* landlock_restrict_self needs no_new_privs without CAP_SYS_ADMIN. */
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return -errno;
  if (syscall(__NR_landlock_restrict_self, ruleset_fd, 0) != 0)
    return -errno;
  return 0;
}
