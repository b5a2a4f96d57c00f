/* The probe framework: every probe records its attempts (with errno), the
 * canary-shaped tokens it found, and what it observed; main prints one JSON
 * document. Probes act only on processes whose comm is the run's marker. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "probe_table.h"

#define PROBE_MAX_TARGETS 64

struct probe
{
  const char *marker; /* may be NULL: then active techniques have no target */
  const char *nonce;  /* echoed in the report: the harness's proof that this report is this run's */
  pid_t targets[PROBE_MAX_TARGETS];
  int n_targets;
  bool unsupported;
  char unsupported_why[256];
};

/* Recording */
void probe_attempt(struct probe *p, const char *technique, const char *target, bool ok, int errno_,
                   const char *detail_fmt, ...) __attribute__((format(printf, 6, 7)));
void probe_scan(struct probe *p, const void *buf, size_t len);
void probe_observe(struct probe *p, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void probe_unsupported(struct probe *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A probe made of other probes' functions (cross-tenant): while a part runs,
 * its attempts and observations are recorded as "NAME/technique"; NULL ends it. */
void probe_part(const char *name);
/* What was observed under key (as recorded, with its part), or NULL. */
const char *probe_observed(const char *key);

/* Helpers */
/* Reads up to cap bytes of path into a malloc'd buffer; NULL with errno set. */
char *probe_read_file(const char *path, size_t cap, size_t *len);
/* Scans a file for tokens and records the attempt. Returns true if readable. */
bool probe_scan_file(struct probe *p, const char *technique, const char *path);
/* Finds the pids whose comm equals the marker. */
void probe_find_targets(struct probe *p);
/* Records that search as an attempt (PROBE_FIND_TARGET), found or not: a
 * probe aimed at the victim always shows that it looked for one. */
#define PROBE_FIND_TARGET "find-target"
void probe_find_target_attempt(struct probe *p);
bool probe_is_target(const struct probe *p, pid_t pid);
/* Lists numeric entries of /proc. Returns the count; *pids is malloc'd. */
int probe_list_pids(pid_t **pids);

/* Each probe (one file each): probe_<id> for every SBX_PROBE_TABLE entry. */
#define PROBE_DECLARE_(id, ...) void probe_##id(struct probe *p);
SBX_PROBE_TABLE(PROBE_DECLARE_)
#undef PROBE_DECLARE_

/* Memory of a target: calls fn for each readable private or stack/heap mapping. */
struct mapping
{
  unsigned long start, end;
  char name[256];
};
int probe_mappings(pid_t pid, struct mapping *out, int max);
/* Where the backend put its directories (the harness passes them): the shared
 * dir as user code sees it, and as the host does (NULL when unknown); the
 * platform's private dir as the platform sees it (NULL when not passed). */
extern const char *probe_shared_dir;
/* --endpoint: executor APIs the harness started or the backend's spec names;
 * the only endpoints (besides the marker's own) that a probe writes to. */
#define PROBE_MAX_ENDPOINTS 8
extern const char *probe_endpoints[PROBE_MAX_ENDPOINTS];
extern int probe_n_endpoints;
extern const char *probe_shared_host;
extern const char *probe_private_dir;
