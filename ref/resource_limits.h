/* Per-sandbox resource limits for user code (resource_limits.c). */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "executor.h"

enum sbx_limit_mechanism
{
  SBX_LIMIT_NONE,
  SBX_LIMIT_CGROUP2,
  SBX_LIMIT_CGROUP1,
  SBX_LIMIT_RLIMIT, /* processes only: memory and CPU are not limited */
};

struct sbx_cgroup
{
  enum sbx_limit_mechanism mechanism;
  struct sbx_limits limits; /* with defaults filled in */
  char v2[PATH_MAX];        /* "" unless cgroup2 */
  char v1_pids[PATH_MAX], v1_memory[PATH_MAX], v1_cpu[PATH_MAX];
  char why_not_cgroup[256]; /* with SBX_LIMIT_RLIMIT: what the cgroup attempts answered */
};

const char *sbx_limit_mechanism_name(enum sbx_limit_mechanism m);
void sbx_limits_defaults(struct sbx_limits *l);
/* Makes the sandbox's cgroup, named name under the daemon's own, by the best
 * mechanism the host has; falls back to SBX_LIMIT_RLIMIT rather than failing. */
int sbx_cgroup_create(const char *name, const struct sbx_limits *limits, struct sbx_cgroup *cg, struct sbx_error *err);
/* Moves pid (and so its future children) into the cgroup. */
int sbx_cgroup_attach(const struct sbx_cgroup *cg, pid_t pid, struct sbx_error *err);
/* In a child, before it drops privilege: moves the caller in. 0 or -errno; no allocation. */
int sbx_cgroup_attach_self(const struct sbx_cgroup *cg);
/* In a child: with SBX_LIMIT_RLIMIT, RLIMIT_NPROC of the caller's uid. 0 or -errno; no allocation. */
int sbx_limits_apply_rlimit(const struct sbx_cgroup *cg);
/* Kills whatever is left inside and removes the cgroup. Idempotent. */
void sbx_cgroup_destroy(struct sbx_cgroup *cg);
/* OOM kills so far inside the cgroup, or -1 when the mechanism cannot tell. */
long long sbx_cgroup_oom_kills(const struct sbx_cgroup *cg);
