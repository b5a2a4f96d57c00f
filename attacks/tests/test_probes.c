/* Every probe against splitbox, as root and as an unprivileged user, where it
 * must find nothing; each test first runs the same probe on bare processes,
 * where it must find the leak (its positive control). And the victim's
 * cleanup. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bare.h"
#include "canary.h"
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
      /* The audit's check of its attempts needs at least one name, and no empty one. */
      {
        const char *t = sbx_probes[i].techniques;
        cr_expect(t != NULL && t[0] != '\0' && t[0] != ',' && t[strlen(t) - 1] != ',' && strstr(t, ",,") == NULL,
                  "%s: .techniques must list at least one technique name, comma-separated: \"%s\"",
                  sbx_probes[i].name, t ? t : "(null)");
      }
    }
  for (size_t r = 0; r < sbx_row_count; r++)
    {
      size_t n = 0;
      for (size_t i = 0; i < sbx_probe_count; i++)
        n += strcmp(sbx_probes[i].row, sbx_rows[r].name) == 0;
      cr_expect(n > 0, "no probe tests the row \"%s\"", sbx_rows[r].name);
    }
}

/* ---------------------------------------------------------------- bare */

/* env-self as another uid than the platform's, handed one fd by the platform:
 * re-opening /proc/self/fd/N is refused (EACCES), the fd itself is not. */
static char *probe_with_fd(struct bare *b, int fd)
{
  const char *probe = getenv("SBX_PROBE");
  char *out = calloc(1, 1 << 20);
  size_t len = 0;
  int fds[2];
  pid_t pid;

  if (probe == NULL || out == NULL || pipe2(fds, O_CLOEXEC) != 0)
    return out;
  pid = fork();
  if (pid == 0)
    {
      char *envp[] = { (char *)"PATH=/usr/bin:/bin", NULL };
      char *argv[] = { (char *)probe, (char *)"env-self", (char *)"--marker", b->marker, NULL };
      if (dup2(fds[1], 1) < 0 || dup2(fd, 7) < 0 || setgroups(0, NULL) != 0 || setgid(65534) != 0
          || setuid(65534) != 0)
        _exit(126);
      execve(probe, argv, envp);
      _exit(127);
    }
  close(fds[1]);
  for (ssize_t n; len < (1 << 20) - 1 && (n = read(fds[0], out + len, (1 << 20) - 1 - len)) > 0;)
    len += (size_t)n;
  close(fds[0]);
  waitpid(pid, NULL, 0);
  return out;
}

Test(bare, env_self_reads_inherited_fds, .timeout = 30)
{
  struct bare b;
  char path[128], *out;
  int fd, sv[2];
  struct verdict v;

  cr_assert(bare_init(&b));
  snprintf(path, sizeof path, "%s/platform/credentials", b.dir);
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  cr_assert(fd >= 0 && write(fd, b.canary, strlen(b.canary)) == (ssize_t)strlen(b.canary));
  close(fd);
  /* A file the probe's uid cannot open, handed over open. */
  fd = open(path, O_RDONLY | O_CLOEXEC);
  cr_assert(fd >= 0);
  out = probe_with_fd(&b, fd);
  close(fd);
  v = verdict_read(out, b.canary);
  cr_expect(strstr(out, "\"inherited-fd-reopen\"") != NULL && strstr(out, "\"errno\":13") != NULL,
            "the re-open of /proc/self/fd/N must be refused here (the case of the issue):\n%s", out);
  cr_expect(v.found_canary, "env-self must read the canary through the inherited fd:\n%s", out);
  free(out);
  /* A socket with the secret waiting in it: peeked at, not taken. */
  cr_assert(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  cr_assert(write(sv[0], b.canary, strlen(b.canary)) == (ssize_t)strlen(b.canary));
  out = probe_with_fd(&b, sv[1]);
  v = verdict_read(out, b.canary);
  cr_expect(v.found_canary, "env-self must receive the canary from an inherited socket:\n%s", out);
  {
    char buf[128];
    cr_expect(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT) == (ssize_t)strlen(b.canary),
              "the probe peeks: the socket's data is still there for its owner");
  }
  close(sv[0]);
  close(sv[1]);
  free(out);
  /* And a pipe: copied with tee, not drained. */
  cr_assert(pipe2(sv, O_CLOEXEC) == 0);
  cr_assert(write(sv[1], b.canary, strlen(b.canary)) == (ssize_t)strlen(b.canary));
  out = probe_with_fd(&b, sv[0]);
  v = verdict_read(out, b.canary);
  cr_expect(v.found_canary, "env-self must read the canary from an inherited pipe:\n%s", out);
  {
    char buf[128];
    cr_expect(read(sv[0], buf, sizeof buf) == (ssize_t)strlen(b.canary), "the pipe's data is still there for its reader");
  }
  close(sv[0]);
  close(sv[1]);
  free(out);
  bare_cleanup(&b);
}

/* fs-scan, told where the backend keeps its private dir (a place outside its
 * usual list, as /var/lib/...), finds the secret there by content. */
Test(bare, fs_scan_searches_the_private_dir_it_is_told, .timeout = 60)
{
  const char *probe = getenv("SBX_PROBE");
  char dir[] = "/var/lib/splitbox-fs-scan-XXXXXX", sub[96], file[128], canary[64], marker[16], *out;
  struct verdict v;
  int fd;

  cr_assert(probe != NULL && sbx_canary_new(canary) == 0 && sbx_marker_new(marker) == 0);
  cr_assert(mkdtemp(dir) != NULL, "mkdtemp under /var/lib");
  snprintf(sub, sizeof sub, "%s/deploy", dir);
  snprintf(file, sizeof file, "%s/settings.conf", sub);
  cr_assert(mkdir(sub, 0700) == 0);
  fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  cr_assert(fd >= 0 && write(fd, canary, strlen(canary)) == (ssize_t)strlen(canary));
  close(fd);
  {
    char cmd[512];
    FILE *f;
    size_t len = 0;
    out = calloc(1, 1 << 22);
    snprintf(cmd, sizeof cmd, "'%s' fs-scan --marker %s --shared /nonexistent --private '%s'", probe, marker, dir);
    f = popen(cmd, "r");
    cr_assert(f != NULL && out != NULL);
    for (size_t n; (n = fread(out + len, 1, (1 << 22) - 1 - len, f)) > 0;)
      len += n;
    pclose(f);
  }
  v = verdict_read(out, canary);
  unlink(file);
  rmdir(sub);
  rmdir(dir);
  cr_expect(v.found_canary, "fs-scan must find the canary in the private dir it is told of (%s)", dir);
  free(out);
}

/* keyring: the victim's key carries the canary in its description, which
 * /proc/keys shows to whoever may view the key, before any keyctl read. */
Test(bare, keyring_reads_key_descriptions, .timeout = 30)
{
  struct bare b;
  char *out, *left;

  cr_assert(bare_init(&b));
  cr_assert(bare_start_victim(&b, false), "the victim did not get ready");
  out = bare_probe(&b, "keyring", false);
  {
    /* Other runs' keys may be there too (root's keyring is one for all root processes): at least ours. */
    const char *at = out != NULL ? strstr(out, "\"target\":\"/proc/keys\",\"ok\":true,\"errno\":0,\"detail\":\"") : NULL;
    struct verdict v = verdict_read(out, b.canary);
    cr_expect(at != NULL && atoi(at + strlen("\"target\":\"/proc/keys\",\"ok\":true,\"errno\":0,\"detail\":\"")) >= 1
                && v.found_canary,
              "the canary must be found in /proc/keys:\n%s", out ? out : "");
  }
  left = bare_stop(&b);
  cr_expect(left[0] == '\0', "the victim left behind: %s", left);
  free(left);
  free(out);
  bare_cleanup(&b);
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

/* symlink-deputy: the audit's deploy step (harness/audit.c, deputy_check), in the platform context. */
static void deputy_check(struct world *w, const char *out)
{
  const char *priv = sbx_sandbox_platform_path(w->sb);
  char cmd[2048], bak[96];
  struct sbx_exec_request req = { .context = SBX_CTX_PLATFORM, .cwd = sbx_sandbox_shared_path(w->sb, SBX_CTX_PLATFORM),
                                  .command = cmd };
  struct sbx_exec_result res;
  struct sbx_error err;
  char *data = NULL;
  size_t len = 0;

  snprintf(cmd, sizeof cmd,
           "M=%s; P=%s; [ -L cfg-$M.json ] && echo cfg-is-symlink; [ -L out-$M.log ] && echo out-is-symlink; "
           "(echo deploy-$M >> out-$M.log) 2>/dev/null; cp cfg-$M.json cfg-$M.bak 2>/dev/null; "
           "grep -q deploy-$M \"$P/deputy-$M.log\" 2>/dev/null && echo wrote-outside; rm -f \"$P/deputy-$M.log\"; "
           "echo step-done",
           w->marker, priv);
  if (scenario_exec_full(w, &req, &res, &err) < 0 || res.stdout_buf == NULL || strstr(res.stdout_buf, "step-done") == NULL)
    {
      scenario_report(w, "ERROR the deploy step did not run: %s", err.message);
      sbx_exec_result_clear(&res);
      return;
    }
  /* The probe planted both: the step must see them, or it tested nothing. */
  if (strstr(out, "\"planted\":\"2\"") == NULL || strstr(res.stdout_buf, "cfg-is-symlink") == NULL
      || strstr(res.stdout_buf, "out-is-symlink") == NULL)
    scenario_report(w, "ERROR the deploy step did not see the probe's symlinks: %s", res.stdout_buf);
  if (strstr(res.stdout_buf, "wrote-outside") != NULL)
    scenario_report(w, "LEAK the platform's append went through a planted symlink, outside the shared dir");
  sbx_exec_result_clear(&res);
  snprintf(bak, sizeof bak, "cfg-%s.bak", w->marker);
  if (sbx_file_read(w->sb, SBX_SCOPE_SHARED, bak, &data, &len, &err) == 0 && memmem(data, len, w->canary, strlen(w->canary)))
    scenario_report(w, "LEAK the platform's copy brought the private canary into the shared dir");
  free(data);
}

static void probe_scenario(struct world *w)
{
  const char *name = current_probe->name;
  struct sbx_process_info victim;
  struct verdict v;
  char *out, owned[600];

  if (current_probe->shared_secret)
    {
      snprintf(owned, sizeof owned, "--shared-secret %s/.splitbox-owned-%s",
               sbx_sandbox_shared_path(w->sb, SBX_CTX_PLATFORM), w->marker);
      w->victim_args = owned;
    }
  /* The canary in argv too, whatever the probe: nothing may reach it anywhere. */
  if (!scenario_start_victim(w, true, &victim))
    return;
  out = scenario_probe(w, name);
  v = verdict_read(out, w->canary);
  scenario_report(w, "INFO %s", out ? out : "(no output)");
  if (!v.parsed || strcmp(v.status, "ran") != 0)
    scenario_report(w, "ERROR the probe did not run: %s", out ? out : "");
  else if (v.attempts == 0)
    scenario_report(w, "ERROR the probe made no attempt: %s", out);
  else
    {
      /* Blocked by the sandbox is still an attempt, which fails: a listed technique never tried is a wrong list or a broken probe. */
      char missing[128];
      if (verdict_missing_technique(out, current_probe->techniques, missing, sizeof missing))
        scenario_report(w, "ERROR the probe made no attempt at %s (listed in its .techniques)", missing);
    }
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
  if (current_probe->leak == SBX_LEAK_DEPUTY && out != NULL)
    deputy_check(w, out);
  free(out);
  scenario_stop_victim(w, &victim);
}

static char *run_against_splitbox(enum scenario_mode mode, const struct sbx_probe_def *d)
{
  current_probe = d;
  return scenario_run(mode, probe_scenario, NULL);
}

/* userns mode without subordinate ids runs user code and platform commands as
 * the executor's one host uid: user code owns what the platform leaves in the
 * shared dir (every result says so in a warning). Named here so that it shows
 * as a skip with its reason, and only while it leaks in just that way; with
 * subordinate ids it must not leak (splitbox_userns_subids::ownership). */
static const char *userns_known_gap(const struct sbx_probe_def *d, const char *text)
{
  if (strcmp(d->name, "ownership") == 0 && scenario_has(text, "LEAK ownership recovered the canary")
      && !scenario_has(text, "ERROR"))
    return "ownership: user code is the platform's host uid, so it reads and chmods the platform's 0600 file";
  return NULL;
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
  if (mode == MODE_USERNS && userns_known_gap(d, text))
    {
      const char *why = userns_known_gap(d, text);
      cr_log_info("%s", text);
      free(text);
      cr_skip_test("known gap of userns mode without subordinate ids: %s", why);
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

/* userns mode's known gap closed: with subordinate ids (the executor as
 * splitbox-test), user code is a host uid of its own, and the platform's 0600
 * file in the shared dir is out of its reach. */
Test(splitbox_userns_subids, ownership, .timeout = 120)
{
  control_then_check(MODE_USERNS_SUBIDS, &sbx_probes[SBX_PROBE_ownership]);
}

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

/* A SIGKILL leaves no cleanup to run: the SysV segment, the one trace that
 * would outlive the run in the host's IPC namespace, must go with the victim. */
Test(victim, its_sysv_segment_goes_with_a_sigkill, .timeout = 30)
{
  struct bare b;
  struct shmid_ds ds;
  char *mem;

  cr_assert(bare_init(&b));
  cr_assert(bare_start_victim(&b, true), "the victim did not get ready");
  /* Alive: the segment is there, attachable, and holds the canary (what ipc-sysv reads). */
  cr_assert(b.shm_id >= 0 && shmctl(b.shm_id, IPC_STAT, &ds) == 0, "no segment while the victim lives");
  mem = shmat(b.shm_id, NULL, SHM_RDONLY);
  cr_assert(mem != (void *)-1, "the live segment cannot be attached");
  cr_expect(strncmp(mem, b.canary, strlen(b.canary)) == 0, "the segment does not hold the canary");
  shmdt(mem);
  kill(b.victim, SIGKILL);
  waitpid(b.victim, NULL, 0);
  b.victim = 0;
  cr_expect(shmctl(b.shm_id, IPC_STAT, &ds) != 0, "the segment outlived its SIGKILLed victim");
  /* What a SIGKILL does leave, removed here: the test leaves nothing either. */
  if (b.posix_shm[0])
    shm_unlink(b.posix_shm);
  if (b.key > 0)
    syscall(SYS_keyctl, 21 /* KEYCTL_INVALIDATE */, b.key);
  free(bare_stop(&b));
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
