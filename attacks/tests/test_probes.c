/* Every probe against splitbox, as root and as an unprivileged user, where it
 * must find nothing; each test first runs the same probe on bare processes,
 * where it must find the leak (its positive control). And the victim's
 * cleanup. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bare.h"
#include "probe_table.h"
#include "scenario.h"
#include "verdict.h"

/* ---------------------------------------------------------------- the table */

/* The audit groups cells by row text: a probe whose row is not a table row
 * would vanish from the report, and a row without probes would claim nothing. */
Test(table, every_probe_tests_a_row_and_every_row_has_a_probe, .timeout = 60)
{
  for (size_t i = 0; i < sbx_probe_count; i++)
    {
      cr_expect(sbx_row_find(sbx_probes[i].row) != NULL, "%s: unknown row \"%s\"", sbx_probes[i].name,
                sbx_probes[i].row);
      cr_expect(sbx_probe_find(sbx_probes[i].name) == &sbx_probes[i], "%s: named twice", sbx_probes[i].name);
      cr_expect(sbx_probes[i].technique != NULL && sbx_probes[i].technique[0] != '\0', "%s: no technique",
                sbx_probes[i].name);
    }
  for (size_t r = 0; r < sbx_row_count; r++)
    {
      size_t n = 0;
      for (size_t i = 0; i < sbx_probe_count; i++)
        n += strcmp(sbx_probes[i].row, sbx_rows[r].name) == 0;
      cr_expect(n > 0, "no probe tests the row \"%s\"", sbx_rows[r].name);
    }
}

/* ---------------------------------------------------------------- splitbox */

static const struct sbx_probe_def *current_probe;

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

static void probe_scenario(struct world *w)
{
  const char *name = current_probe->name;
  struct sbx_process_info victim;
  struct verdict v;
  char *out;

  /* The canary in argv too, whatever the probe: nothing may reach it anywhere. */
  if (!scenario_start_victim(w, true, &victim))
    return;
  out = scenario_probe(w, name);
  v = verdict_read(out, w->canary);
  scenario_report(w, "INFO %s", out ? out : "(no output)");
  if (!v.parsed || strcmp(v.status, "ran") != 0)
    scenario_report(w, "ERROR the probe did not run: %s", out ? out : "");
  if (v.found_canary)
    scenario_report(w, "LEAK %s recovered the canary", name);
  /* Inside a sandbox any canary-shaped token is some platform's secret. */
  if (v.stale_tokens > 0 || v.found_dropped > 0)
    scenario_report(w, "LEAK %s found %d tokens of other runs", name, v.stale_tokens + v.found_dropped);
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
  if (v.executed[0] != '\0')
    scenario_report(w, "LEAK a platform execute from user code ran at %s", v.executed);
  if (current_probe->leak == SBX_LEAK_HIJACK)
    hijack_check(w);
  free(out);
  scenario_stop_victim(w, &victim);
}

static char *run_against_splitbox(enum scenario_mode mode, const struct sbx_probe_def *d)
{
  current_probe = d;
  return scenario_run(mode, probe_scenario, NULL);
}

/* The probe against splitbox in mode: it must find nothing. Its positive
 * control runs first, in the same test: a check whose control cannot see the
 * leak proves nothing, so it fails (or skips with the control) and never
 * passes alone. */
static void control_then_check(enum scenario_mode mode, const struct sbx_probe_def *d)
{
  char *text;

  scenario_require_bare_control(d);
  text = run_against_splitbox(mode, d);
  if (scenario_has(text, "SKIP") && !scenario_must_work())
    {
      cr_log_info("%s", text);
      free(text);
      cr_skip_test("mode %s is not available here", scenario_mode_name(mode));
    }
  cr_expect(!scenario_has(text, "ERROR") && !scenario_has(text, "SKIP") && !scenario_has(text, "LEAK"),
            "%s against splitbox (%s):\n%s", d->name, scenario_mode_name(mode), text);
  free(text);
}

/* One test per table entry and mode, named by its id. */
#define SPLITBOX_TEST_(id, ...)                                                                               \
  Test(splitbox_root, id, .timeout = 120)                                                                     \
  {                                                                                                           \
    control_then_check(MODE_ROOT, &sbx_probes[SBX_PROBE_##id]);                                               \
  }                                                                                                           \
  Test(splitbox_userns, id, .timeout = 120)                                                                   \
  {                                                                                                           \
    control_then_check(MODE_USERNS, &sbx_probes[SBX_PROBE_##id]);                                             \
  }
SBX_PROBE_TABLE(SPLITBOX_TEST_)

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
  cr_assert(bare_read_ready(&b), "read the victim's ready file");
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
