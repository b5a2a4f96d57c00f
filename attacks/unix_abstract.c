/* unix-abstract: abstract unix sockets are named in a network namespace, not
 * in a filesystem, so a mount namespace does not hide them. Connect and read. */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "probe.h"
#include "sockets.h"

static void try_name(struct probe *p, const char *name)
{
  struct sockaddr_un u = { .sun_family = AF_UNIX };
  size_t len = strlen(name);

  if (len > sizeof u.sun_path - 1)
    len = sizeof u.sun_path - 1;
  memcpy(u.sun_path + 1, name, len);
  sbx_connect_and_read(p, AF_UNIX, (struct sockaddr *)&u, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len),
                       name);
}

void probe_unix_abstract(struct probe *p)
{
  size_t len = 0;
  char *table = probe_read_file("/proc/net/unix", 1 << 20, &len);
  int listening = 0;

  probe_attempt(p, "read", "/proc/net/unix", table != NULL, errno, NULL);
  for (char *line = table ? strchr(table, '\n') : NULL; line != NULL && line[1] != '\0';
       line = strchr(line + 1, '\n'))
    {
      unsigned long flags, inode;
      char path[256];
      /* Num RefCount Protocol Flags Type St Inode Path; flag 0x10000 is __SO_ACCEPTCON. */
      if (sscanf(line + 1, "%*s %*s %*s %lx %*s %*s %lu %255s", &flags, &inode, path) != 3 || path[0] != '@'
          || !(flags & 0x10000))
        continue;
      listening++;
      if (sbx_socket_owner(p, inode) != OWNER_OTHER)
        try_name(p, path + 1);
    }
  probe_observe(p, "abstract_listeners", "%d", listening);
  free(table);
}
