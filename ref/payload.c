/* The spawn payload: what a supervisor needs to run a command, passed in a
 * memfd so that its size is bounded by memory, not by a socket's buffer.
 * Format: cwd NUL command NUL env-entry NUL ... */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "io.h"
#include "payload.h"
#include "proto.h"

/* Composed whole, then written at once: a command of a few variables takes
 * one write, not one per string. */
int sbx_payload_create(const char *cwd, const char *command, char *const *envp, struct sbx_error *err)
{
  _cleanup_close_ int fd = memfd_create("splitbox-spawn", MFD_CLOEXEC);
  _cleanup_free_ char *buf = NULL;
  const char *head[2] = { cwd != NULL ? cwd : "", command };
  size_t len = 0, at = 0;

  if (fd < 0)
    return sbx_error_errno(err, errno, SBX_E_INTERNAL, "memfd_create");
  for (size_t i = 0; i < 2; i++)
    len += strlen(head[i]) + 1;
  for (char *const *e = envp; *e != NULL; e++)
    len += strlen(*e) + 1;
  if ((buf = malloc(len)) == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "spawn payload");
  for (size_t i = 0; i < 2; i++)
    at = (size_t)(stpcpy(buf + at, head[i]) - buf) + 1;
  for (char *const *e = envp; *e != NULL; e++)
    at = (size_t)(stpcpy(buf + at, *e) - buf) + 1;
  if (sbx_write_all(fd, buf, len) < 0)
    return sbx_error_errno(err, errno, SBX_E_INTERNAL, "write spawn payload");
  return sbx_steal_fd(&fd);
}

static int place_fds(const int *src, size_t n, int first)
{
  int tmp[SBX_SUPERVISE_FDS];

  if (n > SBX_SUPERVISE_FDS)
    return -1;
  /* Park every fd above the targets first, so that no dup2 clobbers a source. */
  for (size_t i = 0; i < n; i++)
    if ((tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 64)) < 0)
      return -1;
  for (size_t i = 0; i < n; i++)
    if (dup2(tmp[i], first + (int)i) < 0)
      return -1;
  for (size_t i = 0; i < n; i++)
    close(tmp[i]);
  return 0;
}

static int exec_init(int init_fd, char *const argv[], const int *fds, size_t n, struct sbx_error *err)
{
  char *const envp[] = { NULL };
  int parked = fcntl(init_fd, F_DUPFD_CLOEXEC, 64);

  /* A fresh image: nothing of the executor's memory or environment survives. */
  if (parked < 0 || place_fds(fds, n, SBX_SUPERVISE_FIRST_FD) < 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "place the supervisor's fds");
  if (syscall(SYS_close_range, SBX_SUPERVISE_FIRST_FD + (unsigned int)n, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "close_range");
  syscall(SYS_execveat, parked, "", argv, envp, AT_EMPTY_PATH);
  return sbx_error_child(err, errno, SBX_E_SANDBOX, "exec the supervisor");
}

int sbx_exec_supervisor(int init_fd, const int fds[SBX_SUPERVISE_FDS], bool ns_init, struct sbx_error *err)
{
  char *const argv[] = { (char *)"splitbox-init", (char *)"supervise", (char *)(ns_init ? "--ns-init" : NULL),
                         NULL };

  return exec_init(init_fd, argv, fds, SBX_SUPERVISE_FDS, err);
}

int sbx_exec_spare_supervisor(int init_fd, int job_fd, int lifeline_fd, struct sbx_error *err)
{
  char *const argv[] = { (char *)"splitbox-init", (char *)"supervise", (char *)"--ns-init", (char *)"--job", NULL };
  const int fds[] = { job_fd, lifeline_fd };

  return exec_init(init_fd, argv, fds, 2, err);
}
