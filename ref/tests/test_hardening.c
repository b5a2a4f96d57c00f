/* Hardening of the reference executor: what user code could still reach
 * through the platform (symlinks in the shared dir) and the kernel (/proc
 * that is not namespaced). Each test runs its positive control first, in the
 * same test: the same scenario in a mode where the mitigation is absent must
 * show the leak, or the check proves nothing. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "remove_tree.h"
#include "scenario.h"
#include "subids.h"

/* The scenario's leak lines, checked against what the mode should give. */
static void expect_mode(enum scenario_mode mode, scenario_fn fn, const struct sbx_options *opts, bool leak)
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
            "in mode %s:\n%s", scenario_mode_name(mode), text);
  if (leak)
    cr_expect(scenario_has(text, "LEAK"), "positive control: the leak is real in mode %s, the check must find it:\n%s",
              scenario_mode_name(mode), text);
  else
    cr_expect(!scenario_has(text, "LEAK"), "leak in mode %s:\n%s", scenario_mode_name(mode), text);
  free(text);
}

/* User code plants symlinks in the shared dir; a deploy-like platform command
 * appends to a log and copies a config there. Leaked: the platform wrote
 * outside the shared dir, or copied its secret where user code reads it. */
static void symlink_deputy(struct world *w)
{
  const char *shared_user = sbx_sandbox_shared_path(w->sb, SBX_CTX_USER);
  const char *shared_platform = sbx_sandbox_shared_path(w->sb, SBX_CTX_PLATFORM);
  const char *platform_dir = sbx_sandbox_platform_path(w->sb);
  char outside[256], cmd[2048], *out;

  /* A host path of the test's own, outside every view's shared dir. */
  snprintf(outside, sizeof outside, "/var/tmp/sbx-deputy-%s", w->marker);
  unlink(outside);
  snprintf(cmd, sizeof cmd, "printf '%%s' %s > %s/secret && echo stored", w->canary, platform_dir);
  out = scenario_exec(w, SBX_CTX_PLATFORM, cmd, NULL, NULL);
  EXPECT(w, out != NULL && strcmp(out, "stored\n") == 0, "the platform stores its secret: %s", out);
  free(out);
  snprintf(cmd, sizeof cmd, "cd %s && ln -s %s out.log && ln -s %s/secret cfg.json && echo planted", shared_user,
           outside, platform_dir);
  out = scenario_exec(w, SBX_CTX_USER, cmd, NULL, NULL);
  EXPECT(w, out != NULL && strcmp(out, "planted\n") == 0, "user code plants its symlinks: %s", out);
  free(out);
  /* The deploy step: each action may fail (that is the mitigation), the command must run. */
  snprintf(cmd, sizeof cmd, "cd %s; echo deploy >> out.log; cp cfg.json cfg.bak; echo deployed", shared_platform);
  out = scenario_exec(w, SBX_CTX_PLATFORM, cmd, NULL, NULL);
  EXPECT(w, out != NULL && strstr(out, "deployed\n") != NULL, "the platform's deploy step ran: %s", out);
  free(out);
  if (access(outside, F_OK) == 0)
    scenario_report(w, "LEAK the platform's append followed out.log to %s", outside);
  unlink(outside);
  snprintf(cmd, sizeof cmd, "cat %s/cfg.bak 2>/dev/null; true", shared_user);
  out = scenario_exec(w, SBX_CTX_USER, cmd, NULL, NULL);
  EXPECT(w, out != NULL, "user code reads the copy");
  if (out != NULL && strstr(out, w->canary) != NULL)
    scenario_report(w, "LEAK the platform's copy followed cfg.json: user code read the secret");
  free(out);
}

Test(hardening, symlinks_in_shared_dir, .timeout = 120)
{
  /* Control: fallback has no platform view, so its commands follow the links. */
  expect_mode(MODE_FALLBACK_ROOT, symlink_deputy, NULL, true);
  expect_mode(MODE_ROOT, symlink_deputy, NULL, false);
  expect_mode(MODE_USERNS, symlink_deputy, NULL, false);
}

/* --platform-host-fs ro: the host is read-only to platform commands, but for
 * the shared dir, /platform, /tmp and HOME. Control: the default view writes. */
static void host_write(struct world *w, bool expect_written)
{
  char target[256], cmd[1024], *out;

  snprintf(target, sizeof target, "/var/tmp/sbx-host-write-%s", w->marker);
  unlink(target);
  snprintf(cmd, sizeof cmd,
           "touch %s 2>/dev/null && echo host; touch %s/a /platform/a /tmp/a \"$HOME/a\" && echo others; true",
           target, sbx_sandbox_shared_path(w->sb, SBX_CTX_PLATFORM));
  out = scenario_exec(w, SBX_CTX_PLATFORM, cmd, NULL, NULL);
  EXPECT(w, out != NULL && strstr(out, "others\n") != NULL, "shared dir, /platform, /tmp and HOME writable: %s",
         out);
  EXPECT(w, (access(target, F_OK) == 0) == expect_written, "host write %s: %s",
         expect_written ? "expected (control)" : "must fail", out);
  unlink(target);
  free(out);
}

static void host_written(struct world *w)
{
  host_write(w, true);
}

static void host_not_written(struct world *w)
{
  host_write(w, false);
}

Test(hardening, platform_host_fs_readonly, .timeout = 120)
{
  struct sbx_options ro = { .platform_host_readonly = true };

  expect_mode(MODE_ROOT, host_written, NULL, false);
  expect_mode(MODE_ROOT, host_not_written, &ro, false);
}

/* /proc that is not namespaced: the kernel's key lists name other users' and
 * other sandboxes' keys. Leaked: user code reads a non-empty /proc/key-users
 * (it always lists root's keys on a host), or writes /proc/sys. */
static void proc_unmasked(struct world *w)
{
  char *out = scenario_exec(w, SBX_CTX_USER,
                            "echo begin; cat /proc/key-users /proc/keys /proc/timer_list 2>/dev/null | head -c 200; "
                            "echo; echo end",
                            NULL, NULL);

  EXPECT(w, out != NULL && strncmp(out, "begin\n", 6) == 0 && strstr(out, "end\n") != NULL, "the reader ran: %s",
         out != NULL ? out : "(no output)");
  if (out != NULL && strlen(out) > strlen("begin\n\nend\n"))
    scenario_report(w, "LEAK user code reads the kernel's key and timer lists: %.80s", out + 6);
  free(out);
}

Test(hardening, proc_masked, .timeout = 120)
{
  /* Control: fallback has no /proc of its own to mask. */
  expect_mode(MODE_FALLBACK_ROOT, proc_unmasked, NULL, true);
  expect_mode(MODE_ROOT, proc_unmasked, NULL, false);
  expect_mode(MODE_USERNS, proc_unmasked, NULL, false);
}

/* Limits: a fork bomb stops at the process limit, and the sandbox still
 * works after it. Leaked: every process started. */
static void fork_bomb(struct world *w)
{
  /* In a subshell: a shell that cannot fork exits, and says so on stderr. */
  char *out = scenario_exec(w, SBX_CTX_USER,
                            "(for i in $(seq 60); do sleep 1 & done; wait) 2>\"$HOME/e\"; n=0; "
                            "while read -r l; do n=$((n+1)); done <\"$HOME/e\"; echo failed=$n",
                            NULL, NULL);

  EXPECT(w, out != NULL && strncmp(out, "failed=", 7) == 0,
         "the bomb ran: %s", out != NULL ? out : "(none)");
  if (out != NULL && strcmp(out, "failed=0\n") == 0)
    scenario_report(w, "LEAK user code started 60 processes");
  free(out);
  /* The exec's leftovers are ended when it ends: the next command has room. */
  out = scenario_exec(w, SBX_CTX_USER, "echo alive", NULL, NULL);
  EXPECT(w, out != NULL && strcmp(out, "alive\n") == 0, "the sandbox works after the limit: %s",
         out != NULL ? out : "(none)");
  free(out);
}

Test(hardening, process_limit, .timeout = 120)
{
  struct sbx_options none = { .limits = { .pids = -1 } }, limited = { .limits = { .pids = 30 } };

  expect_mode(MODE_ROOT, fork_bomb, &none, true); /* control: no limit, no failure */
  expect_mode(MODE_ROOT, fork_bomb, &limited, false);
  expect_mode(MODE_USERNS, fork_bomb, &limited, false);
  expect_mode(MODE_FALLBACK_ROOT, fork_bomb, &limited, false);
}

/* Memory: 300 MiB under a 64 MiB limit, allocated (anonymous memory: the
 * result must say oomKilled), or written to user code's /tmp (a tmpfs, sized
 * within the limit: the write fails). Leaked: it completed. */
static void memory_hog(struct world *w, const char *command, bool oom_expected)
{
  struct sbx_exec_request req = { .context = SBX_CTX_USER, .command = command };
  struct sbx_exec_result res = { 0 };
  struct sbx_error err = { 0 };
  char *out;

  if (scenario_exec_full(w, &req, &res, &err) < 0)
    scenario_report(w, "ERROR exec: %s %s", err.code, err.message);
  else if (res.stdout_buf != NULL && strstr(res.stdout_buf, "done") != NULL)
    scenario_report(w, "LEAK user code got 300 MiB past a 64 MiB limit: %s", command);
  else if (oom_expected)
    EXPECT(w, res.oom_killed, "the kill is reported as oomKilled (exit %d)", res.exit_code);
  sbx_exec_result_clear(&res);
  out = scenario_exec(w, SBX_CTX_USER, "rm -f /tmp/big; echo alive", NULL, NULL);
  EXPECT(w, out != NULL && strcmp(out, "alive\n") == 0, "the sandbox works after the OOM kill: %s",
         out != NULL ? out : "(none)");
  free(out);
}

static void memory_anonymous(struct world *w)
{
  memory_hog(w, "python3 -c 'b = bytearray(300 << 20); b[::4096] = b\"x\" * len(b[::4096])' && echo done", true);
}

static void memory_tmpfs(struct world *w)
{
  memory_hog(w, "dd if=/dev/zero of=/tmp/big bs=1M count=300 2>/dev/null && echo done", false);
}

Test(hardening, memory_limit, .timeout = 120)
{
  struct sbx_options none = { .limits = { .memory = -1 } }, limited = { .limits = { .memory = 64LL << 20 } };

  expect_mode(MODE_ROOT, memory_anonymous, &none, true); /* control */
  expect_mode(MODE_ROOT, memory_anonymous, &limited, false);
  expect_mode(MODE_FALLBACK_ROOT, memory_anonymous, &limited, false);
  expect_mode(MODE_ROOT, memory_tmpfs, &none, true); /* control */
  expect_mode(MODE_ROOT, memory_tmpfs, &limited, false);
}

/* Without a writable cgroup (userns as uid 65534 here), memory is not
 * limited: every result says so. */
static void limits_warning(struct world *w)
{
  struct sbx_exec_request req = { .context = SBX_CTX_USER, .command = "true" };
  struct sbx_exec_result res = { 0 };
  struct sbx_error err = { 0 };
  bool warned = false;

  if (scenario_exec_full(w, &req, &res, &err) < 0)
    scenario_report(w, "ERROR exec: %s %s", err.code, err.message);
  for (char **s = res.warnings; s != NULL && *s != NULL; s++)
    warned |= strstr(*s, "memory and CPU are not") != NULL;
  if (strcmp(sbx_sandbox_limits_mechanism(w->sb), "rlimit") == 0)
    EXPECT(w, warned, "a sandbox limited by RLIMIT_NPROC alone says so in its warnings");
  else
    EXPECT(w, !warned, "a cgroup-limited sandbox has no limits warning");
  sbx_exec_result_clear(&res);
}

Test(hardening, limits_warning, .timeout = 60)
{
  expect_mode(MODE_USERNS, limits_warning, NULL, false);
  expect_mode(MODE_ROOT, limits_warning, NULL, false);
}

/* One host uid per sandbox: a second sandbox beside the world's must get
 * another uid for its user code. Leaked: both share one. */
static void two_sandboxes(struct world *w, const struct sbx_options *second_opts)
{
  struct sbx_options o = *second_opts;
  struct sbx_error err = { 0 };
  struct sbx_sandbox *other;
  bool shared = false;
  uid_t mine = sbx_sandbox_user_host_uid(w->sb, &shared), theirs;
  char *out;

  o.init_path = getenv("SPLITBOX_INIT");
  other = sbx_sandbox_create(&o, &err);
  if (other == NULL)
    {
      scenario_report(w, "ERROR create a second sandbox: %s %s", err.code, err.message);
      return;
    }
  theirs = sbx_sandbox_user_host_uid(other, NULL);
  /* What the kernel says, not what the library believes: the uid map of user code. */
  out = scenario_exec(w, SBX_CTX_USER, "cat /proc/self/uid_map", NULL, NULL);
  EXPECT(w, out != NULL, "read the uid map");
  if (out != NULL && sbx_sandbox_isolation(w->sb) != SBX_ISO_FALLBACK)
    {
      unsigned long inside = 0, outside = 0, count = 0;
      /* Userns mode without subordinate ids: the caller's own uid, whatever the library says. */
      uid_t expected = sbx_sandbox_isolation(w->sb) == SBX_ISO_USERNS && !sbx_sandbox_user_subids(w->sb, NULL)
                         ? getuid()
                         : mine;
      EXPECT(w, sscanf(out, "%lu %lu %lu", &inside, &outside, &count) == 3 && outside == expected,
             "the world's user code is host uid %lu: %s", (unsigned long)expected, out);
      if (sbx_sandbox_isolation(w->sb) == SBX_ISO_USERNS && outside == getuid())
        mine = theirs = getuid(); /* both sandboxes are the caller */
    }
  free(out);
  if (mine == theirs)
    scenario_report(w, "LEAK two sandboxes run user code as one host uid (%lu)", (unsigned long)mine);
  sbx_sandbox_destroy(other);
}

static void own_uids(struct world *w)
{
  struct sbx_options o = { 0 };
  two_sandboxes(w, &o);
}

static void caller_uids(struct world *w)
{
  struct sbx_options o = { .no_subids = true };
  two_sandboxes(w, &o);
}

static void fixed_uids(struct world *w)
{
  struct sbx_options o = { .user_host_uid = 100000, .user_host_gid = 100000 };
  two_sandboxes(w, &o);
}

Test(hardening, one_uid_per_sandbox, .timeout = 120)
{
  struct sbx_options fixed = { .user_host_uid = 100000, .user_host_gid = 100000 };

  /* Control: a fixed uid for both, as before the range. */
  expect_mode(MODE_ROOT, fixed_uids, &fixed, true);
  expect_mode(MODE_ROOT, own_uids, NULL, false);
  expect_mode(MODE_FALLBACK_ROOT, own_uids, NULL, false);
  /* Userns: the control is the caller's own uid for both. */
  expect_mode(MODE_USERNS_SUBIDS, caller_uids, &(struct sbx_options){ .no_subids = true }, true);
  expect_mode(MODE_USERNS_SUBIDS, own_uids, NULL, false);
}

/* A range that holds an account's uid is refused. */
static void overlapping_range(struct world *w)
{
  struct sbx_options o = { .uid_range_start = 1, .uid_range_count = 65536 };
  struct sbx_error err = { 0 };
  struct sbx_sandbox *sb;

  o.init_path = getenv("SPLITBOX_INIT");
  sb = sbx_sandbox_create(&o, &err);
  EXPECT(w, sb == NULL && strcmp(err.code, SBX_E_VALIDATION) == 0 && strstr(err.message, "account") != NULL,
         "a range over accounts is refused: %s %s", err.code, err.message);
  sbx_sandbox_destroy(sb);
}

Test(hardening, uid_range_over_accounts_refused, .timeout = 60)
{
  expect_mode(MODE_ROOT, overlapping_range, NULL, false);
}

/* A cgroup an executor left when it was killed (a daemon's SIGKILL) is swept
 * by the next sandbox: empty, named for a pid that is gone. Leaked: it stays. */
static void leftover_cgroup(struct world *w)
{
  char dir[128];
  struct sbx_options o = { 0 };
  struct sbx_error err = { 0 };
  struct sbx_sandbox *sb;
  int status;
  pid_t dead = fork();

  if (dead == 0)
    _exit(0);
  waitpid(dead, &status, 0);
  snprintf(dir, sizeof dir, "/sys/fs/cgroup/pids/splitbox-%d-1", (int)dead);
  if (mkdir(dir, 0755) != 0)
    {
      scenario_report(w, "ERROR make a leftover cgroup %s: %s", dir, strerror(errno));
      return;
    }
  o.init_path = getenv("SPLITBOX_INIT");
  sb = sbx_sandbox_create(&o, &err);
  EXPECT(w, sb != NULL, "create a sandbox: %s %s", err.code, err.message);
  sbx_sandbox_destroy(sb);
  if (access(dir, F_OK) == 0)
    scenario_report(w, "LEAK the leftover cgroup %s is still there", dir);
  rmdir(dir);
}

Test(hardening, leftover_cgroups_swept, .timeout = 60)
{
  struct stat st;

  if (stat("/sys/fs/cgroup/pids", &st) != 0)
    cr_skip_test("no cgroup v1 pids hierarchy here: the sweep is tested where sandboxes use it");
  expect_mode(MODE_ROOT, leftover_cgroup, NULL, false);
}

/* Userns mode: the platform leaves a 0600 file in the shared dir. Leaked:
 * user code read it, chmod-ed it or hard-linked it. Both sides must still
 * share what is meant to be shared: files of 0644 either way. */
static void platform_private_file(struct world *w)
{
  const char *app = sbx_sandbox_shared_path(w->sb, SBX_CTX_USER);
  char cmd[1024], *out;

  snprintf(cmd, sizeof cmd,
           "cd %s && (umask 077; printf '%%s' %s > secret) && echo public > public && cat secret && echo", app,
           w->canary);
  out = scenario_exec(w, SBX_CTX_PLATFORM, cmd, NULL, NULL);
  /* Alive and real: the platform itself reads its file back. */
  EXPECT(w, out != NULL && strstr(out, w->canary) != NULL,
         "the platform writes its 0600 file: %s", out != NULL ? out : "(none)");
  free(out);
  snprintf(cmd, sizeof cmd,
           "cd %s && cat public && echo shared > from-user && cat secret; echo; chmod 644 secret 2>/dev/null && "
           "echo CHMOD; ln secret link 2>/dev/null && echo LINK; id -G",
           app);
  out = scenario_exec(w, SBX_CTX_USER, cmd, NULL, NULL);
  EXPECT(w, out != NULL && strncmp(out, "public\n", 7) == 0,
         "user code reads the platform's 0644 file: %s", out != NULL ? out : "(none)");
  if (out != NULL && strstr(out, w->canary) != NULL)
    scenario_report(w, "LEAK user code read the platform's 0600 file");
  if (out != NULL && strstr(out, "CHMOD") != NULL)
    scenario_report(w, "LEAK user code chmod-ed the platform's 0600 file");
  if (out != NULL && strstr(out, "LINK") != NULL)
    scenario_report(w, "LEAK user code hard-linked the platform's 0600 file");
  /* The caller's supplementary groups stay outside: user code is in its own group alone. */
  if (sbx_sandbox_user_subids(w->sb, NULL))
    EXPECT(w, out != NULL && strstr(out, "\n1000\n") != NULL,
         "user code's groups are its own alone: %s", out != NULL ? out : "(none)");
  free(out);
  snprintf(cmd, sizeof cmd, "cat %s/from-user", sbx_sandbox_shared_path(w->sb, SBX_CTX_PLATFORM));
  out = scenario_exec(w, SBX_CTX_PLATFORM, cmd, NULL, NULL);
  EXPECT(w, out != NULL && strcmp(out, "shared\n") == 0,
         "the platform reads what user code wrote: %s", out != NULL ? out : "(none)");
  free(out);
}

Test(hardening, shared_dir_ownership, .timeout = 180)
{
  static const struct sbx_options no_subids = { .no_subids = true };

  /* Control: the same caller with the mapping off is one uid with user code. */
  expect_mode(MODE_USERNS_SUBIDS, platform_private_file, &no_subids, true);
  expect_mode(MODE_USERNS_SUBIDS, platform_private_file, NULL, false);
  expect_mode(MODE_ROOT, platform_private_file, NULL, false);
}

/* Userns mode without subordinate ids says so on every result, with why;
 * with them, it does not. */
static void subids_warning(struct world *w, bool expected)
{
  struct sbx_exec_request req = { .context = SBX_CTX_USER, .command = "true" };
  struct sbx_exec_result res = { 0 };
  struct sbx_error err = { 0 };
  bool warned = false;

  for (int ctx = 0; ctx < 2; ctx++)
    {
      req.context = ctx == 0 ? SBX_CTX_USER : SBX_CTX_PLATFORM;
      warned = false;
      if (scenario_exec_full(w, &req, &res, &err) < 0)
        scenario_report(w, "ERROR exec: %s %s", err.code, err.message);
      for (char **s = res.warnings; s != NULL && *s != NULL; s++)
        warned |= strstr(*s, "without subordinate ids") != NULL;
      EXPECT(w, warned == expected, "the %s result %s the subordinate-id warning", sbx_context_name(req.context),
             expected ? "carries" : "does not carry");
      sbx_exec_result_clear(&res);
    }
}

static void subids_warned(struct world *w)
{
  subids_warning(w, true);
}

static void subids_not_warned(struct world *w)
{
  subids_warning(w, false);
}

Test(hardening, subids_warning, .timeout = 120)
{
  /* uid 65534 has no subordinate ids; splitbox-test has, unless turned off. */
  expect_mode(MODE_USERNS, subids_warned, NULL, false);
  expect_mode(MODE_USERNS_SUBIDS, subids_warned, &(struct sbx_options){ .no_subids = true }, false);
  expect_mode(MODE_USERNS_SUBIDS, subids_not_warned, NULL, false);
}

/* What user code made as its subordinate id, the caller may not remove by
 * itself (a directory of 0500, say): removing the sandbox must remove it all. */
static void user_tree_removed(struct world *w)
{
  struct sbx_options o = { .init_path = getenv("SPLITBOX_INIT") };
  struct sbx_error err = { 0 };
  struct sbx_exec_request req = { .context = SBX_CTX_USER,
                                  .command = "mkdir -p /app/d/e && touch /app/d/e/f && chmod 500 /app/d/e /app/d "
                                             "&& ls /app/d/e" };
  struct sbx_exec_result res = { 0 };
  struct sbx_sandbox *sb = sbx_sandbox_create(&o, &err);
  char state[512], probe[600];

  if (sb == NULL)
    {
      scenario_report(w, "ERROR create a second sandbox: %s %s", err.code, err.message);
      return;
    }
  snprintf(state, sizeof state, "%s", sbx_sandbox_state_dir(sb));
  if (sbx_exec(sb, &req, &res, &err) < 0)
    scenario_report(w, "ERROR exec: %s %s", err.code, err.message);
  /* Real: the tree is there, and the caller cannot remove it alone. */
  snprintf(probe, sizeof probe, "%s/shared/d", state);
  EXPECT(w, res.stdout_buf != NULL && strcmp(res.stdout_buf, "f\n") == 0 && access(probe, F_OK) == 0,
         "user code made its tree: %s", res.stdout_buf != NULL ? res.stdout_buf : "(none)");
  snprintf(probe, sizeof probe, "%s/shared/d/e/f", state);
  if (sbx_sandbox_user_subids(sb, NULL))
    EXPECT(w, unlink(probe) != 0 && errno == EACCES, "the caller cannot remove user code's file alone");
  sbx_exec_result_clear(&res);
  sbx_sandbox_destroy(sb);
  if (access(state, F_OK) == 0)
    scenario_report(w, "LEAK the removed sandbox left %s behind", state);
}

Test(hardening, subids_tree_removed, .timeout = 60)
{
  expect_mode(MODE_USERNS_SUBIDS, user_tree_removed, NULL, false);
}

/* A bounded shared dir (limits.shared_max): user code writes 32 MiB into a
 * shared dir of 8. Leaked: the write completed. The platform sees the same
 * filesystem, the host directory holds nothing of it, and the sandbox and a
 * second one keep working after it is full. */
static void fill_shared(struct world *w)
{
  const char *app = sbx_sandbox_shared_path(w->sb, SBX_CTX_USER);
  struct sbx_options o = { .init_path = getenv("SPLITBOX_INIT"), .limits = { .shared_max = 1 << 20 } };
  struct sbx_error err = { 0 };
  struct sbx_sandbox *other;
  char cmd[512], host[600], *out;
  bool bounded;

  snprintf(cmd, sizeof cmd, "head -c 33554432 /dev/zero > %s/big && echo done; ls -l %s/big | wc -l", app, app);
  out = scenario_exec(w, SBX_CTX_USER, cmd, NULL, NULL);
  EXPECT(w, out != NULL && strstr(out, "1\n") != NULL,
         "the write ran: %s", out != NULL ? out : "(none)");
  if (out != NULL && strstr(out, "done") != NULL)
    scenario_report(w, "LEAK user code wrote 32 MiB into the shared dir");
  free(out);
  snprintf(host, sizeof host, "%s/big", sbx_sandbox_shared_host_dir(w->sb));
  bounded = access(host, F_OK) != 0;
  snprintf(cmd, sizeof cmd, "ls %s/big && echo from-platform > %s/p; rm -f %s/big; echo ok > %s/p && echo wrote",
           sbx_sandbox_shared_path(w->sb, SBX_CTX_PLATFORM), sbx_sandbox_shared_path(w->sb, SBX_CTX_PLATFORM),
           sbx_sandbox_shared_path(w->sb, SBX_CTX_PLATFORM), sbx_sandbox_shared_path(w->sb, SBX_CTX_PLATFORM));
  out = scenario_exec(w, SBX_CTX_PLATFORM, cmd, NULL, NULL);
  EXPECT(w, out != NULL && strstr(out, "/big\n") != NULL && strstr(out, "wrote\n") != NULL,
         "the platform sees user code's file, and writes once it is gone: %s", out != NULL ? out : "(none)");
  free(out);
  snprintf(cmd, sizeof cmd, "cat %s/p", app);
  out = scenario_exec(w, SBX_CTX_USER, cmd, NULL, NULL);
  EXPECT(w, out != NULL && strcmp(out, "ok\n") == 0, "user code reads the platform's file: %s",
         out != NULL ? out : "(none)");
  free(out);
  if (bounded)
    {
      char *data = NULL;
      size_t len = 0;
      EXPECT(w, sbx_file_read(w->sb, SBX_SCOPE_SHARED, "p", &data, &len, &err) == 0 && len == 3,
             "the executor's file operations reach the bounded dir: %s", err.message);
      free(data);
      other = sbx_sandbox_create(&o, &err);
      EXPECT(w, other != NULL, "a second bounded sandbox: %s %s", err.code, err.message);
      sbx_sandbox_destroy(other);
    }
}

Test(hardening, shared_dir_bounded, .timeout = 180)
{
  struct sbx_options bounded = { .limits = { .shared_max = 8 << 20 } };

  expect_mode(MODE_ROOT, fill_shared, NULL, true); /* control: the host directory */
  expect_mode(MODE_ROOT, fill_shared, &bounded, false);
  expect_mode(MODE_USERNS, fill_shared, &bounded, false);
  expect_mode(MODE_USERNS_SUBIDS, fill_shared, &bounded, false);
}

/* Fallback has no mount namespace for a tmpfs of its own: refused, typed. */
static void bounded_refused(struct world *w)
{
  struct sbx_options o = { .init_path = getenv("SPLITBOX_INIT"), .limits = { .shared_max = 8 << 20 } };
  struct sbx_error err = { 0 };
  struct sbx_sandbox *sb = sbx_sandbox_create(&o, &err);

  EXPECT(w, sb == NULL && strcmp(err.code, SBX_E_VALIDATION) == 0, "refused: %s %s", err.code, err.message);
  sbx_sandbox_destroy(sb);
}

Test(hardening, shared_dir_bounded_fallback_refused, .timeout = 60)
{
  expect_mode(MODE_FALLBACK_ROOT, bounded_refused, NULL, false);
}

/* A crashed executor's sandbox: its user namespace is gone, and user code's
 * tree (a directory of 0500) with it out of the caller's reach. The daemon's
 * start removes such leftovers with sbx_subids_remove_tree. Leaked: the tree
 * is left. The control removes with sbx_remove_tree alone. */
static void leftover_tree(struct world *w, bool with_subids)
{
  char state[] = "/tmp/sbx-leftover-XXXXXX", probe[600];
  struct sbx_options o = { .init_path = getenv("SPLITBOX_INIT") };
  struct sbx_error err = { 0 };
  struct sbx_sandbox *sb;
  char *out = NULL;

  if (mkdtemp(state) == NULL)
    {
      scenario_report(w, "ERROR mkdtemp: %s", strerror(errno));
      return;
    }
  o.state_dir = state; /* not removed with the sandbox: as after a crash */
  if ((sb = sbx_sandbox_create(&o, &err)) == NULL)
    {
      scenario_report(w, "ERROR create a second sandbox: %s %s", err.code, err.message);
      return;
    }
  {
    struct sbx_exec_request req = { .context = SBX_CTX_USER,
                                    .command = "mkdir -p /app/d/e && chmod 500 /app/d && echo made" };
    struct sbx_exec_result res = { 0 };
    if (sbx_exec(sb, &req, &res, &err) == 0)
      out = res.stdout_buf, res.stdout_buf = NULL;
    sbx_exec_result_clear(&res);
  }
  EXPECT(w, out != NULL && strcmp(out, "made\n") == 0 && sbx_sandbox_user_subids(sb, NULL),
         "user code made its tree as a subordinate id: %s", out != NULL ? out : "(none)");
  free(out);
  sbx_sandbox_destroy(sb);
  snprintf(probe, sizeof probe, "%s/shared/d", state);
  EXPECT(w, access(probe, F_OK) == 0, "the tree outlived its sandbox");
  if (with_subids)
    sbx_subids_remove_tree(state);
  else
    sbx_remove_tree(state);
  if (access(state, F_OK) == 0)
    scenario_report(w, "LEAK the leftover %s stays", state);
  sbx_subids_remove_tree(state); /* the control's leftover: the test's to remove */
}

static void leftover_plain(struct world *w)
{
  leftover_tree(w, false);
}

static void leftover_subids(struct world *w)
{
  leftover_tree(w, true);
}

Test(hardening, subids_leftovers_removed, .timeout = 60)
{
  expect_mode(MODE_USERNS_SUBIDS, leftover_plain, NULL, true); /* control */
  expect_mode(MODE_USERNS_SUBIDS, leftover_subids, NULL, false);
}
