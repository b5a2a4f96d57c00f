/* Bearer tokens for the daemon's TCP port: the first line of a file. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

char *sbx_cli_read_token(const char *path)
{
  char buf[512];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n;

  if (fd < 0)
    return NULL;
  n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0)
    return NULL;
  buf[n] = '\0';
  buf[strcspn(buf, "\r\n")] = '\0';
  return strdup(buf);
}
