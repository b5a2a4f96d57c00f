/* pidfd-getfd: take copies of the victim's fds with pidfd_getfd and read
 * them: files are read, a listening socket is connected to. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "probe.h"

static void read_socket(struct probe *p, int fd)
{
  struct sockaddr_storage addr;
  socklen_t len = sizeof addr;
  int listening = 0, c;
  socklen_t optlen = sizeof listening;
  char buf[4096];

  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) != 0 || !listening
      || getsockname(fd, (struct sockaddr *)&addr, &len) != 0)
    return;
  /* A stolen listener: connect to it as its clients do. */
  c = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c >= 0 && connect(c, (struct sockaddr *)&addr, len) == 0)
    {
      struct pollfd pfd = { .fd = c, .events = POLLIN };
      ssize_t n = poll(&pfd, 1, 300) == 1 ? read(c, buf, sizeof buf) : -1;
      if (n > 0)
        probe_scan(p, buf, (size_t)n);
      probe_attempt(p, "connect-stolen-listener", "socket", n > 0, errno, "%zd bytes", n);
    }
  if (c >= 0)
    close(c);
}

void probe_pidfd_getfd(struct probe *p)
{
  probe_find_target_attempt(p);
  for (int i = 0; i < p->n_targets; i++)
    {
      int pidfd = (int)syscall(SYS_pidfd_open, p->targets[i], 0), stolen = 0;

      if (pidfd < 0)
        {
          probe_attempt(p, "pidfd_open", "victim", false, errno, NULL);
          continue;
        }
      probe_attempt(p, "pidfd_open", "victim", true, 0, NULL);
      for (int target_fd = 0; target_fd < 64; target_fd++)
        {
          int fd = (int)syscall(SYS_pidfd_getfd, pidfd, target_fd, 0);
          struct stat st = { 0 };
          char what[32];
          if (fd < 0)
            {
              if (errno != EBADF)
                probe_attempt(p, "pidfd_getfd", "victim", false, errno, "fd %d", target_fd);
              continue;
            }
          stolen++;
          snprintf(what, sizeof what, "fd %d", target_fd);
          if (fstat(fd, &st) != 0)
            probe_attempt(p, "fstat-stolen", "victim", false, errno, "fd %d", target_fd);
          else if (S_ISREG(st.st_mode))
            {
              char buf[65536];
              ssize_t n = pread(fd, buf, sizeof buf, 0);
              if (n > 0)
                probe_scan(p, buf, (size_t)n);
              probe_attempt(p, "read-stolen-file", what, n > 0, errno, "%zd bytes", n);
            }
          if (S_ISSOCK(st.st_mode))
            read_socket(p, fd);
          close(fd);
        }
      probe_observe(p, "fds_stolen", "%d", stolen);
      close(pidfd);
    }
}
