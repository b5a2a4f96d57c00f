/* Path resolution beneath a root with openat2, and naming an unnamed file. */
#pragma once

#include <fcntl.h>
#include <stdbool.h>

struct open_how;
/* openat2, retried while the kernel answers EAGAIN. */
int sbx_openat2(int dirfd, const char *path, struct open_how *how);
/* Whether open flags make a file, and so take a mode: O_TMPFILE does too (openat2 refuses a mode without one of
 * the two, and an O_TMPFILE file made without one is 0000). */
static inline bool sbx_open_creates(int flags)
{
  return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}
/* Gives fd, an unnamed file (O_TMPFILE), the name name in dir_fd, with the
 * caller's credentials: 0, or -1 and errno. */
int sbx_link_unnamed(int fd, int dir_fd, const char *name);
