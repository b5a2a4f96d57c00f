/* What one command gave back, as every backend and the host runner (run.c)
 * fill it. Its own header so that run.c, below the backends, needs nothing
 * of backend.c: the dependency runs backend -> run only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct sbx_bresult
{
  int exit_code; /* 128+N when killed by signal N */
  bool timed_out;
  char *out, *err; /* NUL-terminated */
  size_t out_len, err_len;
  double ms;
  bool success;    /* the API's own "success" (http); exit code 0 otherwise */
  char **warnings; /* the API's warnings (http), NULL-terminated, or NULL */
};

static inline void sbx_bresult_free(struct sbx_bresult *res)
{
  free(res->out);
  free(res->err);
  for (char **w = res->warnings; w != NULL && *w != NULL; w++)
    free(*w);
  free(res->warnings);
  memset(res, 0, sizeof *res);
}
