/* Passing fds over a unix socket (SCM_RIGHTS). */
#pragma once

#include <stddef.h>
#include <sys/types.h>

int sbx_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds);
/* Receives up to max_fds fds (made O_CLOEXEC); the rest of fds[] is set to -1. */
ssize_t sbx_recv_fds(int sock, void *buf, size_t len, int *fds, size_t max_fds, size_t *nfds);
