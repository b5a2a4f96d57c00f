/* --pids-max, --memory-max, --cpu-weight and --shared-max, shared by `run` and `daemon`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "executor.h"

/* A whole number with an optional K, M or G (powers of 1024); "none" is -1. */
static int parse_size(const char *arg, long long max, long long *out)
{
  char *end = NULL;
  long long v, unit = 1;

  if (strcmp(arg, "none") == 0)
    return *out = -1, 0;
  errno = 0;
  v = strtoll(arg, &end, 10);
  if (errno != 0 || end == arg || v <= 0)
    return -1;
  if (*end == 'K' || *end == 'k')
    unit = 1LL << 10, end++;
  else if (*end == 'M' || *end == 'm')
    unit = 1LL << 20, end++;
  else if (*end == 'G' || *end == 'g')
    unit = 1LL << 30, end++;
  if (*end != '\0' || v > max / unit)
    return -1;
  *out = v * unit;
  return 0;
}

int sbx_cli_limit_option(const char *name, const char *arg, struct sbx_limits *limits)
{
  long long v;

  if (strcmp(name, "pids-max") == 0)
    {
      if (parse_size(arg, 4194304, &v) < 0)
        return fprintf(stderr, "--pids-max must be a positive number of processes or \"none\", not \"%s\"\n", arg), -1;
      limits->pids = (long)v;
    }
  else if (strcmp(name, "memory-max") == 0)
    {
      if (parse_size(arg, 1LL << 50, &v) < 0)
        return fprintf(stderr, "--memory-max must be bytes (with K, M or G) or \"none\", not \"%s\"\n", arg), -1;
      limits->memory = v;
    }
  else if (strcmp(name, "cpu-weight") == 0)
    {
      if (parse_size(arg, 10000, &v) < 0 || v < 1)
        return fprintf(stderr, "--cpu-weight must be a whole number from 1 to 10000, not \"%s\"\n", arg), -1;
      limits->cpu_weight = (unsigned)v;
    }
  else if (strcmp(name, "shared-max") == 0)
    {
      if (parse_size(arg, 1LL << 50, &v) < 0)
        return fprintf(stderr, "--shared-max must be bytes (with K, M or G) or \"none\", not \"%s\"\n", arg), -1;
      limits->shared_max = v;
    }
  else
    return -1;
  return 0;
}
