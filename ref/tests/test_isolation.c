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

/* The platform-side victim: its argv carries the marker, its env the canary. */
static bool start_victim(struct world *w, struct sbx_process_info *info)
{
  char cmd[1200], env_entry[128];
  const char *env[] = { env_entry, NULL };
  struct sbx_exec_request req = { .context = SBX_CTX_PLATFORM, .command = cmd, .env = env };
  struct sbx_error err = { 0 };

  snprintf(env_entry, sizeof env_entry, "AWS_SECRET_ACCESS_KEY=%s", w->canary);
  snprintf(cmd, sizeof cmd, "exec %s hold %s", w->leakcheck_platform, w->marker);
  if (sbx_process_start(w->sb, &req, info, &err) < 0)
    {
      scenario_report(w, "ERROR start victim: %s: %s", err.code, err.message);
      return false;
    }
  /* Ready when it says so: a scan before its exec would look for it in vain. */
  for (int i = 0; i < 500; i++)
    {
      char *out = NULL, *errout = NULL;
      size_t out_len = 0, err_len = 0;
      bool ready = sbx_process_logs(w->sb, SBX_CTX_PLATFORM, info->id, &out, &out_len, &errout, &err_len, &err) == 0
                   && out != NULL && strstr(out, "holding") != NULL;
      free(out);
      free(errout);
      if (ready)
        return true;
      usleep(10000);
    }
  scenario_report(w, "ERROR the victim did not get ready");
  return false;
}

static void scan_from_user(struct world *w)
{
  struct sbx_process_info victim;
  struct sbx_error err = { 0 };
  char cmd[1400], args[200];
  char *out;

  if (!start_victim(w, &victim))
    return;
  snprintf(args, sizeof args, "%s %s\n", w->marker, w->canary);
  if (sbx_file_write(w->sb, SBX_SCOPE_SHARED, ".scan-args", args, strlen(args), &err) < 0)
    {
      scenario_report(w, "ERROR write the scan's arguments: %s: %s", err.code, err.message);
      sbx_process_info_clear(&victim);
      return;
    }
  snprintf(cmd, sizeof cmd, "exec %s scan %s/.scan-args", w->leakcheck, sbx_sandbox_shared_path(w->sb, SBX_CTX_USER));
  out = scenario_exec(w, SBX_CTX_USER, cmd, NULL, NULL);
  if (out != NULL)
    {
      scenario_report(w, "INFO victim pid %d; scan:\n%s", (int)victim.pid, out);
      if (!strstr(out, "\ndone\n"))
        scenario_report(w, "ERROR the scan did not finish");
    }
  free(out);
  sbx_process_info_clear(&victim);
}

static bool line_has_pid(const char *text, const char *prefix, int pid)
{
  char needle[64];
  snprintf(needle, sizeof needle, "\n%s %d\n", prefix, pid);
  return strstr(text, needle) != NULL;
}

static void check_process_listing(struct world *w)
{
  struct sbx_process_info victim;
  char *out;

  if (!start_victim(w, &victim))
    return;
  out = scenario_exec(w, SBX_CTX_USER, "ps -eo pid,args; ls /proc", NULL, NULL);
  if (out != NULL && strstr(out, w->marker) != NULL)
    scenario_report(w, "LEAK ps in the user context lists the platform process:\n%s", out);
  free(out);
  sbx_process_info_clear(&victim);
}

enum scan_kind
{
  SCAN_LISTING,
  SCAN_ENVIRON,
  SCAN_PTRACE,
  SCAN_KILL,
};

/* Runs sbx-leakcheck scan as user code and reports the findings of one kind. */
static void scan_for(struct world *w, enum scan_kind kind)
{
  size_t before = w->out_len;
  const char *text;

  scan_from_user(w);
  text = w->out + before;
  for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++)
    {
      int pid;
      char what[32];
      if (kind == SCAN_LISTING && sscanf(p + 1, "marker-visible %d", &pid) == 1)
        scenario_report(w, "LEAK /proc shows the platform process as pid %d", pid);
      else if (kind == SCAN_ENVIRON && sscanf(p + 1, "canary %31s %d", what, &pid) == 2)
        scenario_report(w, "LEAK the canary is readable in /proc/%d/%s", pid, what);
      else if (kind == SCAN_PTRACE && sscanf(p + 1, "ptrace-seized %d", &pid) == 1)
        scenario_report(w, "LEAK PTRACE_SEIZE reached the platform process %d", pid);
      else if (kind == SCAN_KILL && sscanf(p + 1, "kill-alive %d", &pid) == 1)
        {
          /* kill(pid, 0) reaching a marked process, or one /proc hides, is a leak. */
          if (line_has_pid(text, "marker-visible", pid))
            scenario_report(w, "LEAK kill(%d, 0) reaches the platform process", pid);
          else if (!line_has_pid(text, "visible-pid", pid))
            scenario_report(w, "LEAK kill(%d, 0) reaches a process that /proc does not show", pid);
        }
    }
}

static void check_proc_listing(struct world *w)
{
  scan_for(w, SCAN_LISTING);
}

static void check_proc_environ(struct world *w)
{
  scan_for(w, SCAN_ENVIRON);
}

static void check_ptrace(struct world *w)
{
  scan_for(w, SCAN_PTRACE);
}

static void check_kill_scan(struct world *w)
{
  scan_for(w, SCAN_KILL);
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
  if (start_victim(w, &victim))
    sbx_process_info_clear(&victim);
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

/* Fallback as root keeps what a separate uid gives (environ, ptrace, the
 * private dir) and loses the rest: those leaks are the positive controls of
 * the listing and view checks. */
ALL_CHECKS(fallback_root, MODE_FALLBACK_ROOT, true, false, false, false, true)

/* Fallback without root: one uid for both contexts. Its leaks are the
 * positive controls of the environ, ptrace and private-file checks. */
ALL_CHECKS(fallback_nobody, MODE_FALLBACK_NOBODY, true, true, true, true, true)
