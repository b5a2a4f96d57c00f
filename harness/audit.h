/* splitbox audit: every probe against every backend, as user code, with a
 * fresh canary held by a platform-side victim; then each cell classified
 * against the positive control run in the same audit. The result is one JSON
 * document (reports/schema.json), which the renderers turn into report.md and
 * junit.xml. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "splitbox-error.h"

struct cJSON;
struct sbx_probe_def;

#define SBX_AUDIT_CONTROL "none"

struct sbx_audit_options
{
  const char *const *backends; /* names or spec paths; NULL: every known backend */
  const char *const *probes;   /* names; NULL: every probe */
  bool quiet;                  /* no progress on stderr */
  bool verbose;                /* progress lines also give each leak's evidence */
  bool colour;                 /* outcomes in colour (the caller knows whether stderr is a terminal) */
  bool no_latency;             /* skip the short benchmark of the report's latency section */
};

/* Runs the audit. The control backend runs first, for every probe asked for,
 * whether or not it was named. *report is the JSON document; it is built even
 * when a backend fails (its cells say ERROR). -1 only on harness errors. */
int sbx_audit_run(const struct sbx_audit_options *o, struct cJSON **report, struct sbx_error *err);

/* Outcomes of one cell, and of a row (several probes) of one backend. */
#define SBX_OUTCOME_LEAKED "LEAKED"
#define SBX_OUTCOME_BLOCKED "BLOCKED"
#define SBX_OUTCOME_UNVERIFIED "UNVERIFIED"
#define SBX_OUTCOME_NA "N/A"
#define SBX_OUTCOME_ERROR "ERROR"

/* Classification: raw is what the probe saw on this backend ("leaked",
 * "clean", "unsupported", "error"); control_leaked is whether the same probe
 * leaked on the positive control in this run. */
const char *sbx_audit_classify(const char *raw, bool control_leaked, bool is_control);
/* A row's outcome from its cells' outcomes. */
const char *sbx_audit_row_outcome(const char *const *cell_outcomes, size_t n);
/* Whether the probe's report (its JSON) lacks an attempt at one of the
 * techniques its table entry says it always makes (.techniques): then a clean
 * run proves nothing about that technique, and the cell is an ERROR; why
 * names it. */
bool sbx_audit_technique_missing(const struct sbx_probe_def *p, const char *report, char *why, size_t size);
