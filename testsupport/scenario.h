/* Scenario runner: runs a scenario against a fresh sandbox in a forked child, in
 * one of several modes, and collects what it found as text lines:
 *   LEAK ...   the secret or the platform process was reachable
 *   ERROR ...  the scenario could not run (the test fails)
 *   SKIP ...   the mode is not available here (a failure under SPLITBOX_MUST_WORK)
 *   INFO ...   anything else worth printing */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "bare.h"
#include "executor.h"

enum scenario_mode
{
  MODE_ROOT,            /* the executor as root: isolation "namespaces" */
  MODE_USERNS,          /* the executor as uid 65534, no capabilities: "userns" */
  MODE_FALLBACK_ROOT,   /* root under a seccomp filter denying namespaces */
  MODE_FALLBACK_NOBODY, /* uid 65534 under that filter: the weakest host */
  MODE_USERNS_SUBIDS,   /* the executor as `splitbox-test` (scripts/bootstrap), which has subordinate ids:
                           "userns", user code mapped to one of them */
};

struct world
{
  struct sbx_sandbox *sb;
  enum scenario_mode mode;
  char canary[64];
  char marker[40];
  char private_host_dir[512];
  const char *victim_args; /* appended to the victim's command line; NULL: none */
  char *out;
  size_t out_len, out_cap;
};

typedef void (*scenario_fn)(struct world *w);

/* Runs fn in a child in the given mode; returns the collected lines (malloc'd). */
char *scenario_run(enum scenario_mode mode, scenario_fn fn, const struct sbx_options *extra);

void scenario_report(struct world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Runs a command to completion; returns its stdout (malloc'd) or NULL after reporting an ERROR. */
char *scenario_exec(struct world *w, enum sbx_context ctx, const char *cmd, const char *const *env, const char *cwd);
/* prefix and up to 32 random hex digits, as many as fit in len (with the NUL). */
void scenario_random_token(char *buf, size_t len, const char *prefix);
bool scenario_must_work(void);
const char *scenario_mode_name(enum scenario_mode mode);
int scenario_count(const char *text, const char *prefix);
bool scenario_has(const char *text, const char *prefix);

/* A Criterion test that runs scenario fn in mode. It fails on any ERROR or
 * FAIL line, and on a LEAK line unless expect_leak; with expect_leak it is a
 * positive control and fails when no LEAK was found. A SKIP (mode
 * unavailable) is a failure under SPLITBOX_MUST_WORK. */
#define SCENARIO_TEST_EXPECTING(suite, name, mode, fn, opts, expect_leak)                                    \
  Test(suite, name, .timeout = 60)                                                                            \
  {                                                                                                           \
    char *text = scenario_run(mode, fn, opts);                                                                 \
    if (scenario_has(text, "SKIP") && !scenario_must_work())                                                    \
      {                                                                                                       \
        cr_log_info("%s", text);                                                                              \
        cr_skip_test("mode %s is not available here (SPLITBOX_MUST_WORK=1 makes this a failure)",             \
                     scenario_mode_name(mode));                                                                \
      }                                                                                                       \
    cr_expect(!scenario_has(text, "ERROR") && !scenario_has(text, "SKIP") && !scenario_has(text, "FAIL"),        \
              "in mode %s:\n%s", scenario_mode_name(mode), text);                                              \
    if (expect_leak)                                                                                          \
      cr_expect(scenario_has(text, "LEAK"), "positive control: the leak is real in mode %s, the check must "   \
                                           "find it:\n%s", scenario_mode_name(mode), text);                    \
    else                                                                                                      \
      cr_expect(!scenario_has(text, "LEAK"), "leak in mode %s:\n%s", scenario_mode_name(mode), text);           \
    free(text);                                                                                               \
  }

#define SCENARIO_TEST(suite, name, mode, fn, opts) SCENARIO_TEST_EXPECTING(suite, name, mode, fn, opts, false)

/* For a test to run before the check that probe d validates: its positive
 * control on bare processes (bare_control). The test stops, failed, when the
 * control does not show the leak; it skips with the reason when the kernel
 * lacks the technique (a failure under SPLITBOX_MUST_WORK). */
#define scenario_require_bare_control(d)                                                                      \
  do                                                                                                          \
    {                                                                                                         \
      char *report_ = NULL, text_[4096];                                                                      \
      enum bare_outcome outcome_ = bare_control((d), &report_);                                               \
      snprintf(text_, sizeof text_, "%s", report_ != NULL ? report_ : "(no report)");                          \
      free(report_);                                                                                          \
      if (outcome_ == BARE_UNSUPPORTED && !scenario_must_work())                                              \
        cr_skip_test("the kernel lacks the technique, so the check cannot be shown to work: %s", text_);      \
      cr_assert(outcome_ == BARE_LEAKED, "%s", text_);                                                         \
    }                                                                                                         \
  while (0)

/* Reports FAIL unless cond holds. */
#define EXPECT(w, cond, ...)                                                                                  \
  do                                                                                                          \
    {                                                                                                         \
      if (!(cond))                                                                                            \
        {                                                                                                     \
          scenario_report(w, "FAIL %s:%d: %s", __FILE__, __LINE__, #cond);                                     \
          scenario_report(w, "     " __VA_ARGS__);                                                             \
        }                                                                                                     \
    }                                                                                                         \
  while (0)

/* Runs a request; returns sbx_exec's value and fills res and err. */
int scenario_exec_full(struct world *w, const struct sbx_exec_request *req, struct sbx_exec_result *res,
                      struct sbx_error *err);
/* The platform-side victim (attacks/victim.c, staged from $SBX_VICTIM): it
 * holds w->canary everywhere a real secret might be (env, memory, files, IPC,
 * sockets; with argv_canary its argv too), and its comm is w->marker. Returns
 * once it is ready, or false after reporting an ERROR. */
bool scenario_start_victim(struct world *w, bool argv_canary, struct sbx_process_info *victim);
/* Reports an ERROR unless the victim is still running (else nothing was
 * tested), then ends it with SIGTERM so that it removes its traces: the
 * sandbox's SIGKILL would leave its key behind, and keyrings outlive every
 * namespace. Clears *victim. */
void scenario_stop_victim(struct world *w, struct sbx_process_info *victim);
/* Runs `splitbox-probe NAME` (staged from $SBX_PROBE) as user code, aimed at
 * w->marker and told the private dir as the platform sees it (as the audit
 * does); returns its stdout (malloc'd), or NULL after reporting an ERROR. */
char *scenario_probe(struct world *w, const char *name);

/* What a probe found, read as the audit reads it (harness/verdict.c). */
struct scenario_finding
{
  bool found_canary;   /* the run's canary */
  bool marker_visible; /* ps-scan: /proc lists the victim */
  int hidden_pids;     /* ps-scan: pids the kill oracle finds and /proc hides */
  int attached;        /* ptrace: seizes and attaches that succeeded */
  int fds_stolen;      /* pidfd-getfd: the victim's fds taken */
};
/* Runs probe name as scenario_probe does and reads its report; false, after
 * reporting an ERROR, when the probe did not run. */
bool scenario_probe_finding(struct world *w, const char *name, struct scenario_finding *f);

/* Counts host processes whose cmdline contains needle (for leftovers). */
int scenario_host_processes(const char *needle);
