/* The platform context's view of the filesystem, built in its template mount namespace. */
#pragma once

#include <stdbool.h>

#include "error.h"

struct sbx_platform_root_spec
{
  const char *private_source; /* reaches the host's platform-private dir */
  const char *shared_source;  /* reaches the host's shared dir */
  bool shared_detached;       /* a bounded shared dir: shared_mount_fd is a detached mount to attach instead */
  int shared_mount_fd;
  const char *shared_path;    /* e.g. /app */
  const char *run_source;     /* NULL, or what appears at /run/splitbox */
  const char *cli_source;     /* NULL, or a program bound at /run/splitbox/bin/splitbox (platform_cli.c) */
  const char *const *hidden;  /* host paths to cover up, NULL-terminated */
  bool host_readonly;         /* the host's files read-only (--platform-host-fs ro) */
};

/* Runs in a fresh mount namespace; leaves the process chrooted into the view. */
int sbx_platform_root_build(const struct sbx_platform_root_spec *spec, struct sbx_error *err);
