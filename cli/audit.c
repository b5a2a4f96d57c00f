/* splitbox audit | backends | report render: the guarantee table of any
 * backend, with evidence, and a policy to gate CI on. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/audit.h"
#include "harness/backend.h"
#include "cleanup.h"
#include "cli.h"
#include "error.h"
#include "harness/policy.h"
#include "harness/report.h"
#include "harness/schema.h"
#include "harness/schemas.h"
#include "harness/spec_check.h"

#define EXIT_POLICY 1
#define EXIT_HARNESS 2
#define MAX_ARGS 64

static const char audit_usage[] =
  "Usage: splitbox audit [--backend NAME|PATH]... [--probe NAME]... [--out DIR] [--policy FILE]\n"
  "                      [--format md,json,junit,html] [--quiet] [--no-latency]\n"
  "       splitbox backends [--json] [NAME|PATH...] | check FILE...\n"
  "       splitbox report render FILE [--out DIR] [--format md,junit,html]\n"
  "       splitbox report rows FILE     (one line per backend and row: outcome and channels)\n"
  "       splitbox report merge FILE... [--out DIR] [--format md,json,junit,html] [--policy FILE]\n"
  "                                     (hosts' reports as one: a column per host x backend)\n"
  "\n"
  "Runs every probe (attacks/) against every backend (fixtures/backends/, or a spec file) as\n"
  "user code, against a fresh canary held by a platform-side victim, and writes report.md,\n"
  "report.json and junit.xml (and report.html with --format ...,html: one self-contained page)\n"
  "to --out (default reports/latest). The positive control `none`\n"
  "always runs: a cell is BLOCKED only if the same probe leaked there in the same run.\n"
  "Progress goes to stderr, one line per cell. The report ends with a short benchmark of the same\n"
  "backends (its latency section; --no-latency skips it).\n"
  "\n"
  "Exit status, whatever the policy: 2 when something could not be checked (a cell is ERROR, a\n"
  "--backend spec is missing, fails to load or cannot run here, the policy or a format is bad:\n"
  "these are checked before any work) or on bad usage; else 1 when the policy is violated (the\n"
  "cells are listed); else 0.\n";

static const char report_usage[] =
  "Usage: splitbox report render FILE [--out DIR] [--format md,junit,html]\n"
  "       splitbox report rows FILE\n"
  "       splitbox report merge FILE... [--out DIR] [--format md,json,junit,html] [--policy FILE]\n"
  "\n"
  "render: re-renders an audit's report.json (beside it, or into --out).\n"
  "rows:   one line per backend and row, tab-separated: backend, row, outcome, channels.\n"
  "merge:  several hosts' reports as one (default --out reports/fleet): a column per\n"
  "        host x backend, each cell as its own run classified it, and a policy\n"
  "        checked on every host.\n"
  "\n"
  "Exit status: 0; 1 when merge's policy is violated; 2 on bad usage or a file that is\n"
  "not an audit report.\n";

static int fail(const char *what, const struct sbx_error *err)
{
  fprintf(stderr, "splitbox %s: %s: %s\n", what, err->code, err->message);
  return EXIT_HARNESS;
}

static cJSON *read_json(const char *path, struct sbx_error *err)
{
  FILE *f = fopen(path, "re");
  char *text = NULL;
  size_t len = 0;
  cJSON *doc;

  if (f == NULL)
    {
      sbx_error_errno(err, errno, SBX_E_FILE_NOT_FOUND, "%s", path);
      return NULL;
    }
  if (getdelim(&text, &len, '\0', f) < 0)
    {
      fclose(f);
      free(text);
      sbx_error_errno(err, errno ? errno : EIO, SBX_E_INTERNAL, "read %s", path);
      return NULL;
    }
  fclose(f);
  doc = cJSON_Parse(text);
  free(text);
  if (doc == NULL)
    sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "%s is not JSON", path);
  return doc;
}

static int mkdir_p(const char *dir)
{
  char path[4096];

  snprintf(path, sizeof path, "%s", dir);
  for (char *p = path + 1; *p != '\0'; p++)
    if (*p == '/')
      {
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
          return -1;
        *p = '/';
      }
  return mkdir(path, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* Writes the formats asked for (a comma-separated list) into dir. */
static int write_reports(const char *verb, const cJSON *doc, const char *dir, const char *formats, bool json_allowed,
                         struct sbx_error *err)
{
  _cleanup_free_ char *copy = strdup(formats);

  if (copy == NULL || mkdir_p(dir) < 0)
    return sbx_error_errno(err, errno ? errno : ENOMEM, SBX_E_INTERNAL, "create %s", dir);
  for (char *save = NULL, *f = strtok_r(copy, ",", &save); f != NULL; f = strtok_r(NULL, ",", &save))
    {
      char path[4200];
      FILE *out;
      int r = 0;
      const char *file = strcmp(f, "md") == 0 ? "report.md" : strcmp(f, "json") == 0 ? "report.json"
                         : strcmp(f, "junit") == 0 ? "junit.xml" : strcmp(f, "html") == 0 ? "report.html" : NULL;

      if (file == NULL || (!json_allowed && strcmp(f, "json") == 0))
        return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "unknown format \"%s\" (md, %sjunit, html)", f,
                             json_allowed ? "json, " : "");
      snprintf(path, sizeof path, "%s/%s", dir, file);
      if ((out = fopen(path, "we")) == NULL)
        return sbx_error_errno(err, errno, SBX_E_INTERNAL, "write %s", path);
      if (strcmp(f, "md") == 0)
        r = sbx_report_markdown(doc, out, err);
      else if (strcmp(f, "junit") == 0)
        r = sbx_report_junit(doc, out, err);
      else if (strcmp(f, "html") == 0)
        r = sbx_report_html(doc, out, err);
      else
        {
          char *text = cJSON_Print(doc);
          r = text != NULL && fputs(text, out) >= 0 && fputc('\n', out) != EOF ? 0 : -1;
          free(text);
        }
      if (fclose(out) != 0 || r < 0)
        return err->code[0] ? -1 : sbx_error_errno(err, EIO, SBX_E_INTERNAL, "write %s", path);
      if (sbx_cli_verbosity >= 0)
        fprintf(stderr, "splitbox %s: wrote %s\n", verb, path);
    }
  return 0;
}

static int check_policy(const char *policy_path, const cJSON *doc)
{
  struct sbx_error err = { 0 };
  cJSON *policy = read_json(policy_path, &err), *violations = NULL, *v;
  int n;

  if (policy == NULL || sbx_policy_check(policy, doc, &violations, &err) < 0)
    {
      cJSON_Delete(policy);
      return fail("audit --policy", &err);
    }
  n = cJSON_GetArraySize(violations);
  if (n == 0)
    fprintf(stderr, "splitbox audit: policy %s holds\n", policy_path);
  else
    {
      fprintf(stderr, "splitbox audit: policy %s is violated in %d cell(s):\n", policy_path, n);
      cJSON_ArrayForEach(v, violations)
        {
          const char *channels = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "channels"));
          fprintf(stderr, "  %s / %s: %s%s%s%s\n", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "backend")),
                  cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "row")),
                  cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "outcome")), channels ? " (" : "",
                  channels ? channels : "", channels ? ")" : "");
        }
    }
  cJSON_Delete(violations);
  cJSON_Delete(policy);
  return n == 0 ? 0 : EXIT_POLICY;
}

/* Everything that can be refused before the audit runs: a CI gate must not
 * spend minutes and then be unable to say anything. */
static int preflight(const char *const *backends, size_t n_backends, const char *formats, const char *policy_path)
{
  static const char *const known[] = { "md", "json", "junit", "html" };
  _cleanup_free_ char *copy = strdup(formats);
  struct sbx_error err = { 0 };
  int bad = 0;

  if (copy == NULL)
    return EXIT_HARNESS;
  for (char *save = NULL, *f = strtok_r(copy, ",", &save); f != NULL; f = strtok_r(NULL, ",", &save))
    {
      bool ok = false;
      for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        ok = ok || strcmp(f, known[i]) == 0;
      if (!ok)
        {
          fprintf(stderr, "splitbox audit: unknown format \"%s\" (md, json, junit, html)\n", f);
          bad = 1;
        }
    }
  if (policy_path != NULL)
    {
      cJSON *policy = read_json(policy_path, &err), *schema = cJSON_Parse(sbx_schema_policy);
      char why[512];
      if (policy == NULL)
        {
          fprintf(stderr, "splitbox audit: --policy: %s: %s\n", err.code, err.message);
          bad = 1;
        }
      else if (sbx_schema_validate(schema, policy, why, sizeof why) < 0)
        {
          fprintf(stderr, "splitbox audit: --policy %s does not satisfy reports/policy.schema.json: %s\n", policy_path,
                  why);
          bad = 1;
        }
      cJSON_Delete(policy);
      cJSON_Delete(schema);
    }
  for (size_t i = 0; i < n_backends; i++)
    {
      struct sbx_backend *b = NULL;
      memset(&err, 0, sizeof err);
      if (sbx_backend_load(backends[i], &b, &err) < 0)
        {
          fprintf(stderr, "splitbox audit: --backend %s: %s: %s\n", backends[i], err.code, err.message);
          bad = 1;
        }
      else if (!sbx_backend_info(b)->available)
        {
          /* Named on purpose: N/A cells there would be a green run that checked nothing. */
          fprintf(stderr, "splitbox audit: --backend %s cannot run here: %s\n", backends[i],
                  sbx_backend_info(b)->reason);
          bad = 1;
        }
      sbx_backend_close(b);
    }
  return bad ? EXIT_HARNESS : 0;
}

/* ERROR cells: the audit could not tell whether they leak. */
static int count_errors(const cJSON *doc)
{
  const cJSON *cell;
  int n = 0;

  cJSON_ArrayForEach(cell, cJSON_GetObjectItemCaseSensitive(doc, "cells"))
    if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cell, "outcome")) ?: "", SBX_OUTCOME_ERROR) == 0)
      {
        const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cell, "reason"));
        if (n++ == 0)
          fprintf(stderr, "splitbox audit: cells the audit could not check (ERROR):\n");
        if (n <= 20)
          fprintf(stderr, "  %s / %s: %.300s\n", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cell, "backend")),
                  cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cell, "probe")), why != NULL ? why : "");
      }
  if (n > 20)
    fprintf(stderr, "  ... and %d more (report.json)\n", n - 20);
  return n;
}

int sbx_cli_audit(int argc, char **argv)
{
  static const struct option opts[] = {
    { "backend", required_argument, NULL, 'b' }, { "probe", required_argument, NULL, 'p' },
    { "out", required_argument, NULL, 'o' },     { "policy", required_argument, NULL, 'P' },
    { "format", required_argument, NULL, 'f' },  { "quiet", no_argument, NULL, 'q' },
    { "no-latency", no_argument, NULL, 'L' },
    { "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
  };
  const char *backends[MAX_ARGS + 1] = { 0 }, *probes[MAX_ARGS + 1] = { 0 };
  size_t n_backends = 0, n_probes = 0;
  const char *out = "reports/latest", *policy = NULL, *formats = "md,json,junit";
  struct sbx_audit_options o = { 0 };
  struct sbx_error err = { 0 };
  cJSON *doc = NULL;
  int c, r;

  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
    switch (c)
      {
      case 'b':
        if (n_backends == MAX_ARGS)
          return EXIT_HARNESS;
        backends[n_backends++] = optarg;
        break;
      case 'p':
        if (n_probes == MAX_ARGS)
          return EXIT_HARNESS;
        probes[n_probes++] = optarg;
        break;
      case 'o': out = optarg; break;
      case 'P': policy = optarg; break;
      case 'f': formats = optarg; break;
      case 'q': o.quiet = true; break;
      case 'L': o.no_latency = true; break;
      case 'h': fputs(audit_usage, stdout); return 0;
      default: fputs(audit_usage, stderr); return EXIT_HARNESS;
      }
  if (optind < argc)
    {
      fprintf(stderr, "splitbox audit: unexpected argument \"%s\"\n\n%s", argv[optind], audit_usage);
      return EXIT_HARNESS;
    }
  if (preflight(backends, n_backends, formats, policy) != 0)
    return EXIT_HARNESS;
  o.backends = n_backends > 0 ? backends : NULL;
  o.probes = n_probes > 0 ? probes : NULL;
  o.quiet = o.quiet || sbx_cli_verbosity < 0;
  o.verbose = sbx_cli_verbosity > 0;
  o.colour = sbx_cli_colour(stderr);
  if (sbx_audit_run(&o, &doc, &err) < 0)
    return fail("audit", &err);
  r = write_reports("audit", doc, out, formats, true, &err) < 0 ? fail("audit", &err) : 0;
  {
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(doc, "summary");
    fprintf(stderr, "splitbox audit: %d leaked, %d blocked, %d unverified, %d n/a, %d errors in %.1f s\n",
            (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s, "LEAKED")),
            (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s, "BLOCKED")),
            (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s, "UNVERIFIED")),
            (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s, "N/A")),
            (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s, "ERROR")),
            cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(doc, "durationMs")) / 1000.0);
  }
  if (r == 0 && policy != NULL)
    r = check_policy(policy, doc);
  if (count_errors(doc) > 0)
    r = EXIT_HARNESS;
  cJSON_Delete(doc);
  return r;
}

static const char backends_usage[] =
  "Usage: splitbox backends [--json] [NAME|PATH...]\n"
  "       splitbox backends check FILE...\n"
  "\n"
  "Lists the backends (every spec in the backends directory, or those named): whether each can run\n"
  "here, and if not why. `check` validates spec files against reports/backend.schema.json and the\n"
  "loader's rules, naming the field and the fix for each error, and prints what every placeholder\n"
  "expands to. Exit status: 0 when every spec checked is valid, 1 when one is not, 2 on bad usage.\n";

static int backends_check(int argc, char **argv)
{
  int bad = 0;

  if (argc < 1)
    {
      fputs(backends_usage, stderr);
      return EXIT_HARNESS;
    }
  for (int i = 0; i < argc; i++)
    bad += sbx_spec_check(argv[i], stdout) != 0;
  return bad > 0 ? 1 : 0;
}

int sbx_cli_backends(int argc, char **argv)
{
  _cleanup_strv_ char **names = NULL;
  struct sbx_error err = { 0 };
  bool json = false;
  cJSON *arr;
  int first = 1;

  if (argc > 1 && strcmp(argv[1], "check") == 0)
    return backends_check(argc - 2, argv + 2);
  if (argc > 1 && strcmp(argv[1], "--help") == 0)
    {
      fputs(backends_usage, stdout);
      return 0;
    }
  if (argc > 1 && strcmp(argv[1], "--json") == 0)
    {
      json = true;
      first = 2;
    }
  for (int i = first; i < argc; i++)
    if (argv[i][0] == '-')
      {
        fprintf(stderr, "splitbox backends: unknown option \"%s\"\n\n%s", argv[i], backends_usage);
        return EXIT_HARNESS;
      }
  if (first < argc)
    {
      if ((names = calloc((size_t)(argc - first + 1), sizeof(char *))) == NULL)
        return EXIT_HARNESS;
      for (int i = first; i < argc; i++)
        if ((names[i - first] = strdup(argv[i])) == NULL)
          return EXIT_HARNESS;
    }
  else if (sbx_backend_list(&names, &err) < 0)
    return fail("backends", &err);
  if (!json && first >= argc)
    printf("Backends in %s:\n", sbx_backends_dir());
  arr = cJSON_CreateArray();
  for (char **n = names; *n != NULL; n++)
    {
      struct sbx_backend *b = NULL;
      struct sbx_error lerr = { 0 };
      const struct sbx_backend_info *info;
      cJSON *o = cJSON_CreateObject();

      cJSON_AddStringToObject(o, "name", *n);
      if (sbx_backend_load(*n, &b, &lerr) < 0)
        {
          cJSON_AddBoolToObject(o, "available", false);
          cJSON_AddStringToObject(o, "reason", lerr.message);
          if (!json)
            printf("  %-22s broken spec: %s\n", *n, lerr.message);
        }
      else
        {
          info = sbx_backend_info(b);
          cJSON_AddStringToObject(o, "kind", info->kind);
          cJSON_AddBoolToObject(o, "available", info->available);
          if (!info->available)
            cJSON_AddStringToObject(o, "reason", info->reason);
          cJSON_AddStringToObject(o, "description", info->description);
          if (!json)
            printf("  %-22s %-8s %s\n", info->name, info->kind, info->available ? "available" : info->reason);
        }
      cJSON_AddItemToArray(arr, o);
      sbx_backend_close(b);
    }
  if (json)
    {
      char *text = cJSON_PrintUnformatted(arr);
      puts(text != NULL ? text : "[]");
      free(text);
    }
  cJSON_Delete(arr);
  return 0;
}

/* For scripts: backend, row, outcome and channels, tab-separated. */
static int report_rows(const char *path)
{
  struct sbx_error err = { 0 };
  cJSON *doc = read_json(path, &err);
  const cJSON *b, *row;

  if (doc == NULL || sbx_report_check(doc, &err) < 0)
    {
      cJSON_Delete(doc);
      return fail("report rows", &err);
    }
  cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(doc, "backends"))
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(doc, "rows"))
      {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "name"));
        const char *row_name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "name"));
        char channels[512];
        const char *outcome = sbx_report_row(doc, name, row_name, channels, sizeof channels);
        if (outcome != NULL)
          printf("%s\t%s\t%s\t%s\n", name, row_name, outcome, channels);
      }
  cJSON_Delete(doc);
  return 0;
}

/* report merge A.json B.json ... [--out DIR] [--format F] [--policy FILE]: a fleet's reports as one. */
static int report_merge(int argc, char **argv)
{
  static const struct option opts[] = {
    { "out", required_argument, NULL, 'o' },    { "format", required_argument, NULL, 'f' },
    { "policy", required_argument, NULL, 'P' }, { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *out = "reports/fleet", *formats = "md,json,junit", *policy = NULL;
  cJSON *docs[MAX_ARGS] = { 0 }, *merged = NULL;
  struct sbx_error err = { 0 };
  size_t n = 0;
  int c, r = 0;

  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
    switch (c)
      {
      case 'o': out = optarg; break;
      case 'f': formats = optarg; break;
      case 'P': policy = optarg; break;
      case 'h': fputs(report_usage, stdout); return 0;
      default: fputs(report_usage, stderr); return EXIT_HARNESS;
      }
  if (optind >= argc || argc - optind > MAX_ARGS)
    {
      fprintf(stderr, "splitbox report merge: give 1 to %d report.json files\n", MAX_ARGS);
      return EXIT_HARNESS;
    }
  for (int i = optind; i < argc && r == 0; i++)
    if ((docs[n++] = read_json(argv[i], &err)) == NULL)
      r = fail("report merge", &err);
  if (r == 0 && sbx_report_merge(docs, n, &merged, &err) < 0)
    r = fail("report merge", &err);
  if (r == 0 && write_reports("report merge", merged, out, formats, true, &err) < 0)
    r = fail("report merge", &err);
  if (r == 0 && policy != NULL)
    r = check_policy(policy, merged);
  for (size_t i = 0; i < n; i++)
    cJSON_Delete(docs[i]);
  cJSON_Delete(merged);
  return r;
}

int sbx_cli_report(int argc, char **argv)
{
  static const struct option opts[] = {
    { "out", required_argument, NULL, 'o' }, { "format", required_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },      { NULL, 0, NULL, 0 },
  };
  const char *out = NULL, *formats = "md,junit";
  struct sbx_error err = { 0 };
  cJSON *doc;
  int c, r;

  if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0))
    {
      fputs(report_usage, stdout);
      return 0;
    }
  if (argc == 3 && strcmp(argv[1], "rows") == 0)
    return report_rows(argv[2]);
  if (argc >= 2 && strcmp(argv[1], "merge") == 0)
    return report_merge(argc - 1, argv + 1);
  if (argc < 2 || strcmp(argv[1], "render") != 0)
    {
      fputs(report_usage, stderr);
      return EXIT_HARNESS;
    }
  optind = 1;
  while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1)
    switch (c)
      {
      case 'o': out = optarg; break;
      case 'f': formats = optarg; break;
      case 'h': fputs(report_usage, stdout); return 0;
      default: fputs(report_usage, stderr); return EXIT_HARNESS;
      }
  if (argc - 1 - optind != 1)
    {
      fputs("splitbox report render: give one report.json\n", stderr);
      return EXIT_HARNESS;
    }
  if ((doc = read_json(argv[optind + 1], &err)) == NULL)
    return fail("report render", &err);
  if (out == NULL)
    {
      /* Beside the JSON it renders. */
      static char dir[4096];
      const char *slash = strrchr(argv[optind + 1], '/');
      snprintf(dir, sizeof dir, "%.*s", slash != NULL ? (int)(slash - argv[optind + 1]) : 1,
               slash != NULL ? argv[optind + 1] : ".");
      out = dir;
    }
  r = write_reports("report render", doc, out, formats, false, &err) < 0 ? fail("report render", &err) : 0;
  cJSON_Delete(doc);
  return r;
}
