/* The user context's view of the filesystem, built in its first process. */
#pragma once

#include "error.h"

struct sbx_user_root_spec
{
  int shared_fd;             /* the shared dir, opened in the new mount namespace */
  bool shared_detached;      /* shared_fd is a detached mount to attach (a bounded shared dir) */
  const char *shared_path;   /* where it appears, e.g. /app */
  const char *tmp_opts;      /* tmpfs options of /tmp, HOME and /dev/shm: bounded by the memory limit */
  const char *home_opts;
  const char *shm_opts;
};

/* Runs in the user context's first process, in its new mount and PID namespaces. */
int sbx_user_root_build(const struct sbx_user_root_spec *spec, struct sbx_error *err);
