/* Confidentiality of the platform context against user code, in every mode.
 * Each check runs in the modes where the guarantee must hold, and where it
 * cannot hold (the fallback modes, or without Landlock), where it must find
 * the leak. Each test that expects no leak first runs its positive control, in
 * the same test: the check where the leak is real (leaks_where), or the
 * probes on bare processes; a control that sees nothing fails the test. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe_table.h"
#include "scenario.h"

static void check_process_listing(struct world *w)
{
  struct sbx_process_info victim;
  char *out;

  if (!scenario_start_victim(w, false, &victim))
    return;
  /* The victim's argv carries the marker (--marker), and so does its comm. */
  out = scenario_exec(w, SBX_CTX_USER, "ps -eo pid,args; ls /proc", NULL, NULL);
  if (out != NULL && strstr(out, w->marker) != NULL)
    scenario_report(w, "LEAK ps in the user context lists the platform process:\n%s", out);
  free(out);
  scenario_stop_victim(w, &victim);
}

/* Runs each probe as user code against the victim (its env holds the canary,
 * its argv does not) and reports what found leaks. */
static void probe_victim(struct world *w, const char *const *probes,
                         void (*judge)(struct world *w, const struct scenario_finding *f))
{
  struct sbx_process_info victim;

  if (!scenario_start_victim(w, false, &victim))
    return;
  for (const char *const *name = probes; *name != NULL; name++)
    {
      struct scenario_finding f;
      if (scenario_probe_finding(w, *name, &f))
        judge(w, &f);
    }
  scenario_stop_victim(w, &victim);
}

static void judge_listing(struct world *w, const struct scenario_finding *v)
{
  if (v->marker_visible)
    scenario_report(w, "LEAK /proc shows the platform process");
}

/* kill(pid, 0) and getpgid over the pid range: they reach the victim wherever
 * /proc lists it, and find processes /proc might hide. */
static void judge_kill(struct world *w, const struct scenario_finding *v)
{
  if (v->marker_visible)
    scenario_report(w, "LEAK kill(pid, 0) reaches the platform process");
  if (v->hidden_pids > 0)
    scenario_report(w, "LEAK kill(pid, 0) reaches %d processes that /proc does not show", v->hidden_pids);
}

static void judge_canary(struct world *w, const struct scenario_finding *v)
{
  if (v->found_canary)
    scenario_report(w, "LEAK the canary is readable in /proc/PID/environ or cmdline");
}

static void judge_ptrace(struct world *w, const struct scenario_finding *v)
{
  if (v->attached > 0)
    scenario_report(w, "LEAK PTRACE_SEIZE reached the platform process");
  if (v->found_canary)
    scenario_report(w, "LEAK ptrace read the canary from the platform process");
}

static void check_proc_listing(struct world *w)
{
  probe_victim(w, (const char *const[]){ "ps-scan", NULL }, judge_listing);
}

static void check_kill_scan(struct world *w)
{
  probe_victim(w, (const char *const[]){ "ps-scan", NULL }, judge_kill);
}

static void check_proc_environ(struct world *w)
{
  probe_victim(w, (const char *const[]){ "proc-environ", "proc-cmdline", NULL }, judge_canary);
}

static void check_ptrace(struct world *w)
{
  probe_victim(w, (const char *const[]){ "ptrace", NULL }, judge_ptrace);
}

static void check_caps_and_uid(struct world *w)
{
  char *out = scenario_exec(w, SBX_CTX_USER, "cat /proc/self/status; echo UIDMAP; cat /proc/self/uid_map", NULL, NULL);
  unsigned long long eff = 1, prm = 1, bnd = 1;
  int nnp = 0;
  long uid = -1, inside = -1, outside = -1, count = 0;
  const char *p;

  if (out == NULL)
    return;
  if ((p = strstr(out, "CapEff:")) != NULL)
    sscanf(p, "CapEff: %llx", &eff);
  if ((p = strstr(out, "CapPrm:")) != NULL)
    sscanf(p, "CapPrm: %llx", &prm);
  if ((p = strstr(out, "CapBnd:")) != NULL)
    sscanf(p, "CapBnd: %llx", &bnd);
  if ((p = strstr(out, "NoNewPrivs:")) != NULL)
    sscanf(p, "NoNewPrivs: %d", &nnp);
  if ((p = strstr(out, "\nUid:")) != NULL)
    sscanf(p, "\nUid: %ld", &uid);
  if ((p = strstr(out, "UIDMAP\n")) != NULL)
    sscanf(p, "UIDMAP\n %ld %ld %ld", &inside, &outside, &count);
  scenario_report(w, "INFO CapEff=%llx CapPrm=%llx CapBnd=%llx NoNewPrivs=%d uid=%ld map=%ld:%ld:%ld", eff, prm, bnd,
                 nnp, uid, inside, outside, count);
  if (eff != 0 || prm != 0)
    scenario_report(w, "LEAK user code holds capabilities (CapEff=%llx CapPrm=%llx)", eff, prm);
  if (bnd != 0 && w->mode != MODE_FALLBACK_NOBODY)
    scenario_report(w, "LEAK user code's bounding set is not empty (CapBnd=%llx)", bnd);
  if (nnp != 1)
    scenario_report(w, "LEAK no_new_privs is not set for user code");
  if (uid < inside || uid >= inside + count)
    scenario_report(w, "ERROR uid %ld outside the uid map", uid);
  else if (outside + (uid - inside) == 0)
    scenario_report(w, "LEAK user code runs as host uid 0");
  free(out);
}

static void check_executor_env(struct world *w)
{
  static const char dump[] = "env; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'";
  struct sbx_process_info victim;
  char given[120], *u, *pl, *control;
  const char *env[] = { given, NULL };
  const char *held = getenv("SPLITBOX_TEST_LEAK");

  /* The harness set SPLITBOX_TEST_LEAK=<canary> in the executor's environment,
   * for the whole scenario: the leak's source is there while both contexts run. */
  if (held == NULL || strcmp(held, w->canary) != 0)
    {
      scenario_report(w, "ERROR the executor's environment does not hold SPLITBOX_TEST_LEAK=<canary>");
      return;
    }
  /* Control: given to a call, the variable shows in that call's dump. */
  snprintf(given, sizeof given, "SPLITBOX_TEST_LEAK=%s", w->canary);
  control = scenario_exec(w, SBX_CTX_PLATFORM, dump, env, NULL);
  if (control == NULL || strstr(control, w->canary) == NULL)
    scenario_report(w, "ERROR control: the dump does not show a variable given to the call:\n%s",
                    control ? control : "");
  free(control);
  u = scenario_exec(w, SBX_CTX_USER, dump, NULL, NULL);
  pl = scenario_exec(w, SBX_CTX_PLATFORM, dump, NULL, NULL);
  if (u != NULL && strstr(u, w->canary) != NULL)
    scenario_report(w, "LEAK the executor's environment reached the user context");
  if (pl != NULL && strstr(pl, w->canary) != NULL)
    scenario_report(w, "LEAK the executor's environment reached the platform context");
  if (u == NULL || strstr(u, "PATH=") == NULL)
    scenario_report(w, "ERROR the user dump shows no env at all:\n%s", u ? u : "");
  if (pl == NULL || strstr(pl, "PATH=") == NULL || strstr(pl, "HOME=") == NULL)
    scenario_report(w, "ERROR the platform env lacks the base PATH/HOME:\n%s", pl ? pl : "");
  free(u);
  free(pl);
  if (scenario_start_victim(w, false, &victim))
    scenario_stop_victim(w, &victim);
}

static void check_platform_files(struct world *w)
{
  struct sbx_error err = { 0 };
  char cmd[2048], *out, *data = NULL;
  size_t len = 0;
  const char *shared = sbx_sandbox_shared_path(w->sb, SBX_CTX_PLATFORM);

  if (sbx_file_write(w->sb, SBX_SCOPE_PLATFORM, "/platform/secret", w->canary, strlen(w->canary), &err) < 0)
    {
      scenario_report(w, "ERROR write /platform/secret: %s: %s", err.code, err.message);
      return;
    }
  /* The platform plants a symlink to it in the shared dir. */
  snprintf(cmd, sizeof cmd, "ln -s %s/secret %s/link && cat %s/secret >/dev/null",
           w->mode == MODE_ROOT || w->mode == MODE_USERNS ? "/platform" : w->private_host_dir, shared,
           w->mode == MODE_ROOT || w->mode == MODE_USERNS ? "/platform" : w->private_host_dir);
  free(scenario_exec(w, SBX_CTX_PLATFORM, cmd, NULL, NULL));
  snprintf(cmd, sizeof cmd,
           "cat /platform/secret; cat /proc/*/root/platform/secret; cat %s/link; cat %s/secret; "
           "find / -xdev -name secret 2>/dev/null | xargs cat 2>/dev/null; true",
           sbx_sandbox_shared_path(w->sb, SBX_CTX_USER), w->private_host_dir);
  out = scenario_exec(w, SBX_CTX_USER, cmd, NULL, NULL);
  if (out != NULL && strstr(out, w->canary) != NULL)
    scenario_report(w, "LEAK user code read the platform-private file");
  free(out);
  if (sbx_file_read(w->sb, SBX_SCOPE_USER, "/platform/secret", &data, &len, &err) == 0)
    {
      if (strstr(data, w->canary) != NULL)
        scenario_report(w, "LEAK the user file API reads /platform/secret");
      free(data);
    }
  if (sbx_file_read(w->sb, SBX_SCOPE_SHARED, "link", &data, &len, &err) == 0)
    {
      scenario_report(w, "LEAK the shared file API follows a symlink to the platform-private file");
      free(data);
    }
  else if (strcmp(err.code, SBX_E_PATH_OUTSIDE_ROOT) != 0)
    scenario_report(w, "ERROR shared read of a symlink out of the shared dir: %s, want %s", err.code,
                   SBX_E_PATH_OUTSIDE_ROOT);
}

static void check_user_view(struct world *w)
{
  char cmd[1024], *out;

  snprintf(cmd, sizeof cmd,
           "for p in /run /root /sys %s; do test -e $p && echo PRESENT $p; done; "
           "for f in /home/*; do test \"$f\" = /home/user || echo PRESENT $f; done; true",
           sbx_sandbox_state_dir(w->sb));
  out = scenario_exec(w, SBX_CTX_USER, cmd, NULL, NULL);
  for (const char *p = out; p != NULL && (p = strstr(p, "PRESENT ")) != NULL; p++)
    scenario_report(w, "LEAK the user view contains the host's %.*s", (int)strcspn(p + 8, "\n"), p + 8);
  free(out);
}

static void check_planted_binary(struct world *w)
{
  const char *user_shared = sbx_sandbox_shared_path(w->sb, SBX_CTX_USER);
  const char *plat_shared = sbx_sandbox_shared_path(w->sb, SBX_CTX_PLATFORM);
  char cmd[1024], path_env[600], *out;
  const char *env[] = { path_env, NULL };

  snprintf(cmd, sizeof cmd, "printf '#!/bin/sh\\necho PWNED\\n' > %s/zip && chmod +x %s/zip", user_shared,
           user_shared);
  free(scenario_exec(w, SBX_CTX_USER, cmd, NULL, NULL));
  /* Control: with the shared dir in PATH the planted zip is found, so the check can see it. */
  snprintf(path_env, sizeof path_env, "PATH=%s:/usr/bin:/bin", user_shared);
  out = scenario_exec(w, SBX_CTX_USER, "zip 2>&1; true", env, user_shared);
  if (out == NULL || strstr(out, "PWNED") == NULL)
    scenario_report(w, "ERROR control: the planted zip did not run even from PATH");
  free(out);
  out = scenario_exec(w, SBX_CTX_PLATFORM, "command -v zip; zip -v >/dev/null 2>&1; zip 2>&1 | head -1; true", NULL,
                     plat_shared);
  if (out != NULL && strstr(out, "PWNED") != NULL)
    scenario_report(w, "LEAK the platform ran the zip planted by user code: %s", out);
  if (out != NULL && strstr(out, plat_shared) != NULL)
    scenario_report(w, "LEAK zip resolves into the shared dir in the platform context: %s", out);
  free(out);
}

/* The secret a platform command holds in its env, sought by user code in its
 * own env, its parent's and its inherited fds. */
static void judge_env(struct world *w, const struct scenario_finding *v)
{
  if (v->found_canary)
    scenario_report(w, "LEAK user code found the platform's secret in its env, its parent's or an inherited fd");
}

static void check_env(struct world *w)
{
  probe_victim(w, (const char *const[]){ "env-self", NULL }, judge_env);
}

/* /proc/PID/mem, process_vm_readv and pidfd_getfd: the same access check as ptrace. */
static void judge_memory(struct world *w, const struct scenario_finding *v)
{
  if (v->found_canary)
    scenario_report(w, "LEAK user code read the canary from the platform process's memory or fds");
  if (v->fds_stolen > 0)
    scenario_report(w, "LEAK pidfd_getfd took %d of the platform process's fds", v->fds_stolen);
}

static void check_memory(struct world *w)
{
  probe_victim(w, (const char *const[]){ "proc-mem", "vm-readv", "pidfd-getfd", NULL }, judge_memory);
}

/* The victim sends its canary over its loopback about every 100 ms. */
static void check_sniffing(struct world *w)
{
  probe_victim(w, (const char *const[]){ "net-sniff", NULL }, judge_canary);
}

/* The victim holds the canary in a user key; keyrings are not namespaced. */
static void check_keyring(struct world *w)
{
  probe_victim(w, (const char *const[]){ "keyring", NULL }, judge_canary);
}

/* Runs fn in mode: a SKIP (mode unavailable) skips, or fails under
 * SPLITBOX_MUST_WORK; an ERROR or FAIL fails; a LEAK fails unless expected,
 * and with leak its absence fails. */
static void expect_in_mode(enum scenario_mode mode, scenario_fn fn, const struct sbx_options *opts, bool leak,
                           const char *what)
{
  char *text = scenario_run(mode, fn, opts);

  if (scenario_has(text, "SKIP") && !scenario_must_work())
    {
      cr_log_info("%s", text);
      free(text);
      cr_skip_test("mode %s is not available here (SPLITBOX_MUST_WORK=1 makes this a failure)",
                   scenario_mode_name(mode));
    }
  cr_expect(!scenario_has(text, "ERROR") && !scenario_has(text, "SKIP") && !scenario_has(text, "FAIL"),
            "%sin mode %s:\n%s", what, scenario_mode_name(mode), text);
  if (leak)
    cr_assert(scenario_has(text, "LEAK"), "%sthe leak is real in mode %s, the check must find it:\n%s", what,
              scenario_mode_name(mode), text);
  else
    cr_expect(!scenario_has(text, "LEAK"), "%sleak in mode %s:\n%s", what, scenario_mode_name(mode), text);
  free(text);
}

static const struct sbx_options without_landlock = { .no_landlock = true };

/* Where each check's leak is real: its positive control, run first in each
 * test of the check. The checks not listed have theirs inside the scenario
 * (executor_env, planted_binary) or fail on what they cannot read
 * (caps_and_uid); the probe-based ones run the probes on bare processes. */
static const struct
{
  scenario_fn fn;
  enum scenario_mode mode;
  const struct sbx_options *opts;
} leaks_where[] = {
  { check_process_listing, MODE_FALLBACK_ROOT, NULL },
  { check_proc_listing, MODE_FALLBACK_ROOT, NULL },
  { check_kill_scan, MODE_FALLBACK_ROOT, NULL },
  { check_user_view, MODE_FALLBACK_ROOT, NULL },
  { check_proc_environ, MODE_FALLBACK_NOBODY, &without_landlock },
  { check_ptrace, MODE_FALLBACK_NOBODY, &without_landlock },
  { check_platform_files, MODE_FALLBACK_NOBODY, &without_landlock },
  { check_memory, MODE_FALLBACK_NOBODY, &without_landlock },
};

static void control_first(scenario_fn fn)
{
  for (size_t i = 0; i < sizeof leaks_where / sizeof leaks_where[0]; i++)
    if (leaks_where[i].fn == fn)
      expect_in_mode(leaks_where[i].mode, fn, leaks_where[i].opts, true, "positive control: ");
}

/* A check in mode, after its positive control (unless the leak is real in
 * mode: then the test is its own control). */
#define CHECK(suite, mode, fn, expect_leak)                                                                     \
  Test(suite, fn##_##mode, .timeout = 180)                                                                    \
  {                                                                                                           \
    if (!(expect_leak))                                                                                       \
      control_first(check_##fn);                                                                              \
    expect_in_mode(mode, check_##fn, NULL, expect_leak, "");                                                  \
  }

/* A probe-based check: the probes' positive controls on bare processes run
 * first, in the same test, and stop it when they do not show the leak. */
#define CONTROLLED(suite, name, mode, fn, opts, expect_leak, ...)                                               \
  Test(suite, name, .timeout = 180)                                                                           \
  {                                                                                                           \
    static const enum sbx_probe_id controls[] = { __VA_ARGS__ };                                              \
    for (size_t i = 0; i < sizeof controls / sizeof controls[0]; i++)                                         \
      scenario_require_bare_control(&sbx_probes[controls[i]]);                                                \
    if (!(expect_leak))                                                                                       \
      control_first(fn);                                                                                      \
    expect_in_mode(mode, fn, opts, expect_leak, "");                                                          \
  }

#define PROBED_CHECKS(suite, mode, sniffing)                                                                    \
  CONTROLLED(suite, env, mode, check_env, NULL, false, SBX_PROBE_env_self)                                    \
  CONTROLLED(suite, memory, mode, check_memory, NULL, false, SBX_PROBE_proc_mem, SBX_PROBE_vm_readv,            \
             SBX_PROBE_pidfd_getfd)                                                                           \
  CONTROLLED(suite, keyring, mode, check_keyring, NULL, false, SBX_PROBE_keyring)                             \
  sniffing

#define SNIFFING(suite, mode) CONTROLLED(suite, sniffing, mode, check_sniffing, NULL, false, SBX_PROBE_net_sniff)

#define ALL_CHECKS(suite, mode, leaks_listing, leaks_environ, leaks_ptrace, leaks_files, leaks_view)            \
  CHECK(suite, mode, process_listing, leaks_listing)                                                          \
  CHECK(suite, mode, proc_listing, leaks_listing)                                                             \
  CHECK(suite, mode, kill_scan, leaks_listing)                                                                \
  CHECK(suite, mode, proc_environ, leaks_environ)                                                             \
  CHECK(suite, mode, ptrace, leaks_ptrace)                                                                    \
  CHECK(suite, mode, caps_and_uid, false)                                                                     \
  CHECK(suite, mode, executor_env, false)                                                                     \
  CHECK(suite, mode, platform_files, leaks_files)                                                             \
  CHECK(suite, mode, user_view, leaks_view)                                                                   \
  CHECK(suite, mode, planted_binary, false)

/* Every guarantee holds as root and as an unprivileged user. */
ALL_CHECKS(namespaces, MODE_ROOT, false, false, false, false, false)
ALL_CHECKS(userns, MODE_USERNS, false, false, false, false, false)
PROBED_CHECKS(namespaces, MODE_ROOT, SNIFFING(namespaces, MODE_ROOT))
PROBED_CHECKS(userns, MODE_USERNS, SNIFFING(userns, MODE_USERNS))
/* Userns with user code as a subordinate id (the executor as splitbox-test). */
ALL_CHECKS(userns_subids, MODE_USERNS_SUBIDS, false, false, false, false, false)
PROBED_CHECKS(userns_subids, MODE_USERNS_SUBIDS, SNIFFING(userns_subids, MODE_USERNS_SUBIDS))

/* Fallback as root keeps what a separate uid gives (environ, ptrace, the
 * private dir) and loses the rest: those leaks are the positive controls of
 * the listing and view checks. */
ALL_CHECKS(fallback_root, MODE_FALLBACK_ROOT, true, false, false, false, true)
/* User code runs as a uid of its own without capabilities: no AF_PACKET socket. */
PROBED_CHECKS(fallback_root, MODE_FALLBACK_ROOT, SNIFFING(fallback_root, MODE_FALLBACK_ROOT))

/* Fallback without root: one uid for both contexts. Landlock keeps user code
 * from the platform's environ, memory and private dir (its ptrace rule and its
 * filesystem allow list). */
ALL_CHECKS(fallback_nobody, MODE_FALLBACK_NOBODY, true, false, false, false, true)
/* Sniffing is not claimed here (the network is the host's). keyctl is denied
 * by seccomp as in every mode, but /proc/keys shows the description of every
 * key its uid may view, and the platform's keys are that uid's: the keyring
 * check leaks here (a key's description, not its payload). */
CONTROLLED(fallback_nobody, env, MODE_FALLBACK_NOBODY, check_env, NULL, false, SBX_PROBE_env_self)
CONTROLLED(fallback_nobody, memory, MODE_FALLBACK_NOBODY, check_memory, NULL, false, SBX_PROBE_proc_mem,
           SBX_PROBE_vm_readv, SBX_PROBE_pidfd_getfd)
CONTROLLED(fallback_nobody, keyring_descriptions_leak, MODE_FALLBACK_NOBODY, check_keyring, NULL, true,
           SBX_PROBE_keyring)

/* The same without Landlock: one uid and nothing else between the contexts.
 * Its leaks are the positive controls of the environ, ptrace and private-file
 * checks above. */
#define CHECK_WITHOUT_LANDLOCK(fn)                                                                              \
  SCENARIO_TEST_EXPECTING(fallback_nobody_without_landlock, fn, MODE_FALLBACK_NOBODY, check_##fn, &without_landlock, \
                          true)
CHECK_WITHOUT_LANDLOCK(proc_environ)
CHECK_WITHOUT_LANDLOCK(ptrace)
CHECK_WITHOUT_LANDLOCK(platform_files)
CONTROLLED(fallback_nobody_without_landlock, memory, MODE_FALLBACK_NOBODY, check_memory, &without_landlock, true,
           SBX_PROBE_proc_mem, SBX_PROBE_vm_readv, SBX_PROBE_pidfd_getfd)
