#pragma once

#include "error.h"

struct sbx_user_root_spec
{
  const char *shared_source; /* the host path of the shared dir */
  const char *shared_path;   /* where it appears, e.g. /app */
};

/* Runs in the user context's first process, in its new mount and PID namespaces. */
int sbx_user_root_build(const struct sbx_user_root_spec *spec, struct sbx_error *err);
