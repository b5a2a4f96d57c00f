#pragma once

#include <sys/socket.h>

#include "probe.h"

enum owner
{
  OWNER_UNKNOWN, /* no visible process holds it: the victim may be hidden from us */
  OWNER_MARKER,
  OWNER_OTHER, /* a visible process without the marker: never touched */
};

enum owner sbx_socket_owner(const struct probe *p, unsigned long inode);

/* Connects to addr, reads for 300 ms, scans what came, records the attempt. */
void sbx_connect_and_read(struct probe *p, int family, const struct sockaddr *addr, socklen_t len, const char *target);
