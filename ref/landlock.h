/* Landlock rulesets for user code (landlock.c). */
#pragma once

#include <stddef.h>

#include "error.h"

enum sbx_landlock_access
{
  SBX_LANDLOCK_READ,       /* read files, list directories */
  SBX_LANDLOCK_READ_EXEC,  /* and execute: system directories */
  SBX_LANDLOCK_DEVICES,    /* read, write and ioctl existing device nodes */
  SBX_LANDLOCK_READ_WRITE, /* everything but making device nodes: the shared dir, tmp, HOME */
};

struct sbx_landlock_rule
{
  const char *path; /* a missing path is skipped */
  enum sbx_landlock_access access;
};

/* The highest Landlock ABI this kernel offers, 0 when it has none. */
int sbx_landlock_abi(void);
/* A ruleset fd allowing rules[] (everything else denied, signals and abstract
 * sockets scoped where the ABI has them); *abi says which ABI it used.
 * -1 with err set. Call in the parent: it opens and allocates. */
int sbx_landlock_ruleset_new(const struct sbx_landlock_rule *rules, size_t n, int *abi, struct sbx_error *err);
/* In the child: sets no_new_privs and restricts the caller. 0 or -errno; no allocation. */
int sbx_landlock_restrict(int ruleset_fd);
