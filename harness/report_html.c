/* The reports as one self-contained HTML file: no script, no external URL
 * (styles inline, the chart inline SVG), so that it opens anywhere, offline,
 * and shows what a sandbox wrote as text, never as markup. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "error.h"
#include "report.h"

static const char *str(const cJSON *o, const char *name)
{
  const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
  return s != NULL ? s : "";
}

static double num(const cJSON *o, const char *name)
{
  return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

/* Untrusted text (evidence, reasons, names from specs) as HTML text. Control
 * characters go: they have no place in a report, and some break parsers. */
static void esc(FILE *out, const char *s)
{
  for (; s != NULL && *s != '\0'; s++)
    switch (*s)
      {
      case '<': fputs("&lt;", out); break;
      case '>': fputs("&gt;", out); break;
      case '&': fputs("&amp;", out); break;
      case '"': fputs("&quot;", out); break;
      case '\'': fputs("&#39;", out); break;
      default:
        if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
          fputc(*s, out);
      }
}

static const char style[] =
  "body{font:14px/1.45 system-ui,sans-serif;margin:1.5em;color:#1b1f24;background:#fff}"
  "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}"
  "table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #c9d1d9;padding:4px 8px;vertical-align:top;"
  "text-align:left}th{background:#f1f3f5}"
  "td.LEAKED{background:#ffd7d5}td.BLOCKED{background:#d3f5d8}td.ERROR,td.UNVERIFIED{background:#fff1c2}"
  "td.NA{background:#eceff1;color:#57606a}td.claim{background:#eef4ff}"
  "details summary{cursor:pointer}details div{font-size:.9em;max-width:40em;white-space:pre-wrap;"
  "word-break:break-word;margin-top:.3em}"
  "pre{background:#f6f8fa;padding:.8em;overflow:auto}.legend span{display:inline-block;padding:2px 6px;margin-right:6px}"
  "svg text{font:12px system-ui,sans-serif}";

static void page_start(FILE *out, const char *title)
{
  fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width\"><title>",
        out);
  esc(out, title);
  fprintf(out, "</title><style>%s</style></head><body>\n", style);
}

static const char *outcome_class(const char *o)
{
  if (strcmp(o, SBX_OUTCOME_LEAKED) == 0)
    return "LEAKED";
  if (strcmp(o, SBX_OUTCOME_BLOCKED) == 0)
    return "BLOCKED";
  if (strcmp(o, SBX_OUTCOME_UNVERIFIED) == 0)
    return "UNVERIFIED";
  if (strcmp(o, SBX_OUTCOME_NA) == 0)
    return "NA";
  return "ERROR";
}

static const char *outcome_text(const char *o)
{
  if (strcmp(o, SBX_OUTCOME_LEAKED) == 0)
    return "&#10007; leaked";
  if (strcmp(o, SBX_OUTCOME_BLOCKED) == 0)
    return "&#10003; blocked";
  if (strcmp(o, SBX_OUTCOME_UNVERIFIED) == 0)
    return "&#9888; unverified";
  if (strcmp(o, SBX_OUTCOME_NA) == 0)
    return "&#8212; n/a";
  return "&#9888; error";
}

/* One cell of the table: the row's outcome, and every probe's cell behind it. */
static void table_cell(FILE *out, const cJSON *doc, const char *backend, const char *row)
{
  const cJSON *cell;
  char channels[512];
  const char *outcome = sbx_report_row(doc, backend, row, channels, sizeof channels);

  if (outcome == NULL)
    {
      fputs("<td></td>", out);
      return;
    }
  fprintf(out, "<td class=\"%s\"><details><summary>%s", outcome_class(outcome), outcome_text(outcome));
  if (strcmp(outcome, SBX_OUTCOME_LEAKED) == 0)
    {
      fputs(" (", out);
      esc(out, channels);
      fputc(')', out);
    }
  fputs("</summary>", out);
  cJSON_ArrayForEach(cell, cJSON_GetObjectItemCaseSensitive(doc, "cells"))
    {
      const char *text;
      if (strcmp(str(cell, "backend"), backend) != 0 || strcmp(str(cell, "row"), row) != 0)
        continue;
      text = str(cell, "evidence")[0] ? str(cell, "evidence")
             : str(cell, "reason")[0] ? str(cell, "reason")
                                      : str(cell, "unverifiedBecause");
      fputs("<div><b>", out);
      esc(out, str(cell, "probe"));
      fputs("</b>: ", out);
      esc(out, str(cell, "outcome"));
      if (str(cell, "channel")[0])
        {
          fputs(" &#8212; ", out);
          esc(out, str(cell, "channel"));
        }
      if (text[0])
        {
          fputs(". ", out);
          esc(out, text);
        }
      fputs("</div>", out);
    }
  fputs("</details></td>", out);
}

/* ---- the latency chart ---- */

#define CHART_LEFT 260.0
#define CHART_WIDTH 560.0
#define BAR_HEIGHT 16.0

/* Log scale: the operations span microseconds (a 4 KiB read) to seconds. */
static double x_of(double ms, double lo, double hi)
{
  if (ms < lo)
    ms = lo;
  return CHART_LEFT + CHART_WIDTH * (log10(ms) - log10(lo)) / (log10(hi) - log10(lo));
}

/* bench: a `splitbox bench` document (the audit's "latency", or bench's own).
 * A bar per backend and operation: p50 solid, p95 as a lighter extension;
 * the floor as a line across, the design's promised figure as a dashed line
 * on its operation's bars. */
void sbx_report_html_latency_chart(const cJSON *bench, FILE *out)
{
  const cJSON *b, *op;
  const cJSON *floor_stats = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(bench, "floor"), "stats");
  double floor_p50 = num(floor_stats, "p50Ms"), lo = 1, hi = 1;
  int bars = 0, i = 0;
  double height;

  cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(bench, "backends"))
    cJSON_ArrayForEach(op, cJSON_GetObjectItemCaseSensitive(b, "ops"))
      {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(op, "stats");
        if (s == NULL || cJSON_GetObjectItemCaseSensitive(op, "notSupported") != NULL)
          continue;
        bars++;
        hi = fmax(hi, fmax(num(s, "p95Ms"), num(op, "claimedMs")));
        lo = fmin(lo, num(s, "p50Ms"));
      }
  if (bars == 0)
    {
      fputs("<p>No latency figures.</p>\n", out);
      return;
    }
  hi = pow(10, ceil(log10(hi * 1.05)));
  lo = pow(10, floor(log10(fmax(lo, 0.001))));
  height = 40 + bars * (BAR_HEIGHT + 6) + 30;
  fprintf(out,
          "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"latency per backend and operation\" "
          "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n",
          CHART_LEFT + CHART_WIDTH + 40, height, CHART_LEFT + CHART_WIDTH + 40, height);
  for (double t = lo; t <= hi * 1.0001; t *= 10)
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"30\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d0d7de\"/>"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g ms</text>\n",
            x_of(t, lo, hi), x_of(t, lo, hi), height - 25, x_of(t, lo, hi), height - 8, t);
  cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(bench, "backends"))
    cJSON_ArrayForEach(op, cJSON_GetObjectItemCaseSensitive(b, "ops"))
      {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(op, "stats");
        double y = 34 + i * (BAR_HEIGHT + 6), p50, p95, claimed = num(op, "claimedMs");
        if (s == NULL || cJSON_GetObjectItemCaseSensitive(op, "notSupported") != NULL)
          continue;
        p50 = num(s, "p50Ms");
        p95 = num(s, "p95Ms");
        fprintf(out, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", CHART_LEFT - 6, y + BAR_HEIGHT - 4);
        esc(out, str(b, "backend"));
        fputc(' ', out);
        esc(out, str(op, "op"));
        fputs("</text>", out);
        fprintf(out,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" fill=\"#9ec5fe\"><title>p95 %.3f ms</title></rect>"
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" fill=\"#0b5cad\"><title>p50 %.3f ms</title></rect>\n",
                CHART_LEFT, y, x_of(p95, lo, hi) - CHART_LEFT, BAR_HEIGHT, p95, CHART_LEFT, y,
                x_of(p50, lo, hi) - CHART_LEFT, BAR_HEIGHT, p50);
        if (claimed > 0)
          fprintf(out,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#bf3989\" stroke-width=\"2\" "
                  "stroke-dasharray=\"3,2\"><title>promised by the design: %.0f ms</title></line>\n",
                  x_of(claimed, lo, hi), y - 2, x_of(claimed, lo, hi), y + BAR_HEIGHT + 2, claimed);
        i++;
      }
  if (floor_p50 > 0)
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"26\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#cf222e\" stroke-width=\"2\"/>"
            "<text x=\"%.1f\" y=\"20\" text-anchor=\"middle\" fill=\"#cf222e\">floor p50 %.3f ms</text>\n",
            x_of(floor_p50, lo, hi), x_of(floor_p50, lo, hi), height - 25, x_of(floor_p50, lo, hi), floor_p50);
  fputs("</svg>\n<p class=\"legend\"><span style=\"background:#0b5cad;color:#fff\">p50</span>"
        "<span style=\"background:#9ec5fe\">p95</span><span style=\"color:#cf222e\">&#9474; floor: posix_spawn of "
        "<code>/bin/sh -c true</code> and wait, measured in the same run</span><span style=\"color:#bf3989\">&#9478; "
        "the design's promised figure</span> (log scale)</p>\n",
        out);
}

static void latency_table(const cJSON *bench, FILE *out)
{
  const cJSON *b, *op;

  fputs("<table><tr><th>backend</th><th>operation</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th>"
        "<th>&#215; floor (p50)</th><th>promised by the design</th></tr>\n",
        out);
  cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(bench, "backends"))
    {
      if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(b, "available")))
        {
          fputs("<tr><td>", out);
          esc(out, str(b, "backend"));
          fputs("</td><td colspan=\"6\">unavailable: ", out);
          esc(out, str(b, "reason"));
          fputs("</td></tr>\n", out);
          continue;
        }
      cJSON_ArrayForEach(op, cJSON_GetObjectItemCaseSensitive(b, "ops"))
        {
          const cJSON *s = cJSON_GetObjectItemCaseSensitive(op, "stats");
          fputs("<tr><td>", out);
          esc(out, str(b, "backend"));
          fputs("</td><td>", out);
          esc(out, str(op, "op"));
          fputs("</td>", out);
          if (s == NULL || str(op, "notSupported")[0])
            {
              fputs("<td colspan=\"5\">", out);
              esc(out, str(op, "notSupported")[0] ? str(op, "notSupported") : str(op, "error"));
              fputs("</td></tr>\n", out);
              continue;
            }
          fprintf(out, "<td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%.2f</td><td>", num(s, "p50Ms"), num(s, "p95Ms"),
                  num(s, "p99Ms"), num(op, "ratioP50"));
          if (num(op, "claimedMs") > 0)
            fprintf(out, "%.0f ms", num(op, "claimedMs"));
          if (str(op, "error")[0])
            {
              fputs(" <b>failed runs:</b> ", out);
              esc(out, str(op, "error"));
            }
          fputs("</td></tr>\n", out);
        }
    }
  fputs("</table>\n", out);
}

/* ops/s per backend and operation at each concurrency of the run; nothing when it measured none. */
static void throughput_table(const cJSON *bench, FILE *out)
{
  const cJSON *levels = cJSON_GetObjectItemCaseSensitive(bench, "throughputConcurrency"), *level, *b, *op;

  if (cJSON_GetArraySize(levels) == 0)
    return;
  fputs("<h2>Throughput</h2>\n<p>Operations per second, from N client threads running the operation back to "
        "back.</p>\n<table id=\"throughput\"><tr><th>backend</th><th>operation</th>",
        out);
  cJSON_ArrayForEach(level, levels)
    fprintf(out, "<th>N=%.0f</th>", cJSON_GetNumberValue(level));
  fputs("</tr>\n", out);
  cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(bench, "backends"))
    cJSON_ArrayForEach(op, cJSON_GetObjectItemCaseSensitive(b, "ops"))
      {
        const cJSON *tp = cJSON_GetObjectItemCaseSensitive(op, "throughput");
        if (tp == NULL)
          continue;
        fputs("<tr><td>", out);
        esc(out, str(b, "backend"));
        fputs("</td><td>", out);
        esc(out, str(op, "op"));
        fputs("</td>", out);
        cJSON_ArrayForEach(level, levels)
          {
            const cJSON *cell = NULL, *t;
            cJSON_ArrayForEach(t, tp)
              if (num(t, "concurrency") == cJSON_GetNumberValue(level))
                cell = t;
            if (cell == NULL)
              fputs("<td>&#8212;</td>", out);
            else if (str(cell, "error")[0])
              {
                fputs("<td><b>failed runs:</b> ", out);
                esc(out, str(cell, "error"));
                fputs("</td>", out);
              }
            else
              fprintf(out, "<td>%.1f</td>", num(cell, "opsPerSec"));
          }
        fputs("</tr>\n", out);
      }
  fputs("</table>\n", out);
}

int sbx_report_html(const cJSON *doc, FILE *out, struct sbx_error *err)
{
  const cJSON *row, *b, *lat = cJSON_GetObjectItemCaseSensitive(doc, "latency");
  const cJSON *host = cJSON_GetObjectItemCaseSensitive(doc, "host"), *summary = cJSON_GetObjectItemCaseSensitive(doc, "summary");
  const char *control = str(doc, "control");

  if (sbx_report_check(doc, err) < 0)
    return -1;
  page_start(out, "splitbox audit");
  fputs("<h1>splitbox audit</h1>\n<p>Run ", out);
  esc(out, str(doc, "started"));
  fprintf(out, " (%.1f s) on ", num(doc, "durationMs") / 1000.0);
  esc(out, str(host, "kernel"));
  fprintf(out, " as uid %d. Every cell is user code trying to steal a fresh canary held by a platform-side victim. "
               "Positive control: <code>",
          (int)num(host, "uid"));
  esc(out, control);
  fputs("</code>. Open a cell for each probe's evidence.</p>\n", out);
  fprintf(out, "<p>Cells: leaked %d, blocked %d, unverified %d, n/a %d, errors %d.</p>\n", (int)num(summary, "LEAKED"),
          (int)num(summary, "BLOCKED"), (int)num(summary, "UNVERIFIED"), (int)num(summary, "N/A"),
          (int)num(summary, "ERROR"));
  fputs("<table id=\"guarantees\"><thead><tr><th>attack vector</th>", out);
  /* The control first, then the rest as run. */
  fputs("<th>", out);
  esc(out, control);
  fputs(" (control)</th>", out);
  cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(doc, "backends"))
    if (strcmp(str(b, "name"), control) != 0)
      {
        fputs("<th>", out);
        esc(out, str(b, "name"));
        fputs(sbx_report_is_control(doc, str(b, "name")) ? " (control)</th>" : "</th>", out);
      }
  fputs("</tr></thead><tbody>\n", out);
  cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(doc, "rows"))
    {
      const char *name = str(row, "name");
      if (sbx_report_row(doc, control, name, (char[1]){ 0 }, 1) == NULL)
        {
          bool any = false;
          cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(doc, "backends"))
            any = any || sbx_report_row(doc, str(b, "name"), name, (char[1]){ 0 }, 1) != NULL;
          if (!any)
            continue;
        }
      fputs("<tr><th>", out);
      esc(out, name);
      fputs("</th>", out);
      table_cell(out, doc, control, name);
      cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(doc, "backends"))
        if (strcmp(str(b, "name"), control) != 0)
          table_cell(out, doc, str(b, "name"), name);
      fputs("</tr>\n", out);
    }
  fputs("</tbody></table>\n", out);
  fputs("<p class=\"legend\"><span style=\"background:#d3f5d8\">&#10003; blocked</span>the probes ran and found "
        "nothing, and the same probes leaked on the control in this run. <span style=\"background:#ffd7d5\">&#10007; "
        "leaked</span>the canary (or the victim) was reached, through the probes named. <span "
        "style=\"background:#fff1c2\">&#9888; unverified / error</span>no claim. <span style=\"background:#eceff1\">"
        "&#8212; n/a</span>the technique does not exist here, or the backend is unavailable.</p>\n",
        out);
  if (cJSON_GetObjectItemCaseSensitive(doc, "hosts") != NULL)
    {
      const cJSON *h;
      fputs("<h2>Hosts</h2>\n<p>A column is HOST/BACKEND; each cell is as its own run classified it, against that "
            "host's own control.</p>\n<table id=\"hosts\"><tr><th>host</th><th>hostname</th><th>kernel</th>"
            "<th>splitbox mode</th><th>uid</th><th>audited</th></tr>\n",
            out);
      cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(doc, "hosts"))
        {
          fputs("<tr><td>", out);
          esc(out, str(h, "label"));
          fputs("</td><td>", out);
          esc(out, str(h, "hostname"));
          fputs("</td><td>", out);
          esc(out, str(h, "kernel"));
          fputs("</td><td>", out);
          esc(out, str(h, "splitboxMode")[0] ? str(h, "splitboxMode") : "unknown");
          fprintf(out, "</td><td>%d</td><td>", (int)num(h, "uid"));
          esc(out, str(h, "started"));
          fputs("</td></tr>\n", out);
        }
      fputs("</table>\n", out);
    }
  fputs("<h2>Backends</h2>\n<ul>\n", out);
  cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(doc, "backends"))
    {
      fputs("<li><b>", out);
      esc(out, str(b, "name"));
      fputs("</b>: ", out);
      esc(out, str(b, "description"));
      if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "available")))
        {
          fputs(" <i>Not run: ", out);
          esc(out, str(b, "reason"));
          fputs("</i>", out);
        }
      fputs("</li>\n", out);
    }
  fputs("</ul>\n", out);
  if (lat != NULL)
    {
      fputs("<h2>Latency</h2>\n", out);
      sbx_report_html_latency_chart(lat, out);
      latency_table(lat, out);
    }
  fputs("<h2>Host conditions</h2>\n<pre>", out);
  {
    char *text = cJSON_Print(host);
    esc(out, text != NULL ? text : "{}");
    free(text);
  }
  fputs("</pre>\n</body></html>\n", out);
  return ferror(out) ? sbx_error_errno(err, EIO, SBX_E_INTERNAL, "write the report") : 0;
}

int sbx_bench_html(const cJSON *bench, FILE *out, struct sbx_error *err)
{
  if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(bench, "backends")))
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "not a bench report (no backends)");
  page_start(out, "splitbox bench");
  fprintf(out, "<h1>splitbox bench</h1>\n<p>%d runs per operation after %d warm-up runs. Each p50 is also a "
               "ratio to the floor: spawns alternated with that operation's runs.</p>\n",
          (int)num(bench, "runs"), (int)num(bench, "warmup"));
  sbx_report_html_latency_chart(bench, out);
  latency_table(bench, out);
  throughput_table(bench, out);
  fputs("</body></html>\n", out);
  return ferror(out) ? sbx_error_errno(err, EIO, SBX_E_INTERNAL, "write the report") : 0;
}
