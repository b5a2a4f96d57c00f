#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "error.h"
#include "report.h"

#define SEED_BACKEND "seed-literal"

static const char *str(const cJSON *o, const char *name)
{
  const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
  return s != NULL ? s : "";
}

int sbx_report_check(const cJSON *doc, struct sbx_error *err)
{
  if (!cJSON_IsObject(doc) || strcmp(str(doc, "schema"), "splitbox-audit/1") != 0
      || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "cells"))
      || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "backends"))
      || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "rows")))
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION,
                         "not an audit report (schema splitbox-audit/1 with backends, rows and cells)");
  return 0;
}

const char *sbx_report_row(const cJSON *doc, const char *backend, const char *row, char *channels, size_t len)
{
  const cJSON *cell;
  const char *outcomes[64];
  size_t n = 0, used = 0;

  if (len > 0)
    channels[0] = '\0';
  cJSON_ArrayForEach(cell, cJSON_GetObjectItemCaseSensitive(doc, "cells"))
    {
      if (strcmp(str(cell, "backend"), backend) != 0 || strcmp(str(cell, "row"), row) != 0 || n == 64)
        continue;
      outcomes[n++] = str(cell, "outcome");
      if (strcmp(str(cell, "outcome"), SBX_OUTCOME_LEAKED) == 0 && used < len)
        {
          int w = snprintf(channels + used, len - used, "%s%s", used ? ", " : "", str(cell, "probe"));
          used = w < 0 ? len : used + (size_t)w;
        }
    }
  /* The channels are text for people: a cut list shows as one. */
  if (used >= len && len > 4)
    memcpy(channels + len - 4, "...", 4);
  return n == 0 ? NULL : sbx_audit_row_outcome(outcomes, n);
}

bool sbx_report_is_control(const cJSON *doc, const char *backend)
{
  const cJSON *b;

  if (strcmp(str(doc, "control"), backend) == 0)
    return true;
  cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(doc, "backends"))
    if (strcmp(str(b, "name"), backend) == 0)
      return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "positiveControl"));
  return false;
}

static void md_escape(FILE *out, const char *s);

/* A merged report's hosts: each column's host, kernel, mode and date. */
static void hosts_section(const cJSON *doc, FILE *out)
{
  const cJSON *h, *hosts = cJSON_GetObjectItemCaseSensitive(doc, "hosts");

  if (hosts == NULL)
    return;
  fputs("## Hosts\n\nA column is HOST/BACKEND; each cell is as its own run classified it, against that host's own "
        "control.\n\n| host | hostname | kernel | splitbox mode | uid | audited |\n|---|---|---|---|---|---|\n",
        out);
  cJSON_ArrayForEach(h, hosts)
    {
      fputs("| ", out);
      md_escape(out, str(h, "label"));
      fputs(" | ", out);
      md_escape(out, str(h, "hostname"));
      fputs(" | ", out);
      md_escape(out, str(h, "kernel"));
      fputs(" | ", out);
      md_escape(out, str(h, "splitboxMode")[0] ? str(h, "splitboxMode") : "unknown");
      fprintf(out, " | %d | ", (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(h, "uid")));
      md_escape(out, str(h, "started"));
      fputs(" |\n", out);
    }
  fputc('\n', out);
}

static const char *symbol(const char *outcome, bool control)
{
  if (strcmp(outcome, SBX_OUTCOME_LEAKED) == 0)
    return control ? "❌ leaked (control)" : "❌ leaked";
  if (strcmp(outcome, SBX_OUTCOME_BLOCKED) == 0)
    return "✅ blocked";
  if (strcmp(outcome, SBX_OUTCOME_NA) == 0)
    return "— n/a";
  if (strcmp(outcome, SBX_OUTCOME_UNVERIFIED) == 0)
    return "⚠ unverified";
  return "⚠ error";
}

/* Column order: the control, seed-literal with the design's claim beside it,
 * the rest as run. names has room for every backend and the claim. */
static size_t columns(const cJSON *doc, const char **names)
{
  const cJSON *b;
  size_t n = 0;
  const char *control = str(doc, "control");
  bool seed = false;

  names[n++] = control;
  cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(doc, "backends"))
    if (strcmp(str(b, "name"), SEED_BACKEND) == 0 && !seed)
      {
        seed = true;
        names[n++] = SEED_BACKEND;
        names[n++] = NULL; /* the design's claim */
      }
  cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(doc, "backends"))
    if (strcmp(str(b, "name"), control) != 0 && strcmp(str(b, "name"), SEED_BACKEND) != 0)
      names[n++] = str(b, "name");
  return n;
}

static void md_escape(FILE *out, const char *s)
{
  for (; *s != '\0'; s++)
    if (*s == '|')
      fputs("\\|", out);
    else if (*s == '\n')
      fputc(' ', out);
    else
      fputc(*s, out);
}

/* The short benchmark the audit ran, beside the design's promised figures. */
static void latency_section(const cJSON *doc, FILE *out)
{
  const cJSON *lat = cJSON_GetObjectItemCaseSensitive(doc, "latency"), *b, *op;
  const cJSON *floor = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(lat, "floor"), "stats");

  if (lat == NULL)
    return;
  fprintf(out, "\n## Latency\n\nA short run (`splitbox bench`, %d runs per operation; `scripts/bench` for the full "
               "table). The floor is posix_spawn of `/bin/sh -c true` and wait: p50 %.3f ms at the start of the run; each ratio "
               "is to floor spawns alternated with that operation's runs.\n\n",
          (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(lat, "runs")),
          cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(floor, "p50Ms")));
  fputs("| backend | operation | p50 ms | p95 ms | × floor | claimed by design |\n|---|---|---|---|---|---|\n", out);
  cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(lat, "backends"))
    cJSON_ArrayForEach(op, cJSON_GetObjectItemCaseSensitive(b, "ops"))
      {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(op, "stats");
        const cJSON *claimed = cJSON_GetObjectItemCaseSensitive(op, "claimedMs");
        if (s == NULL)
          continue;
        fprintf(out, "| %s | %s | %.3f | %.3f | %.2f | ", str(b, "backend"), str(op, "op"),
                cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s, "p50Ms")),
                cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s, "p95Ms")),
                cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(op, "ratioP50")));
        if (claimed != NULL)
          fprintf(out, "%.0f ms |\n", cJSON_GetNumberValue(claimed));
        else
          fputs(" |\n", out);
      }
}

int sbx_report_markdown(const cJSON *doc, FILE *out, struct sbx_error *err)
{
  const char **cols;
  const cJSON *row, *b, *cell, *host = cJSON_GetObjectItemCaseSensitive(doc, "host");
  const cJSON *summary = cJSON_GetObjectItemCaseSensitive(doc, "summary");
  const char *control = str(doc, "control");
  size_t n_cols;

  if (sbx_report_check(doc, err) < 0)
    return -1;
  cols = calloc((size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "backends")) + 3, sizeof *cols);
  if (cols == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "render");
  n_cols = columns(doc, cols);
  fprintf(out, "# splitbox audit\n\n");
  fprintf(out, "Run %s (%.1f s) on %s as uid %d. Every cell is user code trying to steal a fresh canary held by "
               "a platform-side victim. Positive control: `%s`.\n\n",
          str(doc, "started"), cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(doc, "durationMs")) / 1000.0,
          str(host, "kernel"), (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(host, "uid")), control);
  fputs("| attack vector |", out);
  for (size_t c = 0; c < n_cols; c++)
    fprintf(out, " %s%s |", cols[c] != NULL ? cols[c] : "claimed by design",
            cols[c] != NULL && sbx_report_is_control(doc, cols[c]) ? " (control)" : "");
  fputs("\n|---|", out);
  for (size_t c = 0; c < n_cols; c++)
    fputs("---|", out);
  fputc('\n', out);
  cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(doc, "rows"))
    {
      const char *name = str(row, "name");
      bool design = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(row, "design"));
      bool any = false;

      for (size_t c = 0; c < n_cols && !any; c++)
        any = cols[c] != NULL && sbx_report_row(doc, cols[c], name, (char[1]){ 0 }, 1) != NULL;
      if (!any)
        continue;
      fputs("| ", out);
      md_escape(out, name);
      fputs(" |", out);
      for (size_t c = 0; c < n_cols; c++)
        {
          char channels[512];
          const char *outcome;
          if (cols[c] == NULL)
            {
              fputs(design ? " ✅ blocked |" : " |", out);
              continue;
            }
          outcome = sbx_report_row(doc, cols[c], name, channels, sizeof channels);
          if (outcome == NULL)
            fputs(" |", out);
          else if (strcmp(outcome, SBX_OUTCOME_LEAKED) == 0)
            fprintf(out, " ❌ leaked (%s) |", channels);
          else
            fprintf(out, " %s |", symbol(outcome, false));
        }
      fputc('\n', out);
    }
  fprintf(out,
          "\n✅ blocked: the probes ran and found nothing, and the same probes leaked on `%s` in this run. "
          "❌ leaked: the canary (or the victim) was reached, through the probes named. ⚠ unverified: nothing found, "
          "but the control found nothing either. ⚠ error: the cell could not be run. — n/a: the technique does not "
          "exist here, or the backend is unavailable. \"claimed by design\" is the design document's own column "
          "for its namespace isolation.\n\n",
          control);
  fprintf(out, "Cells: leaked %d, blocked %d, unverified %d, n/a %d, errors %d.\n\n",
          (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(summary, "LEAKED")),
          (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(summary, "BLOCKED")),
          (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(summary, "UNVERIFIED")),
          (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(summary, "N/A")),
          (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(summary, "ERROR")));
  hosts_section(doc, out);
  fputs("## Backends\n\n", out);
  cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(doc, "backends"))
    {
      fprintf(out, "- **%s**%s: ", str(b, "name"),
              cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "available")) ? "" : " (unavailable)");
      md_escape(out, str(b, "description"));
      if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "available")))
        {
          fputs(" *Not run: ", out);
          md_escape(out, str(b, "reason"));
          fputc('*', out);
        }
      fputc('\n', out);
    }
  fputs("\n## Evidence of every leak\n\n", out);
  cJSON_ArrayForEach(cell, cJSON_GetObjectItemCaseSensitive(doc, "cells"))
    if (strcmp(str(cell, "outcome"), SBX_OUTCOME_LEAKED) == 0)
      {
        fprintf(out, "- `%s` × `%s` (%s): ", str(cell, "backend"), str(cell, "probe"), str(cell, "row"));
        md_escape(out, str(cell, "channel"));
        fputs(". ", out);
        md_escape(out, str(cell, "evidence"));
        fputc('\n', out);
      }
  fputs("\n## Errors, unverified and n/a cells\n\n", out);
  cJSON_ArrayForEach(cell, cJSON_GetObjectItemCaseSensitive(doc, "cells"))
    {
      const char *o = str(cell, "outcome");
      if (strcmp(o, SBX_OUTCOME_LEAKED) == 0 || strcmp(o, SBX_OUTCOME_BLOCKED) == 0)
        continue;
      fprintf(out, "- `%s` × `%s`: %s: ", str(cell, "backend"), str(cell, "probe"), o);
      md_escape(out, str(cell, "reason")[0] ? str(cell, "reason") : str(cell, "unverifiedBecause"));
      fputc('\n', out);
    }
  latency_section(doc, out);
  fputs("\n## Host conditions\n\n", out);
  {
    char *text = cJSON_Print(host);
    fprintf(out, "```json\n%s\n```\n", text != NULL ? text : "{}");
    free(text);
  }
  free(cols);
  return ferror(out) ? sbx_error_errno(err, EIO, SBX_E_INTERNAL, "write the report") : 0;
}

static void xml_escape(FILE *out, const char *s)
{
  for (; *s != '\0'; s++)
    switch (*s)
      {
      case '<': fputs("&lt;", out); break;
      case '>': fputs("&gt;", out); break;
      case '&': fputs("&amp;", out); break;
      case '"': fputs("&quot;", out); break;
      default:
        if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
          fputc(*s, out);
      }
}

int sbx_report_junit(const cJSON *doc, FILE *out, struct sbx_error *err)
{
  const cJSON *b, *cell;
  const char *control = str(doc, "control");

  if (sbx_report_check(doc, err) < 0)
    return -1;
  const cJSON *host = cJSON_GetObjectItemCaseSensitive(doc, "host");
  /* JUnit's timestamp is an xs:dateTime without a zone: the run's UTC start, its Z dropped. */
  char timestamp[32];

  snprintf(timestamp, sizeof timestamp, "%.19s", str(doc, "started"));
  fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"splitbox audit\">\n", out);
  cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(doc, "backends"))
    {
      const char *name = str(b, "name");
      bool is_control = strcmp(name, control) == 0;
      int tests = 0, failures = 0, errors = 0, skipped = 0;
      double ms = 0;

      cJSON_ArrayForEach(cell, cJSON_GetObjectItemCaseSensitive(doc, "cells"))
        {
          const char *o = str(cell, "outcome");
          if (strcmp(str(cell, "backend"), name) != 0)
            continue;
          tests++;
          ms += cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cell, "ms"));
          if (strcmp(o, SBX_OUTCOME_NA) == 0)
            skipped++;
          else if (strcmp(o, SBX_OUTCOME_ERROR) == 0 || strcmp(o, SBX_OUTCOME_UNVERIFIED) == 0)
            errors++;
          else if ((strcmp(o, SBX_OUTCOME_LEAKED) == 0) != is_control)
            failures++;
        }
      fputs("  <testsuite name=\"", out);
      xml_escape(out, name);
      fprintf(out, "\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\" timestamp=\"", tests,
              failures, errors, skipped, ms / 1000.0);
      xml_escape(out, timestamp);
      fputs("\" hostname=\"", out);
      xml_escape(out, str(host, "hostname")[0] ? str(host, "hostname") : "localhost");
      fputs("\">\n", out);
      cJSON_ArrayForEach(cell, cJSON_GetObjectItemCaseSensitive(doc, "cells"))
        {
          const char *o = str(cell, "outcome");
          if (strcmp(str(cell, "backend"), name) != 0)
            continue;
          fputs("    <testcase classname=\"", out);
          xml_escape(out, name);
          fputs("\" name=\"", out);
          xml_escape(out, str(cell, "probe"));
          fputs(" (", out);
          xml_escape(out, str(cell, "row"));
          fprintf(out, ")\" time=\"%.3f\">", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cell, "ms")) / 1000.0);
          if (strcmp(o, SBX_OUTCOME_NA) == 0)
            {
              fputs("<skipped message=\"", out);
              xml_escape(out, str(cell, "reason"));
              fputs("\"/>", out);
            }
          else if (strcmp(o, SBX_OUTCOME_ERROR) == 0 || strcmp(o, SBX_OUTCOME_UNVERIFIED) == 0)
            {
              fprintf(out, "<error message=\"%s: ", o);
              xml_escape(out, str(cell, "reason")[0] ? str(cell, "reason") : str(cell, "unverifiedBecause"));
              fputs("\"/>", out);
            }
          else if (strcmp(o, SBX_OUTCOME_LEAKED) == 0 && !is_control)
            {
              fputs("<failure message=\"LEAKED: ", out);
              xml_escape(out, str(cell, "channel"));
              fputs("\">", out);
              xml_escape(out, str(cell, "evidence"));
              fputs("</failure>", out);
            }
          else if (strcmp(o, SBX_OUTCOME_BLOCKED) == 0 && is_control)
            fputs("<failure message=\"the positive control did not leak\"/>", out);
          fputs("</testcase>\n", out);
        }
      fputs("  </testsuite>\n", out);
    }
  fputs("</testsuites>\n", out);
  return ferror(out) ? sbx_error_errno(err, EIO, SBX_E_INTERNAL, "write the report") : 0;
}
