/* The conformance suite's results, read from the TAP that Criterion writes:
 * what passed, failed, was skipped (and why) or was not selected; and JUnit
 * XML that keeps each skip's reason (Criterion's own XML drops it). */
#pragma once

#include <stdio.h>

#include "splitbox-error.h"

enum sbx_tap_status
{
  SBX_TAP_PASS,
  SBX_TAP_FAIL,
  SBX_TAP_SKIP,     /* skipped by the test, with its reason: a feature the backend lacks */
  SBX_TAP_EXCLUDED, /* not selected (--filter) */
};

struct sbx_tap_test
{
  char *suite, *name;
  enum sbx_tap_status status;
  char *message; /* a skip's reason, a failure's assertions */
  double secs;
};

struct sbx_tap
{
  struct sbx_tap_test *tests;
  size_t n;
  size_t count[4]; /* per status */
};

/* Parses Criterion's TAP; tests with a malformed line are an error. */
int sbx_tap_parse(FILE *in, struct sbx_tap *out, struct sbx_error *err);
void sbx_tap_free(struct sbx_tap *t);
/* JUnit XML: one testsuite per suite, <skipped message="..."> with the reason.
 * Excluded tests are left out: nothing was asked of them. */
int sbx_tap_junit(const struct sbx_tap *t, const char *name, FILE *out, struct sbx_error *err);
/* TAP 13 as TAP::Parser (prove) reads it: the plan is the tests listed, a
 * failure's assertions in a YAMLish block of quoted scalars, a skip's reason
 * on its line. Criterion's own breaks that parser at the first failure. */
int sbx_tap_write(const struct sbx_tap *t, FILE *out, struct sbx_error *err);
