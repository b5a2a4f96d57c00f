/* Blocking reads and writes on pipes and sockets, retried through EINTR (close never is). */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* read(2), retried while it fails with EINTR. */
ssize_t sbx_read_retry(int fd, void *buf, size_t len);
struct msghdr;
/* sendmsg(2) and recvmsg(2), retried while they fail with EINTR. */
ssize_t sbx_sendmsg_retry(int sock, const struct msghdr *msg, int flags);
ssize_t sbx_recvmsg_retry(int sock, struct msghdr *msg, int flags);
/* Writes all of buf, retrying short writes and EINTR. 0, or -1 with errno. */
int sbx_write_all(int fd, const void *buf, size_t len);
/* The same on a socket, without SIGPIPE when the peer has gone (MSG_NOSIGNAL). */
int sbx_send_all(int sock, const void *buf, size_t len);
