/* Blocking reads and writes on pipes and sockets, retried through EINTR. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* read(2), retried while it fails with EINTR. */
ssize_t sbx_read_retry(int fd, void *buf, size_t len);
/* Writes all of buf, retrying short writes and EINTR. 0, or -1 with errno. */
int sbx_write_all(int fd, const void *buf, size_t len);
