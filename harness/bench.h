/* splitbox bench: latency of backend operations, each figure also as a ratio
 * to the floor measured in the same run (posix_spawn of /bin/sh -c true and
 * wait, with no executor), since absolute times on a shared machine drift. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "splitbox-error.h"

struct cJSON;

struct sbx_stats
{
  size_t n;
  double min, p50, p95, p99, max, mean;
};

/* Nearest-rank percentiles of n samples (sorted in place). n == 0 gives zeros. */
struct sbx_stats sbx_stats_of(double *samples, size_t n);
/* value / floor, or 0 when the floor is 0. */
double sbx_ratio(double value, double floor);

struct sbx_bench_options
{
  const char *const *backends; /* names or spec paths; NULL: every available backend */
  const char *const *ops;      /* NULL: every operation */
  int runs, warmup, concurrency; /* the latency figures: runs operations from concurrency threads */
  /* Throughput (ops/s) at each of these levels too (0: none): each level a round of its own, of
   * max(runs, 2 x level) operations, but for the latency round's level, whose figure it is. */
  const int *levels;
  size_t n_levels;
  bool quiet;
};

/* The operations, named as in the design: user.exec, platform.exec, ... */
extern const char *const sbx_bench_ops[];
extern const size_t sbx_bench_op_count;

/* {"floor": {...}, "backends": [{"name", "available", "reason"?, "ops": [{"op", "stats" {...},
 *  "ratioP50", "throughputPerSec", "concurrency", "claimedMs"?, "error"?,
 *  "throughput"?: [{"concurrency", "n", "opsPerSec", "failed"?, "error"?}]}]}]} */
int sbx_bench_run(const struct sbx_bench_options *o, struct cJSON **report, struct sbx_error *err);
/* The table a person reads. */
void sbx_bench_print(const struct cJSON *report, FILE *out);
