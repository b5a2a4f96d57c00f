/* openat2, retried on EAGAIN: with RESOLVE_BENEATH or RESOLVE_IN_ROOT the
 * kernel refuses a ".." it cannot verify during a concurrent mount or rename
 * anywhere on the host, and asks the caller to try again. */
#include <errno.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "resolve.h"

#define RETRIES 64

int sbx_openat2(int dirfd, const char *path, struct open_how *how)
{
  int fd = -1;

  for (int tries = 0; tries < RETRIES; tries++)
    if ((fd = (int)syscall(SYS_openat2, dirfd, path, how, sizeof *how)) >= 0 || errno != EAGAIN)
      break;
  return fd;
}

/* Through our own /proc/self/fd: linkat's AT_EMPTY_PATH wants
 * CAP_DAC_READ_SEARCH. Our own fds stay ours to follow, even non-dumpable (as
 * a uid change leaves a process). */
int sbx_link_unnamed(int fd, int dir_fd, const char *name)
{
  char proc[64];

  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  return linkat(AT_FDCWD, proc, dir_fd, name, AT_SYMLINK_FOLLOW);
}
