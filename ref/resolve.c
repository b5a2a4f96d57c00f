/* openat2, retried on EAGAIN: with RESOLVE_BENEATH or RESOLVE_IN_ROOT the
 * kernel refuses a ".." it cannot verify during a concurrent mount or rename
 * anywhere on the host, and asks the caller to try again. */
#include <errno.h>
#include <linux/openat2.h>
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
