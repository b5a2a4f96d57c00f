/* SPLITBOX_MUST_WORK=1 (CI): a check that cannot run here is a failure, not
 * a skip. Header-only on purpose: the executor's tests (testsupport), the
 * harness's tests and the installed splitbox-conformance all ask, and
 * conformance links only the harness, never this folder's library (the
 * whole executor). */
#pragma once

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static inline bool sbx_must_work(void)
{
  const char *v = getenv("SPLITBOX_MUST_WORK");
  return v != NULL && strcmp(v, "1") == 0;
}
