/* env-self: our own environment, our parent's, and what inherited fds hold.
 * An inherited fd is read through itself: re-opening /proc/self/fd/N checks
 * the file's permissions again (EACCES for another uid's file), while the fd
 * carries the access it was opened with. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe.h"

#define FD_READ_MAX (1 << 20)

extern char **environ;

static const char *fd_kind(mode_t mode)
{
  if (S_ISREG(mode))
    return "file";
  if (S_ISSOCK(mode))
    return "socket";
  if (S_ISFIFO(mode))
    return "pipe";
  if (S_ISCHR(mode))
    return "char device";
  if (S_ISDIR(mode))
    return "directory";
  return "other";
}

/* A pipe's data, copied with tee(2) into a pipe of ours: its reader loses nothing. */
static ssize_t peek_pipe(int fd, char *buf, size_t len)
{
  int pp[2];
  ssize_t n;

  if (pipe2(pp, O_CLOEXEC | O_NONBLOCK) != 0)
    return -1;
  n = tee(fd, pp[1], len, SPLICE_F_NONBLOCK);
  if (n > 0)
    n = read(pp[0], buf, (size_t)n);
  {
    int e = errno;
    close(pp[0]);
    close(pp[1]);
    errno = e;
  }
  return n;
}

/* Reads what the fd holds without ever blocking: a file from offset 0 (pread
 * leaves the shared offset alone), a pipe or socket only if poll says it has
 * data now; a socket or pipe is peeked at, so that its owner loses nothing. */
static void read_fd(struct probe *p, int fd, const struct stat *st)
{
  static char buf[FD_READ_MAX];
  struct pollfd pfd = { .fd = fd, .events = POLLIN };
  char target[64];
  ssize_t n;

  snprintf(target, sizeof target, "fd %d (%s)", fd, fd_kind(st->st_mode));
  if (S_ISDIR(st->st_mode))
    return;
  if (S_ISREG(st->st_mode))
    n = pread(fd, buf, sizeof buf, 0);
  else if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLIN))
    {
      probe_attempt(p, "inherited-fd-read", target, false, EAGAIN, "nothing to read now");
      return;
    }
  else if (S_ISCHR(st->st_mode))
    {
      /* A terminal or a device: reading it would take its input. */
      probe_attempt(p, "inherited-fd-read", target, false, 0, "skipped: a device");
      return;
    }
  else if (S_ISSOCK(st->st_mode))
    n = recv(fd, buf, sizeof buf, MSG_DONTWAIT | MSG_PEEK);
  else if (S_ISFIFO(st->st_mode))
    n = peek_pipe(fd, buf, sizeof buf);
  else
    n = read(fd, buf, sizeof buf);
  if (n > 0)
    probe_scan(p, buf, (size_t)n);
  probe_attempt(p, "inherited-fd-read", target, n >= 0, errno, "%zd bytes", n);
}

void probe_env_self(struct probe *p)
{
  char path[64];
  DIR *d;
  struct dirent *de;
  int fds = 0;

  for (char **e = environ; *e != NULL; e++)
    probe_scan(p, *e, strlen(*e));
  probe_attempt(p, "environ", "self", true, 0, NULL);
  probe_scan_file(p, "proc-environ", "/proc/self/environ");
  snprintf(path, sizeof path, "/proc/%d/environ", (int)getppid());
  probe_scan_file(p, "parent-environ", path);
  d = opendir("/proc/self/fd");
  probe_attempt(p, "list", "/proc/self/fd", d != NULL, errno, NULL);
  while (d != NULL && (de = readdir(d)) != NULL)
    {
      int fd = atoi(de->d_name);
      struct stat st;
      if (de->d_name[0] == '.' || fd < 0 || fd == dirfd(d) || fstat(fd, &st) != 0)
        continue;
      /* Standard streams only when they are files (`cmd < credentials`): a pipe there is our harness's. */
      if (fd <= 2 && !S_ISREG(st.st_mode))
        continue;
      fds++;
      read_fd(p, fd, &st);
      if (S_ISREG(st.st_mode))
        {
          snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
          probe_scan_file(p, "inherited-fd-reopen", path);
        }
    }
  if (d != NULL)
    closedir(d);
  probe_observe(p, "inherited_fds", "%d", fds);
}
