/* splitbox bench [--backend X]... [--op OP]... [--runs N] [--warmup N] [--concurrency C[,C]...] [--json | --format F] */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/bench.h"
#include "harness/report.h"
#include "cli.h"

#define MAX_ARGS 64
#define MAX_LEVELS 8

static const char bench_usage[] =
  "Usage: splitbox bench [--backend NAME|PATH]... [--op OP]... [--runs N] [--warmup N]\n"
  "                      [--concurrency C[,C]...] [--json | --format table|json|html]\n"
  "\n"
  "Latency of backend operations through the backend interface the audit uses: min, p50, p95,\n"
  "p99, max, and each p50 as a ratio to the floor: posix_spawn of /bin/sh -c true and wait,\n"
  "with no executor, alternated with the operation's runs in blocks of 20, in the same thread,\n"
  "so that the floor sees the load the operation saw; then throughput (ops/s) at each concurrency of\n"
  "--concurrency: that many client threads running the operation back to back, at least\n"
  "--runs operations and two per thread. The latency figures are at the first concurrency given.\n"
  "Operations: user.exec, platform.exec (of `true`), user.exec-1MiB, platform.exec-1MiB,\n"
  "startProcess+kill, shared.writeFile-4KiB/-1MiB, shared.readFile-4KiB/-1MiB,\n"
  "callPlatformOperation. startProcess+kill starts `exec sleep 60` and kills it at once: under\n"
  "load the kill lands after the shell has exec'd sleep more often, so its throughput at high\n"
  "concurrency counts more work per operation.\n"
  "Defaults: every available backend, every operation, --runs 100 --warmup 10\n"
  "--concurrency 1,16,64.\n"
  "--format html prints one self-contained page: the tables and a latency chart (inline SVG).\n"
  "\n"
  "Exit status: 0 when every figure was measured, 1 when an operation failed (at any\n"
  "concurrency), 2 on bad usage.\n";

/* "1,16,64": up to MAX_LEVELS levels, each 1 to 256, none twice. */
static int levels_of(const char *arg, int *levels, size_t *n)
{
  const char *p = arg;

  *n = 0;
  for (;;)
    {
      char *end;
      long v;
      if (*p < '0' || *p > '9')
        break;
      v = strtol(p, &end, 10);
      if (v < 1 || v > 256 || *n == MAX_LEVELS || (*end != ',' && *end != '\0'))
        break;
      for (size_t i = 0; i < *n; i++)
        if (levels[i] == v)
          goto bad;
      levels[(*n)++] = (int)v;
      if (*end == '\0')
        return 0;
      p = end + 1;
    }
bad:
  fprintf(stderr,
          "splitbox bench: --concurrency takes up to %d different whole numbers from 1 to 256, comma-separated: "
          "\"%s\"\n",
          MAX_LEVELS, arg);
  return -1;
}

static int positive(const char *arg, const char *what, int *out)
{
  char *end;
  long v = strtol(arg, &end, 10);

  if (*end != '\0' || v < 0 || v > 100000)
    {
      fprintf(stderr, "splitbox bench: %s takes a whole number from 0 to 100000: \"%s\"\n", what, arg);
      return -1;
    }
  *out = (int)v;
  return 0;
}

int sbx_cli_bench(int argc, char **argv)
{
  static const struct option opts[] = {
    { "backend", required_argument, NULL, 'b' },     { "op", required_argument, NULL, 'o' },
    { "runs", required_argument, NULL, 'r' },        { "warmup", required_argument, NULL, 'w' },
    { "concurrency", required_argument, NULL, 'c' }, { "json", no_argument, NULL, 'j' },
    { "format", required_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },              { NULL, 0, NULL, 0 },
  };
  const char *backends[MAX_ARGS + 1] = { 0 }, *ops[MAX_ARGS + 1] = { 0 };
  int levels[MAX_LEVELS] = { 1, 16, 64 };
  size_t nb = 0, no = 0;
  struct sbx_bench_options o = { .runs = 100, .warmup = 10, .concurrency = 1, .levels = levels, .n_levels = 3 };
  struct sbx_error err = { 0 };
  bool json = false, html = false, failed = false;
  cJSON *report = NULL, *b, *op;
  int c;

  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
    switch (c)
      {
      case 'b':
        if (nb == MAX_ARGS)
          return 2;
        backends[nb++] = optarg;
        break;
      case 'o':
        if (no == MAX_ARGS)
          return 2;
        ops[no++] = optarg;
        break;
      case 'r':
        if (positive(optarg, "--runs", &o.runs) < 0 || o.runs == 0)
          return 2;
        break;
      case 'w':
        if (positive(optarg, "--warmup", &o.warmup) < 0)
          return 2;
        break;
      case 'c':
        if (levels_of(optarg, levels, &o.n_levels) < 0)
          return 2;
        o.concurrency = levels[0];
        break;
      case 'j': json = true; break;
      case 'f':
        if (strcmp(optarg, "json") != 0 && strcmp(optarg, "html") != 0 && strcmp(optarg, "table") != 0)
          {
            fprintf(stderr, "splitbox bench: unknown format \"%s\" (table, json, html)\n", optarg);
            return 2;
          }
        json = strcmp(optarg, "json") == 0;
        html = strcmp(optarg, "html") == 0;
        break;
      case 'h': fputs(bench_usage, stdout); return 0;
      default: fputs(bench_usage, stderr); return 2;
      }
  o.backends = nb > 0 ? backends : NULL;
  o.ops = no > 0 ? ops : NULL;
  o.quiet = json || html || sbx_cli_verbosity < 0;
  if (sbx_bench_run(&o, &report, &err) < 0)
    {
      fprintf(stderr, "splitbox bench: %s: %s\n", err.code, err.message);
      return 2;
    }
  /* Failures go to stderr whatever the format: a run that exits 1 says which
   * operation failed, how often, and why. */
  cJSON_ArrayForEach(b, cJSON_GetObjectItem(report, "backends"))
    cJSON_ArrayForEach(op, cJSON_GetObjectItem(b, "ops"))
      {
        const char *error = cJSON_GetStringValue(cJSON_GetObjectItem(op, "error"));
        const cJSON *t;
        cJSON_ArrayForEach(t, cJSON_GetObjectItem(op, "throughput"))
          if (cJSON_GetStringValue(cJSON_GetObjectItem(t, "error")) != NULL)
            {
              failed = true;
              fprintf(stderr, "splitbox bench: %s %s at concurrency %.0f: %.0f run(s) failed: %s\n",
                      cJSON_GetStringValue(cJSON_GetObjectItem(b, "backend")),
                      cJSON_GetStringValue(cJSON_GetObjectItem(op, "op")),
                      cJSON_GetNumberValue(cJSON_GetObjectItem(t, "concurrency")),
                      cJSON_GetNumberValue(cJSON_GetObjectItem(t, "failed")),
                      cJSON_GetStringValue(cJSON_GetObjectItem(t, "error")));
            }
        if (error == NULL)
          continue;
        failed = true;
        fprintf(stderr, "splitbox bench: %s %s: %.0f run(s) failed: %s\n",
                cJSON_GetStringValue(cJSON_GetObjectItem(b, "backend")), cJSON_GetStringValue(cJSON_GetObjectItem(op, "op")),
                cJSON_GetNumberValue(cJSON_GetObjectItem(op, "failed")) > 0 ? cJSON_GetNumberValue(cJSON_GetObjectItem(op, "failed")) : 1,
                error);
      }
  if (json)
    {
      char *text = cJSON_Print(report);
      puts(text != NULL ? text : "{}");
      free(text);
    }
  else if (html)
    {
      if (sbx_bench_html(report, stdout, &err) < 0)
        {
          fprintf(stderr, "splitbox bench: %s: %s\n", err.code, err.message);
          failed = true;
        }
    }
  else
    sbx_bench_print(report, stdout);
  cJSON_Delete(report);
  return failed ? 1 : 0;
}
