#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "conform_report.h"
#include "error.h"

/* Criterion's words for a test that --filter left out. */
#define CRITERION_NOT_SELECTED "test was skipped"

void sbx_tap_free(struct sbx_tap *t)
{
  for (size_t i = 0; i < t->n; i++)
    {
      free(t->tests[i].suite);
      free(t->tests[i].name);
      free(t->tests[i].message);
    }
  free(t->tests);
  memset(t, 0, sizeof *t);
}

static void chomp(char *s)
{
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
    s[--n] = '\0';
}

static int append(char **msg, const char *line)
{
  size_t old = *msg != NULL ? strlen(*msg) : 0;
  char *grown = realloc(*msg, old + strlen(line) + 2);

  if (grown == NULL)
    return -1;
  if (old > 0)
    grown[old++] = '\n';
  strcpy(grown + old, line);
  *msg = grown;
  return 0;
}

/* "ok - suite::name  (0.14s)", "ok - suite::name  # SKIP why", "not ok - suite::name ...". */
static int parse_result(char *line, struct sbx_tap_test *t, struct sbx_error *err)
{
  bool ok = strncmp(line, "ok - ", 5) == 0;
  char *id = line + (ok ? 5 : 9), *end = id + strcspn(id, " "), *rest = *end != '\0' ? end + 1 : end;
  char *sep, *skip, *paren;

  *end = '\0';
  if ((sep = strstr(id, "::")) == NULL || sep == id || sep[2] == '\0')
    return sbx_error_set(err, EPROTO, SBX_E_PROTOCOL, "TAP: no suite::test in \"%.100s\"", line);
  t->suite = strndup(id, (size_t)(sep - id));
  t->name = strdup(sep + 2);
  if (t->suite == NULL || t->name == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "TAP");
  skip = strstr(rest, "# SKIP");
  if (ok && skip != NULL)
    {
      const char *why = skip + 6 + strspn(skip + 6, " ");
      t->status = strcmp(why, CRITERION_NOT_SELECTED) == 0 ? SBX_TAP_EXCLUDED : SBX_TAP_SKIP;
      t->message = strdup(why[0] != '\0' ? why : "skipped, no reason given");
      return t->message != NULL ? 0 : sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "TAP");
    }
  t->status = ok ? SBX_TAP_PASS : SBX_TAP_FAIL;
  if ((paren = strrchr(rest, '(')) != NULL)
    t->secs = strtod(paren + 1, NULL);
  rest += strspn(rest, " ");
  /* A crash says so on its line ("unexpected signal ..."); assertions come in the block below. */
  if (!ok && rest[0] != '\0' && rest[0] != '(' && (t->message = strdup(rest)) == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "TAP");
  return 0;
}

int sbx_tap_parse(FILE *in, struct sbx_tap *out, struct sbx_error *err)
{
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  bool in_block = false;

  memset(out, 0, sizeof *out);
  while (getline(&line, &cap, in) >= 0)
    {
      struct sbx_tap_test *last = out->n > 0 ? &out->tests[out->n - 1] : NULL;

      chomp(line);
      if (strncmp(line, "ok - ", 5) == 0 || strncmp(line, "not ok - ", 9) == 0)
        {
          struct sbx_tap_test *grown = realloc(out->tests, (out->n + 1) * sizeof *grown);
          if (grown == NULL)
            goto oom;
          out->tests = grown;
          memset(&out->tests[out->n], 0, sizeof out->tests[0]);
          if (parse_result(line, &out->tests[out->n++], err) < 0)
            {
              sbx_tap_free(out);
              return -1;
            }
          out->count[out->tests[out->n - 1].status]++;
          in_block = false;
        }
      else if (strcmp(line, "  ---") == 0)
        in_block = last != NULL;
      else if (strcmp(line, "  ...") == 0)
        in_block = false;
      else if (in_block && last->status == SBX_TAP_FAIL)
        {
          const char *text = line + strspn(line, " ");
          /* The assertions' text, not the YAML bookkeeping around it. */
          if (strncmp(text, "assertions:", 11) != 0 && strcmp(text, "failures:") != 0 && append(&last->message, text) < 0)
            goto oom;
        }
    }
  if (ferror(in))
    {
      sbx_tap_free(out);
      return sbx_error_errno(err, EIO, SBX_E_INTERNAL, "read the TAP");
    }
  return 0;
oom:
  sbx_tap_free(out);
  return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "TAP");
}

/* Attribute-safe: the text may come from a backend's error, or from anything a sandbox printed. */
static void xml_escape(FILE *out, const char *s)
{
  for (; s != NULL && *s != '\0'; s++)
    switch (*s)
      {
      case '&': fputs("&amp;", out); break;
      case '<': fputs("&lt;", out); break;
      case '>': fputs("&gt;", out); break;
      case '"': fputs("&quot;", out); break;
      case '\'': fputs("&apos;", out); break;
      case '\n': fputs("&#10;", out); break;
      case '\t': fputs("&#9;", out); break;
      default:
        if ((unsigned char)*s >= 0x20 && *s != 0x7f)
          fputc(*s, out);
        else
          fputc('?', out);
      }
}

int sbx_tap_junit(const struct sbx_tap *t, const char *name, FILE *out, struct sbx_error *err)
{
  size_t tests = t->count[SBX_TAP_PASS] + t->count[SBX_TAP_FAIL] + t->count[SBX_TAP_SKIP];
  char stamp[32] = "1970-01-01T00:00:00", host[256] = "localhost";
  time_t now = time(NULL);
  struct tm tm;

  if (gmtime_r(&now, &tm) != NULL)
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  if (gethostname(host, sizeof host) != 0)
    snprintf(host, sizeof host, "localhost");
  host[sizeof host - 1] = '\0';

  fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"", out);
  xml_escape(out, name);
  fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\">\n", tests, t->count[SBX_TAP_FAIL],
          t->count[SBX_TAP_SKIP]);
  for (size_t i = 0; i < t->n; i++)
    {
      size_t n[4] = { 0 };
      bool first = true;

      /* Once per suite, at its first test. */
      for (size_t k = 0; k < i && first; k++)
        first = strcmp(t->tests[k].suite, t->tests[i].suite) != 0;
      if (!first)
        continue;
      for (size_t k = i; k < t->n; k++)
        if (strcmp(t->tests[k].suite, t->tests[i].suite) == 0)
          n[t->tests[k].status]++;
      if (n[SBX_TAP_PASS] + n[SBX_TAP_FAIL] + n[SBX_TAP_SKIP] == 0)
        continue;
      {
        double secs = 0;
        for (size_t k = i; k < t->n; k++)
          if (strcmp(t->tests[k].suite, t->tests[i].suite) == 0 && t->tests[k].status != SBX_TAP_EXCLUDED)
            secs += t->tests[k].secs;
        /* Strict consumers want the backend in the suite's name, and time, timestamp and hostname on it. */
        fputs("  <testsuite name=\"", out);
        xml_escape(out, name);
        fputs(": ", out);
        xml_escape(out, t->tests[i].suite);
        fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\" timestamp=\"%s\" hostname=\"",
                n[SBX_TAP_PASS] + n[SBX_TAP_FAIL] + n[SBX_TAP_SKIP], n[SBX_TAP_FAIL], n[SBX_TAP_SKIP], secs, stamp);
        xml_escape(out, host);
        fputs("\">\n", out);
      }
      for (size_t k = i; k < t->n; k++)
        {
          const struct sbx_tap_test *c = &t->tests[k];
          if (strcmp(c->suite, t->tests[i].suite) != 0 || c->status == SBX_TAP_EXCLUDED)
            continue;
          fputs("    <testcase classname=\"", out);
          xml_escape(out, c->suite);
          fputs("\" name=\"", out);
          xml_escape(out, c->name);
          fprintf(out, "\" time=\"%.3f\"", c->secs);
          if (c->status == SBX_TAP_PASS)
            {
              fputs("/>\n", out);
              continue;
            }
          fputs(">\n      <", out);
          fputs(c->status == SBX_TAP_FAIL ? "failure" : "skipped", out);
          fputs(" message=\"", out);
          xml_escape(out, c->message != NULL ? c->message : "failed");
          fprintf(out, "\"/>\n    </testcase>\n");
        }
      fputs("  </testsuite>\n", out);
    }
  fputs("</testsuites>\n", out);
  if (ferror(out))
    return sbx_error_errno(err, EIO, SBX_E_INTERNAL, "write the JUnit XML");
  return 0;
}

/* A YAMLish double-quoted scalar: what TAP::Parser reads back as it was. */
static void yaml_quote(FILE *out, const char *s)
{
  fputc('"', out);
  for (; s != NULL && *s != '\0'; s++)
    if (*s == '"' || *s == '\\')
      fprintf(out, "\\%c", *s);
    else if (*s == '\n')
      fputs("\\n", out);
    else if ((unsigned char)*s < 0x20)
      fprintf(out, "\\x%02x", (unsigned char)*s);
    else
      fputc(*s, out);
  fputc('"', out);
}

/* A directive's text: one line, and no '#', which would start another. */
static void tap_text(FILE *out, const char *s)
{
  for (; s != NULL && *s != '\0'; s++)
    fputc(*s == '\n' || *s == '\r' ? ' ' : *s == '#' ? '_' : *s, out);
}

int sbx_tap_write(const struct sbx_tap *t, FILE *out, struct sbx_error *err)
{
  fprintf(out, "TAP version 13\n1..%zu\n", t->n);
  for (size_t i = 0; i < t->n; i++)
    {
      const struct sbx_tap_test *c = &t->tests[i];
      fprintf(out, "%s %zu - ", c->status == SBX_TAP_FAIL ? "not ok" : "ok", i + 1);
      tap_text(out, c->suite);
      fputs("::", out);
      tap_text(out, c->name);
      if (c->status == SBX_TAP_SKIP || c->status == SBX_TAP_EXCLUDED)
        {
          fputs(" # SKIP ", out);
          tap_text(out, c->status == SBX_TAP_EXCLUDED ? "not selected" : c->message != NULL ? c->message : "skipped");
        }
      fputc('\n', out);
      if (c->status == SBX_TAP_FAIL)
        {
          fputs("  ---\n  message: ", out);
          yaml_quote(out, c->message != NULL ? c->message : "failed");
          fprintf(out, "\n  duration_ms: %.0f\n  ...\n", c->secs * 1000.0);
        }
    }
  return ferror(out) ? sbx_error_errno(err, EIO, SBX_E_INTERNAL, "write the TAP") : 0;
}
