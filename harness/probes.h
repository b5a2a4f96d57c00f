/* The audit's probes (attacks/), the row of the security table each one
 * tests, and what counts as a leak for it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum sbx_leak_kind
{
  SBX_LEAK_CANARY,   /* the run's canary among the tokens found */
  SBX_LEAK_VISIBLE,  /* ps-scan: the victim is visible */
  SBX_LEAK_STOPPED,  /* signal: user code stopped the victim */
  SBX_LEAK_HIJACK,   /* path-hijack: a plant ran in a platform command */
  SBX_LEAK_CAPS,     /* capabilities: user code holds a dangerous capability */
};

struct sbx_probe_def
{
  const char *name;
  const char *row;
  enum sbx_leak_kind leak;
  bool victim;      /* needs the platform-side victim */
  bool argv_canary; /* the victim carries the canary in argv too */
};

struct sbx_row_def
{
  const char *name;
  const char *kind;  /* confidentiality, integrity */
  bool design;       /* one of the design document's seven rows */
};

extern const struct sbx_probe_def sbx_probes[];
extern const size_t sbx_probe_count;
extern const struct sbx_row_def sbx_rows[];
extern const size_t sbx_row_count;

const struct sbx_probe_def *sbx_probe_find(const char *name);
const struct sbx_row_def *sbx_row_find(const char *name);
