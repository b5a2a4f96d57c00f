/* Reading a probe's JSON and deciding whether it found the run's secret. The
 * probe reports every canary-shaped token; only the current run's counts. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct verdict
{
  bool parsed;
  char probe[32];  /* the name the report gives */
  char nonce[72];  /* what the report echoes; "" when none */
  int attempts;    /* techniques tried, successful or not */
  char status[16];
  bool found_canary;   /* the current run's token */
  int stale_tokens;    /* canary-shaped, but not this run's */
  bool marker_visible; /* ps-scan */
  bool stopped;        /* signal */
  char dangerous[1024]; /* capabilities, kernel-surface: whole */
  int hidden_pids;     /* ps-scan: pids the kill oracle finds and /proc hides */
  int fds_stolen;      /* pidfd-getfd */
  int attached;        /* ptrace: seizes and attaches that succeeded */
  char executed[256];  /* control-plane: the endpoint and route where a platform execute from user code ran */
  int found_dropped;   /* tokens past the probe's list: never to be read as none */
  char reason[256];
};

struct verdict verdict_read(const char *json, const char *canary);

/* The first of techniques (comma-separated, a probe table entry's
 * .techniques) that no attempt of the report names, copied into missing:
 * true when one is missing. A report that does not parse misses them all. */
bool verdict_missing_technique(const char *json, const char *techniques, char *missing, size_t size);
