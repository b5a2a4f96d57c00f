/* Helpers of the conformance suite: the backend under test comes from
 * $SPLITBOX_BACKEND (a name or a spec path), and each test opens it afresh.
 * A feature the backend lacks is a skip with the reason; for the reference
 * backend with SPLITBOX_MUST_WORK=1 it is a failure. */
#pragma once

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdbool.h>

#include "backend.h"

struct sbx_backend *conf_open(void);
/* Skips (or, for the reference backend under SPLITBOX_MUST_WORK=1, fails). */
void conf_skip(struct sbx_backend *b, const char *why);
/* Skips unless the backend has the feature (see sbx_backend_has). */
void conf_need(struct sbx_backend *b, const char *feature);
/* Runs a command; the test fails when the backend could not run it. */
struct sbx_bresult conf_exec(struct sbx_backend *b, enum sbx_bctx ctx, const char *command, const char *const *env,
                             const char *cwd, long long timeout_ms);
/* The container API: a request and its JSON answer (status in *status). */
cJSON *conf_api(struct sbx_backend *b, const char *section, const char *method, const char *tail, const char *body,
                long *status);
/* Starts `exec sleep 30.MARKER` (with env) in ctx and waits until it runs,
 * as seen from the host; returns the handle for conf_stop. */
char *conf_start_sleeper(struct sbx_backend *b, enum sbx_bctx ctx, const char *marker, const char *const *env);
void conf_stop(struct sbx_backend *b, enum sbx_bctx ctx, char *handle);
/* How many host processes have marker in their command line (local backends only). */
int conf_host_count(const char *marker);
/* A fresh marker of digits, for commands like `sleep 30.MARKER`. */
void conf_marker(char out[24]);
const char *conf_str(const cJSON *doc, const char *name);
/* Whether the JSON text of doc contains needle. */
bool conf_json_has(const cJSON *doc, const char *needle);
