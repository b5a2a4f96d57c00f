#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"
#include "io.h"

#define MAX_FDS 8

int sbx_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds)
{
  union
  {
    char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
    struct cmsghdr align;
  } u;
  struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
  ssize_t n;

  if (nfds > MAX_FDS)
    {
      errno = EINVAL;
      return -1;
    }
  if (nfds > 0)
    {
      struct cmsghdr *cmsg;
      memset(&u, 0, sizeof u);
      msg.msg_control = u.buf;
      msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
      cmsg = CMSG_FIRSTHDR(&msg);
      cmsg->cmsg_level = SOL_SOCKET;
      cmsg->cmsg_type = SCM_RIGHTS;
      cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
      memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
    }
  n = sbx_sendmsg_retry(sock, &msg, MSG_NOSIGNAL);
  if (n < 0)
    return -1;
  if ((size_t)n != len)
    {
      errno = EMSGSIZE;
      return -1;
    }
  return 0;
}

ssize_t sbx_recv_fds(int sock, void *buf, size_t len, int *fds, size_t max_fds, size_t *nfds)
{
  union
  {
    char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
    struct cmsghdr align;
  } u;
  struct iovec iov = { .iov_base = buf, .iov_len = len };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  ssize_t n;

  *nfds = 0;
  for (size_t i = 0; i < max_fds; i++)
    fds[i] = -1;
  n = sbx_recvmsg_retry(sock, &msg, MSG_CMSG_CLOEXEC);
  if (n < 0)
    return -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
    {
      size_t count;
      int tmp[MAX_FDS];
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
        continue;
      count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      if (count > MAX_FDS)
        count = MAX_FDS;
      memcpy(tmp, CMSG_DATA(c), count * sizeof(int));
      for (size_t i = 0; i < count; i++)
        {
          if (*nfds < max_fds)
            fds[(*nfds)++] = tmp[i];
          else
            close(tmp[i]); /* more than asked for: never keep what we cannot track */
        }
    }
  if (msg.msg_flags & MSG_CTRUNC)
    {
      for (size_t i = 0; i < *nfds; i++)
        {
          close(fds[i]);
          fds[i] = -1;
        }
      *nfds = 0;
      errno = EMSGSIZE;
      return -1;
    }
  return n;
}
