/* Every probe against two backends: bare processes, where each must find the
 * canary (its positive control), and splitbox, where each must find nothing.
 * And the victim's cleanup. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scenario.h"
#include "bare.h"
#include "verdict.h"

enum expect
{
  FIND,    /* the current run's canary among the tokens */
  VISIBLE, /* ps-scan: the marker process is visible */
  STOPPED, /* signal: the victim could be stopped */
  HIJACK,  /* path-hijack: a plant ran in a platform command */
  CAPS,    /* capabilities: a dangerous capability is held */
};

/* ---------------------------------------------------------------- bare */

static void bare_control(const char *name, enum expect expect, bool argv_canary, bool canary_env, bool victim,
                         bool control_plane)
{
  struct bare b;
  struct verdict v;
  char *out, *left;

  cr_assert(bare_init(&b), "set up the run's directory");
  if (victim)
    cr_assert(bare_start_victim(&b, argv_canary), "the victim did not get ready");
  if (control_plane)
    cr_assert(bare_start_control_plane(&b), "start the fake control plane");
  out = bare_probe(&b, name, canary_env);
  if (expect == HIJACK)
    bare_platform_command(&b);
  v = verdict_read(out, b.canary);
  cr_expect(v.parsed, "probe %s printed no JSON:\n%s", name, out ? out : "");
  if (strcmp(v.status, "unsupported") == 0 && !scenario_must_work())
    {
      bare_cleanup(&b);
      cr_skip_test("%s is unsupported on this machine: %s", name, v.reason);
    }
  cr_expect(strcmp(v.status, "ran") == 0, "status %s (%s)", v.status, v.reason);
  switch (expect)
    {
    case FIND:
      cr_expect(v.found_canary, "positive control: %s must recover the canary on the bare backend:\n%s", name, out);
      break;
    case VISIBLE:
      cr_expect(v.marker_visible, "positive control: ps-scan must see the victim:\n%s", out);
      break;
    case STOPPED:
      cr_expect(v.stopped, "positive control: signal must stop the victim:\n%s", out);
      break;
    case HIJACK:
      cr_expect(bare_hijacked(&b), "positive control: a plant must run in the platform command:\n%s", out);
      break;
    case CAPS:
      cr_expect(v.dangerous[0] != '\0', "positive control: root holds dangerous capabilities:\n%s", out);
      break;
    default:
      cr_assert_fail("unknown expectation");
    }
  left = victim ? bare_stop(&b) : strdup("");
  cr_expect(left[0] == '\0', "the victim left behind: %s", left);
  free(left);
  free(out);
  bare_cleanup(&b);
}

#define BARE(probe, id, expect, argv_canary, canary_env, victim, cp)                                          \
  Test(bare, id, .timeout = 60)                                                                               \
  {                                                                                                           \
    bare_control(probe, expect, argv_canary, canary_env, victim, cp);                                         \
  }

BARE("env-self", env_self, FIND, false, true, true, false)
BARE("proc-environ", proc_environ, FIND, false, false, true, false)
BARE("proc-cmdline", proc_cmdline, FIND, true, false, true, false)
BARE("ps-scan", ps_scan, VISIBLE, false, false, true, false)
BARE("ptrace", ptrace, FIND, false, false, true, false)
BARE("proc-mem", proc_mem, FIND, false, false, true, false)
BARE("vm-readv", vm_readv, FIND, false, false, true, false)
BARE("pidfd-getfd", pidfd_getfd, FIND, false, false, true, false)
BARE("proc-root", proc_root, FIND, false, false, true, false)
BARE("fs-scan", fs_scan, FIND, false, false, true, false)
BARE("ipc-sysv", ipc_sysv, FIND, false, false, true, false)
BARE("posix-shm", posix_shm, FIND, false, false, true, false)
BARE("keyring", keyring, FIND, false, false, true, false)
BARE("net-sniff", net_sniff, FIND, false, false, true, false)
BARE("net-connect", net_connect, FIND, false, false, true, false)
BARE("unix-abstract", unix_abstract, FIND, false, false, true, false)
BARE("mount-escape", mount_escape, FIND, false, false, true, false)
/* No victim here: only the fake executor API holds the canary. */
BARE("control-plane", control_plane, FIND, false, false, false, true)
BARE("signal", signal, STOPPED, false, false, true, false)
BARE("path-hijack", path_hijack, HIJACK, false, false, true, false)
BARE("capabilities", capabilities, CAPS, false, false, false, false)

/* ---------------------------------------------------------------- splitbox */

static const char *current_probe;

static bool victim_ready(struct world *w, struct sbx_process_info *victim)
{
  char cmd[600], env_entry[128];
  const char *env[] = { env_entry, NULL };
  const char *shared = sbx_sandbox_shared_path(w->sb, SBX_CTX_PLATFORM);
  struct sbx_exec_request req = { .context = SBX_CTX_PLATFORM, .command = cmd, .env = env };
  struct sbx_error err = { 0 };
  bool ready = false;

  snprintf(env_entry, sizeof env_entry, "AWS_SECRET_ACCESS_KEY=%s", w->canary);
  snprintf(cmd, sizeof cmd,
           "exec %s/splitbox-victim --marker %s --private-dir /platform --ready-file /platform/ready --argv-canary",
           shared, w->marker);
  if (sbx_process_start(w->sb, &req, victim, &err) < 0)
    {
      scenario_report(w, "ERROR start the victim: %s: %s", err.code, err.message);
      return false;
    }
  for (int i = 0; i < 500 && !ready; i++)
    {
      if (sbx_file_exists(w->sb, SBX_SCOPE_PLATFORM, "/platform/ready", &ready, &err) < 0)
        break;
      if (!ready)
        usleep(10000);
    }
  if (!ready)
    scenario_report(w, "ERROR the victim did not get ready");
  return ready;
}

static void hijack_check(struct world *w)
{
  static const char *const places[] = { ".", "node_modules/.bin" };
  struct sbx_exec_request req = { .context = SBX_CTX_PLATFORM, .cwd = sbx_sandbox_shared_path(w->sb, SBX_CTX_PLATFORM),
                                  .command = "zip -v; aws --version; git --version; env; sh -c true; true" };
  struct sbx_exec_result res;
  struct sbx_error err;

  scenario_exec_full(w, &req, &res, &err);
  sbx_exec_result_clear(&res);
  for (size_t i = 0; i < 2; i++)
    {
      struct sbx_dirent *list = NULL;
      size_t n = 0;
      if (sbx_file_list(w->sb, SBX_SCOPE_SHARED, places[i], &list, &n, &err) < 0)
        continue;
      for (size_t k = 0; k < n; k++)
        if (strncmp(list[k].name, ".splitbox-hijacked-", 19) == 0)
          scenario_report(w, "LEAK a plant ran in a platform command: %s/%s", places[i], list[k].name);
      sbx_dirent_list_free(list, n);
    }
}

/* The victim must have lived through the probe (else nothing was tested), and
 * it leaves on SIGTERM, removing its key: keyrings are not namespaced. */
static void stop_victim(struct world *w, struct sbx_process_info *victim)
{
  struct sbx_process_info now;
  struct sbx_error err = { 0 };
  char needle[64];

  if (sbx_process_get(w->sb, SBX_CTX_PLATFORM, victim->id, &now, &err) < 0 || now.status != SBX_PROC_RUNNING)
    scenario_report(w, "ERROR the victim did not survive the probe (%s)", sbx_process_status_name(now.status));
  sbx_process_info_clear(&now);
  sbx_process_kill(w->sb, SBX_CTX_PLATFORM, victim->id, SIGTERM, &err);
  for (int i = 0; i < 200; i++)
    {
      if (sbx_process_get(w->sb, SBX_CTX_PLATFORM, victim->id, &now, &err) < 0 || now.status != SBX_PROC_RUNNING)
        break;
      sbx_process_info_clear(&now);
      usleep(10000);
    }
  sbx_process_info_clear(&now);
  snprintf(needle, sizeof needle, "splitbox-%s", w->marker);
  {
    FILE *f = fopen("/proc/keys", "r");
    char line[512];
    char flags[16];
    /* An invalidated ('i') or dead key waits for garbage collection, unreadable. */
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
      if (strstr(line, needle) != NULL && sscanf(line, "%*s %15s", flags) == 1 && strpbrk(flags, "iRD") == NULL)
        scenario_report(w, "ERROR the victim's key outlived it: %s", line);
    if (f != NULL)
      fclose(f);
  }
}

static void probe_scenario(struct world *w)
{
  struct sbx_process_info victim;
  char cmd[600];
  const char *shared = sbx_sandbox_shared_path(w->sb, SBX_CTX_USER);
  struct verdict v;
  char *out;

  if (!victim_ready(w, &victim))
    return;
  snprintf(cmd, sizeof cmd, "%s/splitbox-probe %s --marker %s --shared %s", shared, current_probe, w->marker, shared);
  out = scenario_exec(w, SBX_CTX_USER, cmd, NULL, NULL);
  v = verdict_read(out, w->canary);
  scenario_report(w, "INFO %s", out ? out : "(no output)");
  if (!v.parsed || strcmp(v.status, "ran") != 0)
    scenario_report(w, "ERROR the probe did not run: %s", out ? out : "");
  if (v.found_canary)
    scenario_report(w, "LEAK %s recovered the canary", current_probe);
  /* Inside a sandbox any canary-shaped token is some platform's secret. */
  if (v.stale_tokens > 0 || v.found_dropped > 0)
    scenario_report(w, "LEAK %s found %d tokens of other runs", current_probe, v.stale_tokens + v.found_dropped);
  if (v.hidden_pids > 0)
    scenario_report(w, "LEAK kill(pid, 0) reaches %d processes that /proc hides", v.hidden_pids);
  if (v.fds_stolen > 0)
    scenario_report(w, "LEAK pidfd_getfd stole %d of the victim's fds", v.fds_stolen);
  if (v.marker_visible)
    scenario_report(w, "LEAK the victim is visible to user code");
  if (v.stopped)
    scenario_report(w, "LEAK user code stopped the victim");
  if (v.dangerous[0] != '\0')
    scenario_report(w, "LEAK user code holds %s", v.dangerous);
  if (strcmp(current_probe, "path-hijack") == 0)
    hijack_check(w);
  free(out);
  stop_victim(w, &victim);
  sbx_process_info_clear(&victim);
}

static char *run_against_splitbox(enum scenario_mode mode, const char *name)
{
  current_probe = name;
  return scenario_run(mode, probe_scenario, NULL);
}

#define SPLITBOX(probe, id)                                                                                   \
  Test(splitbox_root, id, .timeout = 90)                                                                      \
  {                                                                                                           \
    char *text = run_against_splitbox(MODE_ROOT, probe);                                                      \
    cr_expect(!scenario_has(text, "ERROR") && !scenario_has(text, "SKIP") && !scenario_has(text, "LEAK"),        \
              "%s against splitbox (root):\n%s", probe, text);                                                \
    free(text);                                                                                               \
  }                                                                                                           \
  Test(splitbox_userns, id, .timeout = 90)                                                                    \
  {                                                                                                           \
    char *text = run_against_splitbox(MODE_USERNS, probe);                                                    \
    if (scenario_has(text, "SKIP") && !scenario_must_work())                                                    \
      cr_skip_test("userns mode is not available here");                                                     \
    cr_expect(!scenario_has(text, "ERROR") && !scenario_has(text, "SKIP") && !scenario_has(text, "LEAK"),        \
              "%s against splitbox (userns):\n%s", probe, text);                                              \
    free(text);                                                                                               \
  }

SPLITBOX("env-self", env_self)
SPLITBOX("proc-environ", proc_environ)
SPLITBOX("proc-cmdline", proc_cmdline)
SPLITBOX("ps-scan", ps_scan)
SPLITBOX("ptrace", ptrace)
SPLITBOX("proc-mem", proc_mem)
SPLITBOX("vm-readv", vm_readv)
SPLITBOX("pidfd-getfd", pidfd_getfd)
SPLITBOX("proc-root", proc_root)
SPLITBOX("fs-scan", fs_scan)
SPLITBOX("ipc-sysv", ipc_sysv)
SPLITBOX("posix-shm", posix_shm)
SPLITBOX("keyring", keyring)
SPLITBOX("net-sniff", net_sniff)
SPLITBOX("net-connect", net_connect)
SPLITBOX("unix-abstract", unix_abstract)
SPLITBOX("mount-escape", mount_escape)
SPLITBOX("control-plane", control_plane)
SPLITBOX("signal", signal)
SPLITBOX("path-hijack", path_hijack)
SPLITBOX("capabilities", capabilities)

/* ---------------------------------------------------------------- cleanup */

Test(victim, removes_every_trace_on_sigterm, .timeout = 30)
{
  struct bare b;
  char *left;

  cr_assert(bare_init(&b));
  cr_assert(bare_start_victim(&b, true), "the victim did not get ready");
  cr_expect(b.shm_id >= 0 && b.key > 0 && b.tcp_port > 0 && b.abstract[0] && b.posix_shm[0] && b.private_file[0],
            "the ready file names what the victim set up");
  left = bare_stop(&b);
  cr_expect(left[0] == '\0', "left behind after SIGTERM: %s", left);
  free(left);
  bare_cleanup(&b);
}

Test(victim, removes_every_trace_when_its_parent_dies, .timeout = 30)
{
  struct bare b;
  pid_t parent;
  char *left;
  int fds[2];

  cr_assert(bare_init(&b));
  cr_assert(pipe(fds) == 0);
  /* The orphaned victim becomes our child, so that we can reap it and not see a zombie. */
  cr_assert(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0);
  parent = fork();
  if (parent == 0)
    {
      /* An intermediate parent: it starts the victim, reports ready, then waits to be killed. */
      bool ok = bare_start_victim(&b, false);
      (void)!write(fds[1], ok ? "1" : "0", 1);
      pause();
      _exit(0);
    }
  {
    char ok = '0';
    cr_assert(read(fds[0], &ok, 1) == 1 && ok == '1', "the victim did not get ready");
  }
  /* The ready file tells what to look for afterwards. */
  {
    pid_t keep = b.victim;
    b.victim = 0;
    (void)keep;
  }
  {
    FILE *f = fopen(b.ready, "r");
    char key[64], value[256];
    while (f != NULL && fscanf(f, "%63s %255s", key, value) == 2)
      if (strcmp(key, "private_file") == 0)
        snprintf(b.private_file, sizeof b.private_file, "%s", value);
      else if (strcmp(key, "sysv_shm_id") == 0)
        b.shm_id = atoi(value);
      else if (strcmp(key, "posix_shm") == 0)
        snprintf(b.posix_shm, sizeof b.posix_shm, "%s", value);
      else if (strcmp(key, "tcp_port") == 0)
        b.tcp_port = atoi(value);
      else if (strcmp(key, "abstract") == 0)
        snprintf(b.abstract, sizeof b.abstract, "%s", value);
      else if (strcmp(key, "key") == 0)
        b.key = atol(value);
    if (f != NULL)
      fclose(f);
  }
  kill(parent, SIGKILL);
  waitpid(parent, NULL, 0);
  /* The victim, told by its parent-death signal, cleans up and exits: reap it. */
  for (int i = 0; i < 300 && waitpid(-1, NULL, WNOHANG) <= 0; i++)
    usleep(10000);
  left = bare_stop(&b);
  cr_expect(left[0] == '\0', "left behind after its parent died: %s", left);
  free(left);
  bare_cleanup(&b);
}
