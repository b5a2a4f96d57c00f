#include <cjson/cJSON.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "bench.h"
#include "callback.h"
#include "cleanup.h"
#include "error.h"
#include "run.h"

#define MIB (1024u * 1024u)

const char *const sbx_bench_ops[] = {
  "user.exec",           "platform.exec",        "user.exec-1MiB",     "platform.exec-1MiB",
  "startProcess+kill",   "shared.writeFile-4KiB", "shared.writeFile-1MiB", "shared.readFile-4KiB",
  "shared.readFile-1MiB", "callPlatformOperation",
};
const size_t sbx_bench_op_count = sizeof sbx_bench_ops / sizeof sbx_bench_ops[0];

/* The design's promised figures, where it gives one. */
static double claimed_ms(const char *op)
{
  if (strcmp(op, "user.exec") == 0 || strncmp(op, "shared.readFile", 15) == 0)
    return 1;
  if (strcmp(op, "platform.exec") == 0)
    return 5;
  if (strcmp(op, "callPlatformOperation") == 0)
    return 10;
  return 0;
}

static int compare_doubles(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double rank(const double *sorted, size_t n, double p)
{
  /* Nearest rank: the smallest sample with at least p of them at or below it. */
  size_t k = (size_t)(p * (double)n + 0.999999);
  return sorted[k == 0 ? 0 : (k > n ? n : k) - 1];
}

struct sbx_stats sbx_stats_of(double *samples, size_t n)
{
  struct sbx_stats s = { .n = n };
  double sum = 0;

  if (n == 0)
    return s;
  qsort(samples, n, sizeof *samples, compare_doubles);
  for (size_t i = 0; i < n; i++)
    sum += samples[i];
  s.min = samples[0];
  s.max = samples[n - 1];
  s.mean = sum / (double)n;
  s.p50 = rank(samples, n, 0.50);
  s.p95 = rank(samples, n, 0.95);
  s.p99 = rank(samples, n, 0.99);
  return s;
}

double sbx_ratio(double value, double floor)
{
  return floor > 0 ? value / floor : 0;
}

static cJSON *stats_json(const struct sbx_stats *s)
{
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "n", (double)s->n);
  cJSON_AddNumberToObject(o, "minMs", s->min);
  cJSON_AddNumberToObject(o, "p50Ms", s->p50);
  cJSON_AddNumberToObject(o, "p95Ms", s->p95);
  cJSON_AddNumberToObject(o, "p99Ms", s->p99);
  cJSON_AddNumberToObject(o, "maxMs", s->max);
  cJSON_AddNumberToObject(o, "meanMs", s->mean);
  return o;
}

/* ---- the floor ---- */

extern char **environ;

static double floor_once(void)
{
  char *argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)"true", NULL };
  double start = sbx_monotonic_ms();
  int status;
  pid_t pid;

  if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0)
    return -1;
  waitpid(pid, &status, 0);
  return sbx_monotonic_ms() - start;
}

/* ---- operations against one backend ---- */

struct op_ctx
{
  struct sbx_backend *b;
  const char *op;
  char *payload; /* 1 MiB of 'x' */
  char *handle_pool;
};

static int run_op(struct op_ctx *c, struct sbx_error *err)
{
  struct sbx_bexec req = { 0 };
  struct sbx_bresult res;
  const char *op = c->op;
  int r = 0;

  if (strcmp(op, "user.exec") == 0 || strcmp(op, "platform.exec") == 0 || strcmp(op, "user.exec-1MiB") == 0
      || strcmp(op, "platform.exec-1MiB") == 0)
    {
      req.command = strstr(op, "1MiB") != NULL ? "head -c 1048576 /dev/zero | tr '\\0' x" : "true";
      r = sbx_backend_exec(c->b, strncmp(op, "user", 4) == 0 ? SBX_BCTX_USER : SBX_BCTX_PLATFORM, &req, &res, err);
      if (r == 0 && (res.exit_code != 0 || (strstr(op, "1MiB") != NULL && res.out_len != MIB)))
        r = sbx_error_set(err, EIO, SBX_E_INTERNAL, "%s: exit %d, %zu bytes of output", op, res.exit_code, res.out_len);
      sbx_bresult_free(&res);
      return r;
    }
  if (strcmp(op, "startProcess+kill") == 0)
    {
      char *handle = NULL;
      req.command = "exec sleep 60";
      if (sbx_backend_start(c->b, SBX_BCTX_USER, &req, &handle, err) < 0)
        return -1;
      r = sbx_backend_stop(c->b, SBX_BCTX_USER, handle, 2000, err);
      free(handle);
      return r;
    }
  if (strncmp(op, "shared.writeFile", 16) == 0)
    return sbx_backend_write(c->b, strstr(op, "1MiB") != NULL ? "bench-1m" : "bench-4k", c->payload,
                             strstr(op, "1MiB") != NULL ? MIB : 4096, err);
  if (strncmp(op, "shared.readFile", 15) == 0)
    {
      char *data = NULL;
      size_t len = 0;
      r = sbx_backend_read(c->b, strstr(op, "1MiB") != NULL ? "bench-1m" : "bench-4k", &data, &len, err);
      free(data);
      return r;
    }
  if (strcmp(op, "callPlatformOperation") == 0)
    {
      long status;
      cJSON *doc = NULL, *body = cJSON_CreateObject();
      cJSON_AddNullToObject(body, "params");
      r = sbx_backend_request(c->b, "operations", "POST", "bench/call", body, &status, &doc, err);
      cJSON_Delete(body);
      if (r == 0 && status != 200)
        r = sbx_error_set(err, EIO, SBX_E_OPERATION_FAILED, "operation call: HTTP %ld", status);
      cJSON_Delete(doc);
      return r;
    }
  return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "unknown operation %s", op);
}

#define FLOOR_BLOCK 20

struct worker
{
  struct op_ctx *c;
  int count;
  double *samples;
  double *floor_samples; /* NULL, or as many floor spawns as operations, in blocks before them */
  int n_floor;
  double floor_ms; /* the time those took */
  int failed;
  struct sbx_error err;
};

static void *work(void *arg)
{
  struct worker *w = arg;

  for (int i = 0; i < w->count; i++)
    {
      double start;
      if (w->floor_samples != NULL && i % FLOOR_BLOCK == 0)
        {
          double block = sbx_monotonic_ms();
          for (int j = i; j < w->count && j < i + FLOOR_BLOCK; j++)
            {
              double ms = floor_once();
              if (ms >= 0)
                w->floor_samples[w->n_floor++] = ms;
            }
          w->floor_ms += sbx_monotonic_ms() - block;
        }
      start = sbx_monotonic_ms();
      if (run_op(w->c, &w->err) < 0)
        {
          w->failed++;
          continue;
        }
      w->samples[i - w->failed] = sbx_monotonic_ms() - start;
    }
  return NULL;
}

/* The code too: "INTERNAL_ERROR" or "COMMAND_TIMEOUT" tells more than the text alone. */
static void add_error(cJSON *out, const struct sbx_error *err)
{
  char text[sizeof err->code + sizeof err->message + 2];

  snprintf(text, sizeof text, "%s: %s", err->code[0] ? err->code : "ERROR", err->message);
  cJSON_AddStringToObject(out, "error", text);
}

/* One round: conc threads, each running its share of at least runs operations back to back. */
struct round
{
  double *samples;       /* the successful ones' times, n of them */
  double *floor_samples; /* with_floor: the floor spawns between them, n_floor of them */
  size_t n, n_floor;
  int failed;
  double wall_ms;
  struct sbx_error err;
};

/* with_floor: the operations alternate with floor spawns in the same thread,
 * in blocks of FLOOR_BLOCK, so that the ratio is to a floor of the same
 * minutes: the load on this shared machine drifts within a run, and a floor
 * taken only at the start drifted with it (ratios of one build moved by 0.4
 * between runs). Blocks, not one spawn before each operation: a floor spawn
 * right after an operation ran 0.3-0.6 ms slower (the executor's caches and
 * its work after answering), which flattered the ratio. */
static int run_round(struct op_ctx *c, int conc, int runs, bool with_floor, struct round *out)
{
  int per = (runs + conc - 1) / conc;
  _cleanup_free_ struct worker *w = calloc((size_t)conc, sizeof *w);
  _cleanup_free_ pthread_t *t = calloc((size_t)conc, sizeof *t);
  double *all = calloc((size_t)per * (size_t)conc + 1, sizeof(double));
  double *floors = with_floor ? calloc((size_t)per * (size_t)conc + 1, sizeof(double)) : NULL;
  double start, floor_ms = 0;
  int started = 0;

  memset(out, 0, sizeof *out);
  if (w == NULL || t == NULL || all == NULL || (with_floor && floors == NULL))
    {
      free(all);
      free(floors);
      return sbx_error_errno(&out->err, ENOMEM, SBX_E_INTERNAL, "bench");
    }
  start = sbx_monotonic_ms();
  for (int i = 0; i < conc; i++)
    {
      w[i] = (struct worker){ .c = c, .count = per, .samples = all + (size_t)i * (size_t)per,
                              .floor_samples = floors != NULL ? floors + (size_t)i * (size_t)per : NULL };
      if (pthread_create(&t[i], NULL, work, &w[i]) != 0)
        {
          w[i].count = 0;
          w[i].failed = -1; /* not started: not joined */
        }
    }
  for (int i = 0; i < conc; i++)
    {
      size_t done;
      if (w[i].failed < 0)
        {
          out->failed += per;
          sbx_error_set(&out->err, EAGAIN, SBX_E_INTERNAL, "could not start thread %d of %d", i + 1, conc);
          continue;
        }
      pthread_join(t[i], NULL);
      out->failed += w[i].failed;
      if (w[i].failed > 0)
        out->err = w[i].err;
      /* Compact each worker's samples behind the previous ones. */
      done = (size_t)(w[i].count - w[i].failed);
      memmove(all + out->n, w[i].samples, done * sizeof(double));
      if (floors != NULL)
        memmove(floors + out->n_floor, w[i].floor_samples, (size_t)w[i].n_floor * sizeof(double));
      out->n += done;
      out->n_floor += (size_t)w[i].n_floor;
      floor_ms += w[i].floor_ms;
      started++;
    }
  /* Throughput counts the operations' time only: without the floor spawns
   * (exactly at concurrency 1; beyond, each thread's floors are taken off as
   * their mean, the threads having run side by side). */
  out->wall_ms = sbx_monotonic_ms() - start - (started > 0 ? floor_ms / started : 0);
  out->samples = all;
  out->floor_samples = floors;
  return 0;
}

static double ops_per_sec(const struct round *r)
{
  return r->wall_ms > 0 ? (double)r->n * 1000.0 / r->wall_ms : 0;
}

static cJSON *throughput_json(int conc, const struct round *r)
{
  cJSON *o = cJSON_CreateObject();

  cJSON_AddNumberToObject(o, "concurrency", conc);
  cJSON_AddNumberToObject(o, "n", (double)r->n);
  cJSON_AddNumberToObject(o, "opsPerSec", ops_per_sec(r));
  if (r->failed > 0)
    {
      cJSON_AddNumberToObject(o, "failed", r->failed);
      add_error(o, &r->err);
    }
  return o;
}

static cJSON *measure(struct op_ctx *c, const struct sbx_bench_options *o, double floor_p50)
{
  cJSON *out = cJSON_CreateObject(), *tp;
  int conc = o->concurrency > 0 ? o->concurrency : 1;
  struct sbx_error err = { 0 };
  struct round r;

  cJSON_AddStringToObject(out, "op", c->op);
  for (int i = 0; i < o->warmup; i++)
    if (run_op(c, &err) < 0)
      {
        add_error(out, &err);
        return out;
      }
  if (run_round(c, conc, o->runs, true, &r) < 0)
    {
      add_error(out, &r.err);
      return out;
    }
  {
    struct sbx_stats s = sbx_stats_of(r.samples, r.n), f = sbx_stats_of(r.floor_samples, r.n_floor);
    double floor_here = r.n_floor > 0 ? f.p50 : floor_p50;
    cJSON_AddItemToObject(out, "stats", stats_json(&s));
    /* The ratio is to the floor spawns alternated with these runs; the run's
     * opening floor only when none could be made. */
    cJSON_AddNumberToObject(out, "floorP50Ms", floor_here);
    cJSON_AddNumberToObject(out, "ratioP50", sbx_ratio(s.p50, floor_here));
    cJSON_AddNumberToObject(out, "throughputPerSec", ops_per_sec(&r));
    cJSON_AddNumberToObject(out, "concurrency", conc);
    if (claimed_ms(c->op) > 0)
      cJSON_AddNumberToObject(out, "claimedMs", claimed_ms(c->op));
    if (r.failed > 0)
      {
        cJSON_AddNumberToObject(out, "failed", r.failed);
        add_error(out, &r.err);
      }
  }
  free(r.samples);
  free(r.floor_samples);
  if (o->n_levels == 0)
    return out;
  /* Throughput at each level: the latency round's own at its level; a round of at least two operations
   * per thread at the others, so that every thread overlaps the rest. */
  tp = cJSON_AddArrayToObject(out, "throughput");
  for (size_t i = 0; i < o->n_levels; i++)
    {
      int level = o->levels[i], runs = o->runs > 2 * level ? o->runs : 2 * level;
      struct round lr;
      if (level == conc)
        {
          struct round same = r;
          same.samples = same.floor_samples = NULL;
          cJSON_AddItemToArray(tp, throughput_json(level, &same));
          continue;
        }
      if (run_round(c, level, runs, false, &lr) < 0)
        {
          lr.failed = runs;
          lr.n = 0;
        }
      free(lr.samples);
      cJSON_AddItemToArray(tp, throughput_json(level, &lr));
    }
  return out;
}

static bool op_wanted(const struct sbx_bench_options *o, const char *op)
{
  if (o->ops == NULL)
    return true;
  for (const char *const *p = o->ops; *p != NULL; p++)
    if (strcmp(*p, op) == 0)
      return true;
  return false;
}

static cJSON *bench_backend(const char *name, const struct sbx_bench_options *o, double floor_p50)
{
  cJSON *out = cJSON_CreateObject(), *ops;
  struct sbx_backend *b = NULL;
  struct sbx_error err = { 0 };
  struct op_ctx c = { 0 };
  struct sbx_callback cb = { .listener = -1 };

  cJSON_AddStringToObject(out, "backend", name);
  if (sbx_backend_load(name, &b, &err) < 0 || !sbx_backend_info(b)->available || sbx_backend_open(b, &err) < 0)
    {
      cJSON_AddBoolToObject(out, "available", false);
      cJSON_AddStringToObject(out, "reason", b != NULL && !sbx_backend_info(b)->available ? sbx_backend_info(b)->reason
                                                                                          : err.message);
      sbx_backend_close(b);
      return out;
    }
  cJSON_ReplaceItemInObject(out, "backend", cJSON_CreateString(sbx_backend_info(b)->name));
  cJSON_AddBoolToObject(out, "available", true);
  c.b = b;
  c.payload = malloc(MIB);
  if (c.payload != NULL)
    memset(c.payload, 'x', MIB);
  /* The files the reads read. */
  sbx_backend_write(b, "bench-4k", c.payload, 4096, &err);
  sbx_backend_write(b, "bench-1m", c.payload, MIB, &err);
  if (sbx_backend_has(b, "operations") && op_wanted(o, "callPlatformOperation"))
    {
      if (sbx_callback_start(&cb, "bench-op") == 0)
        {
          char body[200];
          cJSON *req, *doc = NULL;
          long status;
          snprintf(body, sizeof body, "{\"callbackSocket\":\"%s\"}", cb.path);
          req = cJSON_Parse(body);
          sbx_backend_request(b, "operations", "POST", "bench", req, &status, &doc, &err);
          cJSON_Delete(req);
          cJSON_Delete(doc);
        }
    }
  ops = cJSON_AddArrayToObject(out, "ops");
  for (size_t i = 0; i < sbx_bench_op_count; i++)
    {
      cJSON *r;
      if (!op_wanted(o, sbx_bench_ops[i]))
        continue;
      if (strcmp(sbx_bench_ops[i], "callPlatformOperation") == 0 && !sbx_backend_has(b, "operations"))
        {
          r = cJSON_CreateObject();
          cJSON_AddStringToObject(r, "op", sbx_bench_ops[i]);
          cJSON_AddStringToObject(r, "notSupported", "the backend has no platform operations");
          cJSON_AddItemToArray(ops, r);
          continue;
        }
      c.op = sbx_bench_ops[i];
      r = measure(&c, o, floor_p50);
      if (!o->quiet)
        fprintf(stderr, "bench: %-20s %-22s %s\n", sbx_backend_info(b)->name, c.op,
                cJSON_GetObjectItem(r, "error") != NULL ? "error" : "done");
      cJSON_AddItemToArray(ops, r);
    }
  sbx_callback_stop(&cb);
  free(c.payload);
  sbx_backend_close(b);
  return out;
}

int sbx_bench_run(const struct sbx_bench_options *o, cJSON **report, struct sbx_error *err)
{
  _cleanup_strv_ char **all = NULL;
  const char *const *names = o->backends;
  int runs = o->runs > 0 ? o->runs : 100;
  _cleanup_free_ double *floor_samples = calloc((size_t)runs, sizeof(double));
  struct sbx_stats floor;
  cJSON *doc, *f, *backends;
  size_t n = 0;

  *report = NULL;
  for (const char *const *p = o->ops; p != NULL && *p != NULL; p++)
    {
      bool known = false;
      for (size_t i = 0; i < sbx_bench_op_count; i++)
        known = known || strcmp(*p, sbx_bench_ops[i]) == 0;
      if (!known)
        return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "unknown operation \"%s\"", *p);
    }
  if (floor_samples == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "bench");
  if (names == NULL)
    {
      if (sbx_backend_list(&all, err) < 0)
        return -1;
      names = (const char *const *)all;
    }
  for (int i = 0; i < o->warmup; i++)
    floor_once();
  for (int i = 0; i < runs; i++)
    {
      double ms = floor_once();
      if (ms >= 0)
        floor_samples[n++] = ms;
    }
  floor = sbx_stats_of(floor_samples, n);
  doc = cJSON_CreateObject();
  f = cJSON_AddObjectToObject(doc, "floor");
  cJSON_AddStringToObject(f, "what", "posix_spawn of /bin/sh -c true and waitpid, in this process, no executor");
  cJSON_AddItemToObject(f, "stats", stats_json(&floor));
  cJSON_AddNumberToObject(doc, "runs", runs);
  cJSON_AddNumberToObject(doc, "warmup", o->warmup);
  cJSON_AddNumberToObject(doc, "concurrency", o->concurrency > 0 ? o->concurrency : 1);
  if (o->n_levels > 0)
    {
      cJSON *levels = cJSON_AddArrayToObject(doc, "throughputConcurrency");
      for (size_t i = 0; i < o->n_levels; i++)
        cJSON_AddItemToArray(levels, cJSON_CreateNumber(o->levels[i]));
    }
  backends = cJSON_AddArrayToObject(doc, "backends");
  for (const char *const *p = names; *p != NULL; p++)
    {
      struct sbx_bench_options one = *o;
      one.runs = runs;
      cJSON_AddItemToArray(backends, bench_backend(*p, &one, floor.p50));
    }
  *report = doc;
  return 0;
}

/* The throughput table: ops/s per backend and operation at each level ("error" where runs failed). */
static void print_throughput(const cJSON *report, FILE *out)
{
  const cJSON *levels = cJSON_GetObjectItem(report, "throughputConcurrency"), *level, *b, *op;

  if (cJSON_GetArraySize(levels) == 0)
    return;
  fputs("\nthroughput (ops/s, operations back to back from N client threads)\n\n", out);
  fprintf(out, "%-20s %-22s", "backend", "op");
  cJSON_ArrayForEach(level, levels)
    {
      char head[24];
      snprintf(head, sizeof head, "N=%.0f", cJSON_GetNumberValue(level));
      fprintf(out, " %10s", head);
    }
  fputc('\n', out);
  cJSON_ArrayForEach(b, cJSON_GetObjectItem(report, "backends"))
    {
      if (!cJSON_IsTrue(cJSON_GetObjectItem(b, "available")))
        continue;
      cJSON_ArrayForEach(op, cJSON_GetObjectItem(b, "ops"))
        {
          const cJSON *tp = cJSON_GetObjectItem(op, "throughput");
          if (tp == NULL)
            continue;
          fprintf(out, "%-20s %-22s", cJSON_GetStringValue(cJSON_GetObjectItem(b, "backend")),
                  cJSON_GetStringValue(cJSON_GetObjectItem(op, "op")));
          cJSON_ArrayForEach(level, levels)
            {
              const cJSON *cell = NULL, *t;
              cJSON_ArrayForEach(t, tp)
                if (cJSON_GetNumberValue(cJSON_GetObjectItem(t, "concurrency")) == cJSON_GetNumberValue(level))
                  cell = t;
              if (cell == NULL)
                fprintf(out, " %10s", "-");
              else if (cJSON_GetObjectItem(cell, "error") != NULL)
                fprintf(out, " %10s", "error");
              else
                fprintf(out, " %10.1f", cJSON_GetNumberValue(cJSON_GetObjectItem(cell, "opsPerSec")));
            }
          fputc('\n', out);
        }
    }
}

void sbx_bench_print(const cJSON *report, FILE *out)
{
  const cJSON *f = cJSON_GetObjectItem(cJSON_GetObjectItem(report, "floor"), "stats"), *b, *op;

  fprintf(out, "floor at the start (posix_spawn of /bin/sh -c true + wait): p50 %.3f ms, p95 %.3f ms, p99 %.3f ms\n\n",
          cJSON_GetNumberValue(cJSON_GetObjectItem(f, "p50Ms")), cJSON_GetNumberValue(cJSON_GetObjectItem(f, "p95Ms")),
          cJSON_GetNumberValue(cJSON_GetObjectItem(f, "p99Ms")));
  fprintf(out, "%-20s %-22s %8s %8s %8s %8s %8s %8s %9s %8s\n", "backend", "op", "min ms", "p50 ms", "p95 ms", "p99 ms",
          "max ms", "x floor", "ops/s", "claimed");
  cJSON_ArrayForEach(b, cJSON_GetObjectItem(report, "backends"))
    {
      const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(b, "backend"));
      if (!cJSON_IsTrue(cJSON_GetObjectItem(b, "available")))
        {
          fprintf(out, "%-20s unavailable: %s\n", name, cJSON_GetStringValue(cJSON_GetObjectItem(b, "reason")));
          continue;
        }
      cJSON_ArrayForEach(op, cJSON_GetObjectItem(b, "ops"))
        {
          const cJSON *s = cJSON_GetObjectItem(op, "stats");
          const char *error = cJSON_GetStringValue(cJSON_GetObjectItem(op, "error"));
          const char *ns = cJSON_GetStringValue(cJSON_GetObjectItem(op, "notSupported"));
          char claimed[16] = "";
          if (cJSON_GetObjectItem(op, "claimedMs") != NULL)
            snprintf(claimed, sizeof claimed, "%.0f ms", cJSON_GetNumberValue(cJSON_GetObjectItem(op, "claimedMs")));
          if (s == NULL || ns != NULL)
            {
              fprintf(out, "%-20s %-22s %s\n", name, cJSON_GetStringValue(cJSON_GetObjectItem(op, "op")),
                      ns != NULL ? ns : error != NULL ? error : "no figures");
              continue;
            }
          fprintf(out, "%-20s %-22s %8.3f %8.3f %8.3f %8.3f %8.3f %7.2fx %9.1f %8s%s%s\n", name,
                  cJSON_GetStringValue(cJSON_GetObjectItem(op, "op")), cJSON_GetNumberValue(cJSON_GetObjectItem(s, "minMs")),
                  cJSON_GetNumberValue(cJSON_GetObjectItem(s, "p50Ms")), cJSON_GetNumberValue(cJSON_GetObjectItem(s, "p95Ms")),
                  cJSON_GetNumberValue(cJSON_GetObjectItem(s, "p99Ms")), cJSON_GetNumberValue(cJSON_GetObjectItem(s, "maxMs")),
                  cJSON_GetNumberValue(cJSON_GetObjectItem(op, "ratioP50")),
                  cJSON_GetNumberValue(cJSON_GetObjectItem(op, "throughputPerSec")), claimed, error ? "  error: " : "",
                  error ? error : "");
        }
    }
  fprintf(out,
          "\nTimes in milliseconds per operation, at concurrency %.0f; \"x floor\": p50 over the p50 of floor spawns\n"
          "alternated with the operation's runs (blocks of 20, same thread); ops/s:\n"
          "throughput at that concurrency; \"claimed\": the figure the design document promises for that operation.\n",
          cJSON_GetObjectItem(report, "concurrency") != NULL ? cJSON_GetNumberValue(cJSON_GetObjectItem(report, "concurrency")) : 1);
  print_throughput(report, out);
}
