/* Renderers of an audit's JSON document: the guarantee table with its
 * evidence (Markdown), and JUnit XML. They read only the document, so that
 * `splitbox report render` re-renders any earlier run. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "splitbox-error.h"

struct cJSON;

int sbx_report_markdown(const struct cJSON *doc, FILE *out, struct sbx_error *err);
int sbx_report_junit(const struct cJSON *doc, FILE *out, struct sbx_error *err);
/* report_html.c: one self-contained page (no script, no external URL): the
 * coloured table with each cell's evidence, the latency chart (inline SVG),
 * host conditions. sbx_bench_html: a `splitbox bench` document alone. */
int sbx_report_html(const struct cJSON *doc, FILE *out, struct sbx_error *err);
int sbx_bench_html(const struct cJSON *bench, FILE *out, struct sbx_error *err);
void sbx_report_html_latency_chart(const struct cJSON *bench, FILE *out);
/* The outcome of one row for one backend, from the document's cells; the
 * channels of its leaks in channels (comma-separated). */
const char *sbx_report_row(const struct cJSON *doc, const char *backend, const char *row, char *channels, size_t len);
/* report_merge.c: several hosts' audit documents as one, a column per host ×
 * backend ("HOST/BACKEND", each with "host" and "base"), every cell as its
 * own run classified it; "hosts" lists each host's conditions. */
int sbx_report_merge(struct cJSON *const *docs, size_t n, struct cJSON **merged, struct sbx_error *err);
/* Whether the backend named is a positive control (in a merged report there is one per host). */
bool sbx_report_is_control(const struct cJSON *doc, const char *backend);
/* Checks that doc looks like an audit document (schema splitbox-audit/1). */
int sbx_report_check(const struct cJSON *doc, struct sbx_error *err);
