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
  char target[64];

  snprintf(target, sizeof target, "%s:%u", family == AF_INET ? "127.0.0.1" : "[::1]", port);
  if (family == AF_INET)
    sbx_connect_and_read(p, family, (struct sockaddr *)&v4, sizeof v4, target);
  else
    sbx_connect_and_read(p, family, (struct sockaddr *)&v6, sizeof v6, target);
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
