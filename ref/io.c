/* Blocking reads and writes on pipes and sockets: a signal handler's EINTR
 * is retried here, once, for everyone. */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io.h"

ssize_t sbx_read_retry(int fd, void *buf, size_t len)
{
  ssize_t n;

  do
    n = read(fd, buf, len);
  while (n < 0 && errno == EINTR);
  return n;
}

int sbx_write_all(int fd, const void *buf, size_t len)
{
  const char *p = buf;

  while (len > 0)
    {
      ssize_t n = write(fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (n == 0)
        {
          errno = EIO;
          return -1;
        }
      p += n;
      len -= (size_t)n;
    }
  return 0;
}

ssize_t sbx_sendmsg_retry(int sock, const struct msghdr *msg, int flags)
{
  ssize_t n;

  do
    n = sendmsg(sock, msg, flags);
  while (n < 0 && errno == EINTR);
  return n;
}

ssize_t sbx_recvmsg_retry(int sock, struct msghdr *msg, int flags)
{
  ssize_t n;

  do
    n = recvmsg(sock, msg, flags);
  while (n < 0 && errno == EINTR);
  return n;
}

int sbx_send_all(int fd, const void *buf, size_t len)
{
  const char *p = buf;

  while (len > 0)
    {
      ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return -1;
      p += n;
      len -= (size_t)n;
    }
  return 0;
}
