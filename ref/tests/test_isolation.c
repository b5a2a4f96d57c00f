/* Confidentiality of the platform context against user code, in every mode.
 * Each check runs in the modes where the guarantee must hold, and also as a
 * positive control where it cannot hold (the fallback modes), to prove that
 * the check finds the leak when the leak is real. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
  struct sbx_process_info victim;
  char *u = scenario_exec(w, SBX_CTX_USER, "env; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'", NULL, NULL);
  char *pl = scenario_exec(w, SBX_CTX_PLATFORM, "env; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'", NULL, NULL);

  /* The harness set SPLITBOX_TEST_LEAK=<canary> in the executor's environment. */
  if (u != NULL && strstr(u, "SPLITBOX_TEST_LEAK") != NULL)
    scenario_report(w, "LEAK the executor's environment reached the user context");
  if (pl != NULL && strstr(pl, "SPLITBOX_TEST_LEAK") != NULL)
    scenario_report(w, "LEAK the executor's environment reached the platform context");
  if (pl != NULL && (strstr(pl, "PATH=") == NULL || strstr(pl, "HOME=") == NULL))
    scenario_report(w, "ERROR the platform env lacks the base PATH/HOME:\n%s", pl);
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

#define CHECK(suite, mode, fn, expect_leak) \
  SCENARIO_TEST_EXPECTING(suite, fn##_##mode, mode, check_##fn, NULL, expect_leak)

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
/* Userns with user code as a subordinate id (the executor as splitbox-test). */
ALL_CHECKS(userns_subids, MODE_USERNS_SUBIDS, false, false, false, false, false)

/* Fallback as root keeps what a separate uid gives (environ, ptrace, the
 * private dir) and loses the rest: those leaks are the positive controls of
 * the listing and view checks. */
ALL_CHECKS(fallback_root, MODE_FALLBACK_ROOT, true, false, false, false, true)

/* Fallback without root: one uid for both contexts. Landlock keeps user code
 * from the platform's environ, memory and private dir (its ptrace rule and its
 * filesystem allow list). */
ALL_CHECKS(fallback_nobody, MODE_FALLBACK_NOBODY, true, false, false, false, true)

/* The same without Landlock: one uid and nothing else between the contexts.
 * Its leaks are the positive controls of the environ, ptrace and private-file
 * checks above. */
static const struct sbx_options without_landlock = { .no_landlock = true };
#define CHECK_WITHOUT_LANDLOCK(fn)                                                                              \
  SCENARIO_TEST_EXPECTING(fallback_nobody_without_landlock, fn, MODE_FALLBACK_NOBODY, check_##fn, &without_landlock, \
                          true)
CHECK_WITHOUT_LANDLOCK(proc_environ)
CHECK_WITHOUT_LANDLOCK(ptrace)
CHECK_WITHOUT_LANDLOCK(platform_files)
