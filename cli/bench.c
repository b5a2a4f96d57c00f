/* splitbox bench [--backend X]... [--op OP]... [--runs N] [--warmup N] [--concurrency C] [--json | --format F] */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/bench.h"
#include "harness/report.h"
#include "cli.h"

#define MAX_ARGS 64

static const char bench_usage[] =
  "Usage: splitbox bench [--backend NAME|PATH]... [--op OP]... [--runs N] [--warmup N] [--concurrency C]\n"
  "                      [--json | --format table|json|html]\n"
  "\n"
  "Latency of backend operations through the backend interface the audit uses: min, p50, p95,\n"
  "p99, max, throughput at the given concurrency, and each p50 as a ratio to the floor measured\n"
  "in the same run (posix_spawn of /bin/sh -c true and wait, with no executor). Operations:\n"
  "user.exec, platform.exec (of `true`), user.exec-1MiB, platform.exec-1MiB, startProcess+kill,\n"
  "shared.writeFile-4KiB/-1MiB, shared.readFile-4KiB/-1MiB, callPlatformOperation.\n"
  "Defaults: every available backend, every operation, --runs 100 --warmup 10 --concurrency 1.\n"
  "--format html prints one self-contained page: the table and a latency chart (inline SVG).\n"
  "\n"
  "Exit status: 0 when every figure was measured, 1 when an operation failed, 2 on bad usage.\n";

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
  size_t nb = 0, no = 0;
  struct sbx_bench_options o = { .runs = 100, .warmup = 10, .concurrency = 1 };
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
        if (positive(optarg, "--concurrency", &o.concurrency) < 0 || o.concurrency == 0 || o.concurrency > 256)
          return 2;
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
