/* Which sockets belong to whom: a socket inode is owned by a visible
 * process whose fd links to "socket:[inode]". Probes connect only to sockets
 * of marker processes, or of owners they cannot see. */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"
#include "sockets.h"

enum owner sbx_socket_owner(const struct probe *p, unsigned long inode)
{
  pid_t *pids = NULL;
  int n = probe_list_pids(&pids);
  enum owner who = OWNER_UNKNOWN;
  char want[64];

  snprintf(want, sizeof want, "socket:[%lu]", inode);
  for (int i = 0; i < n && who == OWNER_UNKNOWN; i++)
    {
      char dir[64];
      DIR *d;
      struct dirent *de;
      snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pids[i]);
      if ((d = opendir(dir)) == NULL)
        continue;
      while ((de = readdir(d)) != NULL)
        {
          char link[sizeof dir + sizeof de->d_name], target[128]; /* cannot be cut */
          ssize_t len;
          snprintf(link, sizeof link, "%s/%s", dir, de->d_name);
          len = readlink(link, target, sizeof target - 1);
          if (len <= 0)
            continue;
          target[len] = '\0';
          if (strcmp(target, want) == 0)
            {
              who = probe_is_target(p, pids[i]) ? OWNER_MARKER : OWNER_OTHER;
              break;
            }
        }
      closedir(d);
    }
  free(pids);
  return who;
}

void sbx_connect_and_read(struct probe *p, int family, const struct sockaddr *addr, socklen_t len, const char *target)
{
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  char buf[4096];
  ssize_t n = -1;

  /* Read what the listener sends unprompted; never write to it. */
  if (fd >= 0 && connect(fd, addr, len) == 0)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      n = poll(&pfd, 1, 300) == 1 ? read(fd, buf, sizeof buf) : 0;
      if (n > 0)
        probe_scan(p, buf, (size_t)n);
    }
  probe_attempt(p, "connect-read", target, n >= 0, errno, "%zd bytes", n);
  if (fd >= 0)
    close(fd);
}
