#pragma once

#include "probe.h"

enum owner
{
  OWNER_UNKNOWN, /* no visible process holds it: the victim may be hidden from us */
  OWNER_MARKER,
  OWNER_OTHER, /* a visible process without the marker: never touched */
};

enum owner sbx_socket_owner(const struct probe *p, unsigned long inode);
