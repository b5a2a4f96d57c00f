/* Exec semantics, in both contexts and every mode. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "scenario.h"

static const enum sbx_context both[] = { SBX_CTX_USER, SBX_CTX_PLATFORM };

static void streams_and_exit_codes(struct world *w)
{
  for (size_t i = 0; i < 2; i++)
    {
      struct sbx_exec_request req = { .context = both[i], .command = "echo out; echo err >&2; exit 3" };
      struct sbx_exec_result res;
      struct sbx_error err;
      int r = scenario_exec_full(w, &req, &res, &err);

      EXPECT(w, r == 0, "%s: %s", err.code, err.message);
      EXPECT(w, res.exit_code == 3 && !res.success, "exit %d", res.exit_code);
      EXPECT(w, res.stdout_buf && strcmp(res.stdout_buf, "out\n") == 0, "stdout \"%s\"", res.stdout_buf);
      EXPECT(w, res.stderr_buf && strcmp(res.stderr_buf, "err\n") == 0, "stderr \"%s\"", res.stderr_buf);
      EXPECT(w, res.context == both[i] && res.duration_ms > 0 && res.timestamp[0] != '\0', "metadata");
      EXPECT(w, res.isolation == sbx_sandbox_isolation(w->sb), "isolation on the result");
      sbx_exec_result_clear(&res);

      /* A platform exec's shell is PID 1 of its namespace, which ignores a
       * signal it has no handler for; under an init it is not. */
      req.command = "kill -TERM $$";
      req.init = both[i] == SBX_CTX_PLATFORM;
      r = scenario_exec_full(w, &req, &res, &err);
      EXPECT(w, r == 0 && res.term_signal == SIGTERM && res.exit_code == 128 + SIGTERM, "signal %d exit %d",
             res.term_signal, res.exit_code);
      sbx_exec_result_clear(&res);
    }
}

/* A platform exec runs its command as PID 1 of fresh namespaces (no init:
 * an exec is most of a command's cost): it is alone there, a signal it sends
 * itself is ignored as PID 1 ignores it, what it leaves is killed with it,
 * and "init": true puts splitbox-init above it. Not in fallback mode: no
 * PID namespace there. */
static void platform_exec_is_pid_1(struct world *w)
{
  struct sbx_exec_request req = { .context = SBX_CTX_PLATFORM };
  struct sbx_exec_result res;
  struct sbx_error err;
  char token[40], cmd[300], needle[64];
  int r;

  scenario_random_token(token, sizeof token, "");
  snprintf(needle, sizeof needle, "sleep 50.%.6u", (unsigned)strtoul(token + 26, NULL, 16) % 1000000);
  snprintf(cmd, sizeof cmd, "%s & echo $$; ls /proc | grep -c '^[0-9]'; kill -TERM $$; echo survived", needle);
  req.command = cmd;
  r = scenario_exec_full(w, &req, &res, &err);
  /* Four processes: the shell, the sleep, ls and grep. */
  EXPECT(w, r == 0 && res.exit_code == 0 && res.stdout_buf && strcmp(res.stdout_buf, "1\n4\nsurvived\n") == 0,
         "as PID 1: exit %d, stdout \"%s\" stderr \"%s\" (want 1, 4 processes, survived)", res.exit_code,
         res.stdout_buf, res.stderr_buf);
  EXPECT(w, scenario_host_processes(needle) == 0, "`%s` outlived the exec", needle);
  sbx_exec_result_clear(&res);

  req.init = true;
  req.command = "echo $$; kill -TERM $$; echo survived";
  r = scenario_exec_full(w, &req, &res, &err);
  EXPECT(w, r == 0 && res.term_signal == SIGTERM && res.stdout_buf && strcmp(res.stdout_buf, "1\n") != 0,
         "under an init: signal %d, stdout \"%s\"", res.term_signal, res.stdout_buf);
  sbx_exec_result_clear(&res);

  req.init = false;
  req.command = "true";
  req.cwd = "/nonexistent-dir";
  EXPECT(w, scenario_exec_full(w, &req, &res, &err) < 0 && strcmp(err.code, SBX_E_FILE_NOT_FOUND) == 0,
         "missing cwd: %s %s", err.code, err.message);
  sbx_exec_result_clear(&res);
}

static void env_is_per_call(struct world *w)
{
  for (size_t i = 0; i < 2; i++)
    {
      const char *env[] = { "SECRET=platform-secret", NULL };
      struct sbx_exec_request req = { .context = both[i], .command = "echo \"[$SECRET]\"", .env = env };
      struct sbx_exec_result res;
      struct sbx_error err;

      scenario_exec_full(w, &req, &res, &err);
      EXPECT(w, res.stdout_buf && strcmp(res.stdout_buf, "[platform-secret]\n") == 0, "with env: %s",
             res.stdout_buf);
      sbx_exec_result_clear(&res);
      req.env = NULL;
      /* The design's first test: an export in one exec does not reach the next one. */
      req.command = "export SECRET=exported; echo \"[$SECRET]\"";
      scenario_exec_full(w, &req, &res, &err);
      sbx_exec_result_clear(&res);
      req.command = "echo \"[$SECRET]\"";
      scenario_exec_full(w, &req, &res, &err);
      EXPECT(w, res.stdout_buf && strcmp(res.stdout_buf, "[]\n") == 0, "a later call sees: %s", res.stdout_buf);
      sbx_exec_result_clear(&res);
    }
}

static void cwd_is_honoured(struct world *w)
{
  const char *shared = sbx_sandbox_shared_path(w->sb, SBX_CTX_USER);
  for (size_t i = 0; i < 2; i++)
    {
      struct sbx_exec_request req = { .context = both[i], .command = "pwd", .cwd = shared };
      struct sbx_exec_result res;
      struct sbx_error err;
      char want[600];

      snprintf(want, sizeof want, "%s\n", shared);
      scenario_exec_full(w, &req, &res, &err);
      EXPECT(w, res.stdout_buf && strcmp(res.stdout_buf, want) == 0, "pwd: %s", res.stdout_buf);
      sbx_exec_result_clear(&res);
      req.cwd = "/nonexistent-dir";
      EXPECT(w, scenario_exec_full(w, &req, &res, &err) < 0 && strcmp(err.code, SBX_E_FILE_NOT_FOUND) == 0,
             "missing cwd: %s %s", err.code, err.message);
      sbx_exec_result_clear(&res);
    }
}

static void timeout_kills_the_tree(struct world *w)
{
  for (size_t i = 0; i < 2; i++)
    {
      char token[40], cmd[200];
      struct sbx_exec_request req = { .context = both[i], .command = cmd, .timeout_ms = 300 };
      struct sbx_exec_result res;
      struct sbx_error err;
      int r;

      /* A unique duration names the sleeps, so we can look for them on the host afterwards. */
      scenario_random_token(token, sizeof token, "");
      snprintf(cmd, sizeof cmd, "sleep 30.%.6u & sleep 30.%.6u", (unsigned)strtoul(token + 26, NULL, 16) % 1000000,
               (unsigned)strtoul(token + 26, NULL, 16) % 1000000);
      r = scenario_exec_full(w, &req, &res, &err);
      EXPECT(w, r < 0 && strcmp(err.code, SBX_E_TIMEOUT) == 0, "want COMMAND_TIMEOUT, got %d %s", r, err.code);
      EXPECT(w, res.timed_out && !res.success, "timed_out flag");
      EXPECT(w, res.duration_ms < 2000, "returned after %.0f ms", res.duration_ms);
      snprintf(cmd, sizeof cmd, "sleep 30.%.6u", (unsigned)strtoul(token + 26, NULL, 16) % 1000000);
      EXPECT(w, scenario_host_processes(cmd) == 0, "`%s` left on the host after the timeout", cmd);
      sbx_exec_result_clear(&res);
    }
}

static void background_children_end_with_the_exec(struct world *w)
{
  for (size_t i = 0; i < 2; i++)
    {
      char token[40], cmd[3 * 64 + 128], needle[64]; /* cmd fits three needles */
      struct sbx_exec_request req = { .context = both[i], .command = cmd };
      struct sbx_exec_result res;
      struct sbx_error err;

      scenario_random_token(token, sizeof token, "");
      snprintf(needle, sizeof needle, "sleep 40.%.6u", (unsigned)strtoul(token + 26, NULL, 16) % 1000000);
      /* setsid: even a child that leaves the session is part of the exec's tree,
       * and so is one whose parent stays in the session and dies only when it is ended. */
      snprintf(cmd, sizeof cmd,
               "%s >/dev/null 2>&1 & setsid %s >/dev/null 2>&1 & sh -c 'setsid %s & wait' >/dev/null 2>&1 & echo started",
               needle, needle, needle);
      EXPECT(w, scenario_exec_full(w, &req, &res, &err) == 0, "%s", err.message);
      EXPECT(w, scenario_host_processes(needle) == 0, "`%s` outlived its exec in the %s context", needle,
             sbx_context_name(both[i]));
      sbx_exec_result_clear(&res);
    }
}

/* User code shares its supervisor's uid and may signal it. In the user
 * context that is the context's init, PID 1, which the kernel shields from
 * its own namespace: the command ends, and its tree with it, as usual. */
static void signalled_supervisor_leaves_nothing(struct world *w)
{
  char token[40], cmd[200], needle[64], *out;
  struct sbx_exec_request req = { .context = SBX_CTX_USER, .command = cmd, .timeout_ms = 10000 };
  struct sbx_exec_result res;
  struct sbx_error err;

  scenario_random_token(token, sizeof token, "");
  snprintf(needle, sizeof needle, "sleep 33.%.6u", (unsigned)strtoul(token + 26, NULL, 16) % 1000000);
  snprintf(cmd, sizeof cmd, "%s >/dev/null 2>&1 & kill -9 $PPID; kill -STOP $PPID; echo parent=$PPID", needle);
  EXPECT(w, scenario_exec_full(w, &req, &res, &err) == 0, "%s: %s", err.code, err.message);
  EXPECT(w, res.success && res.stdout_buf != NULL && strcmp(res.stdout_buf, "parent=1\n") == 0,
         "exit %d, stdout %s", res.exit_code, res.stdout_buf ? res.stdout_buf : "(none)");
  sbx_exec_result_clear(&res);
  out = scenario_exec(w, SBX_CTX_USER, "ps -eo args", NULL, NULL);
  EXPECT(w, out != NULL && strstr(out, needle) == NULL, "`%s` outlived its exec:\n%s", needle, out ? out : "");
  free(out);
  EXPECT(w, scenario_host_processes(needle) == 0, "`%s` is still on the host", needle);
}

SCENARIO_TEST(exec_root, signalled_supervisor_leaves_nothing, MODE_ROOT, signalled_supervisor_leaves_nothing, NULL)
SCENARIO_TEST(exec_userns, signalled_supervisor_leaves_nothing, MODE_USERNS, signalled_supervisor_leaves_nothing, NULL)

static void output_is_capped(struct world *w)
{
  struct rusage before, after;

  getrusage(RUSAGE_SELF, &before);
  for (size_t i = 0; i < 2; i++)
    {
      /* 64 MiB through a 1 MiB cap (set in the options below). */
      struct sbx_exec_request req = { .context = both[i],
                                      .command = "head -c 67108864 /dev/zero; echo done >&2" };
      struct sbx_exec_result res;
      struct sbx_error err;

      EXPECT(w, scenario_exec_full(w, &req, &res, &err) == 0, "%s", err.message);
      EXPECT(w, res.stdout_len == 1024 * 1024 && res.stdout_truncated, "kept %zu bytes, truncated=%d",
             res.stdout_len, res.stdout_truncated);
      EXPECT(w, !res.stderr_truncated && res.stderr_buf && strcmp(res.stderr_buf, "done\n") == 0, "stderr intact");
      EXPECT(w, res.exit_code == 0, "exit %d", res.exit_code);
      sbx_exec_result_clear(&res);
    }
  getrusage(RUSAGE_SELF, &after);
  scenario_report(w, "INFO max RSS %ld KiB before, %ld KiB after", before.ru_maxrss, after.ru_maxrss);
  EXPECT(w, after.ru_maxrss - before.ru_maxrss < 16 * 1024, "memory grew by %ld KiB for a 1 MiB cap",
         after.ru_maxrss - before.ru_maxrss);
}

static const struct sbx_options small_cap = { .output_cap = 1024 * 1024 };

static void bad_input_is_refused(struct world *w)
{
  static const struct
  {
    enum sbx_context ctx;
    const char *command, *env0, *cwd;
    long long timeout;
  } cases[] = {
    { SBX_CTX_USER, "true", "1BAD=x", NULL, 0 },
    { SBX_CTX_USER, "true", "A-B=x", NULL, 0 },
    { SBX_CTX_USER, "true", "NOEQUALS", NULL, 0 },
    { SBX_CTX_USER, "true", "=x", NULL, 0 },
    { SBX_CTX_PLATFORM, "true", "PATH=/app:/usr/bin", NULL, 0 },
    { SBX_CTX_USER, "true", NULL, NULL, -1 },
    { SBX_CTX_PLATFORM, "", NULL, NULL, 0 },
    { SBX_CTX_USER, "true", NULL, "relative/dir", 0 },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      const char *env[] = { cases[i].env0, NULL };
      struct sbx_exec_request req = { .context = cases[i].ctx, .command = cases[i].command, .env = env,
                                      .cwd = cases[i].cwd, .timeout_ms = cases[i].timeout };
      struct sbx_exec_result res;
      struct sbx_error err;
      int r = scenario_exec_full(w, &req, &res, &err);

      EXPECT(w, r < 0 && strcmp(err.code, SBX_E_VALIDATION) == 0 && err.message[0] != '\0',
             "case %zu: want VALIDATION_FAILED, got %d %s %s", i, r, err.code, err.message);
      sbx_exec_result_clear(&res);
    }
}

/* A command and env past ARG_MAX (a quarter of the stack limit) are refused
 * before the launch, as VALIDATION_FAILED. The stack limit is lowered in this
 * scenario's own process, so that ARG_MAX is 256 KiB. */
static void past_arg_max_is_refused(struct world *w)
{
  static char values[3][100000];
  struct rlimit old, low = { .rlim_cur = 1024 * 1024 };
  const char *env[] = { values[0], values[1], values[2], NULL };

  for (size_t k = 0; k < 3; k++)
    {
      memset(values[k], 'x', sizeof values[k] - 1);
      memcpy(values[k], k == 0 ? "A=" : k == 1 ? "B=" : "C=", 2);
    }
  EXPECT(w, getrlimit(RLIMIT_STACK, &old) == 0, "getrlimit");
  low.rlim_max = old.rlim_max;
  EXPECT(w, setrlimit(RLIMIT_STACK, &low) == 0 && sysconf(_SC_ARG_MAX) == 256 * 1024, "ARG_MAX %ld",
         sysconf(_SC_ARG_MAX));
  for (size_t i = 0; i < 2; i++)
    {
      struct sbx_exec_request req = { .context = both[i], .command = "echo ran", .env = env };
      struct sbx_exec_result res;
      struct sbx_error err;
      int r;

      /* The control: two of the values (200 KB) fit, and the command runs. */
      env[2] = NULL;
      r = scenario_exec_full(w, &req, &res, &err);
      EXPECT(w, r == 0 && res.stdout_buf && strcmp(res.stdout_buf, "ran\n") == 0, "control, %s: %d %s %s",
             sbx_context_name(both[i]), r, err.code, err.message);
      sbx_exec_result_clear(&res);
      env[2] = values[2];
      r = scenario_exec_full(w, &req, &res, &err);
      EXPECT(w, r < 0 && strcmp(err.code, SBX_E_VALIDATION) == 0 && err.errno_ == E2BIG,
             "%s: 300 KB of env past ARG_MAX: want VALIDATION_FAILED (E2BIG), got %d %s %s",
             sbx_context_name(both[i]), r, err.code, err.message);
      sbx_exec_result_clear(&res);
    }
  setrlimit(RLIMIT_STACK, &old);
}

static void warnings_name_the_mode(struct world *w)
{
  struct sbx_exec_request req = { .context = SBX_CTX_USER, .command = "echo [$LEGACY]" };
  struct sbx_exec_result res;
  struct sbx_error err;
  bool fallback = sbx_sandbox_isolation(w->sb) == SBX_ISO_FALLBACK, saw_fallback = false, saw_legacy = false;

  scenario_exec_full(w, &req, &res, &err);
  for (char **s = res.warnings; s && *s; s++)
    {
      saw_fallback |= strstr(*s, "fallback") != NULL;
      saw_legacy |= strstr(*s, "deprecated") != NULL;
    }
  EXPECT(w, saw_fallback == fallback, "fallback warning present=%d in mode %s", saw_fallback,
         sbx_isolation_name(sbx_sandbox_isolation(w->sb)));
  EXPECT(w, saw_legacy, "legacy mode carries a deprecation warning");
  /* Legacy mode is the old, insecure behaviour: its env reaches both contexts. */
  EXPECT(w, res.stdout_buf && strcmp(res.stdout_buf, "[visible-to-all]\n") == 0, "legacy env: %s", res.stdout_buf);
  sbx_exec_result_clear(&res);
}

/* Interface names of a /proc/net/dev text, space-separated. */
static void interfaces(const char *dev, char *out, size_t len)
{
  size_t o = 0;
  out[0] = '\0';
  for (const char *line = dev; line != NULL && *line != '\0'; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
    {
      const char *colon = strchr(line, ':'), *nl = strchr(line, '\n');
      if (colon == NULL || (nl != NULL && colon > nl))
        continue;
      while (*line == ' ')
        line++;
      o += (size_t)snprintf(out + o, len - o, "%.*s ", (int)(colon - line), line);
    }
}

static char *host_net_dev(void)
{
  static char buf[8192];
  FILE *f = fopen("/proc/net/dev", "r");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f)
    fclose(f);
  buf[n] = '\0';
  return buf;
}

static void check_network(struct world *w, enum sbx_context ctx, bool want_isolated)
{
  char got[1024], host[1024];
  char *out = scenario_exec(w, ctx, "cat /proc/net/dev", NULL, NULL);

  interfaces(out, got, sizeof got);
  interfaces(host_net_dev(), host, sizeof host);
  if (want_isolated)
    EXPECT(w, strcmp(got, "lo ") == 0, "%s network should hold only lo, has: %s", sbx_context_name(ctx), got);
  else
    EXPECT(w, strcmp(got, host) == 0, "%s network should be the host's (%s), has: %s", sbx_context_name(ctx), host,
           got);
  free(out);
}

static void default_networks(struct world *w)
{
  check_network(w, SBX_CTX_USER, true);
  check_network(w, SBX_CTX_PLATFORM, false);
}

static void swapped_networks(struct world *w)
{
  check_network(w, SBX_CTX_USER, false);
  check_network(w, SBX_CTX_PLATFORM, true);
}

static const struct sbx_options swapped = { .user_network = SBX_NET_HOST, .platform_network = SBX_NET_ISOLATED };

SCENARIO_TEST(exec_root, user_network_isolated_platform_host_by_default, MODE_ROOT, default_networks, NULL)
SCENARIO_TEST(exec_userns, user_network_isolated_platform_host_by_default, MODE_USERNS, default_networks, NULL)
SCENARIO_TEST(exec_root, network_options_are_honoured, MODE_ROOT, swapped_networks, &swapped)
SCENARIO_TEST(exec_userns, network_options_are_honoured, MODE_USERNS, swapped_networks, &swapped)

static const char *const legacy_env[] = { "LEGACY=visible-to-all", NULL };
static const struct sbx_options legacy = { .legacy = true, .legacy_env = legacy_env };

#define MODES(name, fn, opts)                                                                                 \
  SCENARIO_TEST(exec_root, name, MODE_ROOT, fn, opts)                                                         \
  SCENARIO_TEST(exec_userns, name, MODE_USERNS, fn, opts)                                                     \
  SCENARIO_TEST(exec_fallback, name, MODE_FALLBACK_ROOT, fn, opts)

MODES(streams_and_exit_codes, streams_and_exit_codes, NULL)
MODES(env_is_per_call, env_is_per_call, NULL)
MODES(cwd_is_honoured, cwd_is_honoured, NULL)
MODES(timeout_kills_the_tree, timeout_kills_the_tree, NULL)
MODES(background_children_end_with_the_exec, background_children_end_with_the_exec, NULL)
MODES(output_is_capped, output_is_capped, &small_cap)
MODES(bad_input_is_refused, bad_input_is_refused, NULL)
MODES(past_arg_max_is_refused, past_arg_max_is_refused, NULL)
MODES(legacy_mode_warns, warnings_name_the_mode, &legacy)
SCENARIO_TEST(exec_root, platform_exec_is_pid_1, MODE_ROOT, platform_exec_is_pid_1, NULL)
SCENARIO_TEST(exec_userns, platform_exec_is_pid_1, MODE_USERNS, platform_exec_is_pid_1, NULL)

static void nothing(struct world *w)
{
  scenario_report(w, "FAIL the sandbox was created although isolation is required and unavailable");
}

Test(exec_fallback, require_isolation_fails_closed, .timeout = 60)
{
  static const struct sbx_options require = { .require_isolation = true };
  char *text = scenario_run(MODE_FALLBACK_NOBODY, nothing, &require);

  cr_expect(strstr(text, "INFO create refused: " SBX_E_NO_NAMESPACES) != NULL, "%s", text);
  cr_expect(!scenario_has(text, "FAIL") && !scenario_has(text, "ERROR"), "%s", text);
  free(text);
}
