/* net-connect: loopback TCP listeners from /proc/net/tcp{,6}: connect, read
 * what they send unprompted, never write. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"
#include "sockets.h"

static void try_port(struct probe *p, int family, unsigned port)
{
  struct sockaddr_in v4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  struct sockaddr_in6 v6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = in6addr_loopback };
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  char target[64], buf[4096];
  ssize_t n = -1;

  snprintf(target, sizeof target, "%s:%u", family == AF_INET ? "127.0.0.1" : "[::1]", port);
  if (fd >= 0 && connect(fd, family == AF_INET ? (struct sockaddr *)&v4 : (struct sockaddr *)&v6,
                         family == AF_INET ? sizeof v4 : sizeof v6) == 0)
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

static void scan_table(struct probe *p, const char *path, int family)
{
  size_t len = 0;
  char *table = probe_read_file(path, 1 << 20, &len);

  probe_attempt(p, "read", path, table != NULL, errno, NULL);
  for (char *line = table ? strchr(table, '\n') : NULL; line != NULL && line[1] != '\0';
       line = strchr(line + 1, '\n'))
    {
      char local[64];
      unsigned port, state;
      unsigned long inode;
      enum owner who;
      if (sscanf(line + 1, " %*d: %63[0-9A-Fa-f]:%x %*s %x %*s %*s %*s %*s %*s %lu", local, &port, &state, &inode)
          != 4 || state != 0x0A) /* TCP_LISTEN */
        continue;
      who = sbx_socket_owner(p, inode);
      if (who == OWNER_OTHER)
        continue; /* harmless: a visible process that is not the victim */
      try_port(p, family, port);
    }
  free(table);
}

void probe_net_connect(struct probe *p)
{
  scan_table(p, "/proc/net/tcp", AF_INET);
  scan_table(p, "/proc/net/tcp6", AF_INET6);
}
