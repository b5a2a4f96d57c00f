/* The two adapters, through the backend interface the audit uses: the
 * command adapter on `none` and on bubblewrap-hardened (env as arguments),
 * and the http adapter on splitboxd through its context routes (`splitbox`)
 * and through its compatibility routes (`splitbox-compat`, a server with no
 * contexts, as the SDK's own container server is), and on a server that runs
 * every execute in one persistent bash per session, as Cloudflare's does
 * (`session-shell`, harness/tests/session_server.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "must_work.h"

static struct sbx_backend *open_backend(const char *name)
{
  struct sbx_backend *b = NULL;
  struct sbx_error err = { 0 };
  char path[4096];

  /* Test-only specs live beside the shipped ones. */
  if (strcmp(name, "splitbox-compat") == 0 || strcmp(name, "session-shell") == 0)
    {
      snprintf(path, sizeof path, "%s/fixtures/backends-test/%s.json", getenv("SBX_SOURCE_ROOT"), name);
      name = path;
    }
  cr_assert_eq(sbx_backend_load(name, &b, &err), 0, "%s: %s", err.code, err.message);
  if (!sbx_backend_info(b)->available)
    {
      const char *why = sbx_backend_info(b)->reason;
      bool must = sbx_must_work();
      sbx_backend_close(b);
      if (must)
        cr_assert_fail("%s is unavailable and SPLITBOX_MUST_WORK=1: %s", name, why);
      cr_skip_test("%s is unavailable here: %s", name, why);
    }
  cr_assert_eq(sbx_backend_open(b, &err), 0, "%s: %s: %s", name, err.code, err.message);
  return b;
}

static void exec_ok(struct sbx_backend *b, enum sbx_bctx ctx, const struct sbx_bexec *req, struct sbx_bresult *res)
{
  struct sbx_error err = { 0 };
  cr_assert_eq(sbx_backend_exec(b, ctx, req, res, &err), 0, "%s: %s", err.code, err.message);
}

static void contract(const char *name)
{
  struct sbx_backend *b = open_backend(name);
  const char *env[] = { "SECRET=s p$ace 'q'", NULL };
  const char *su = sbx_backend_shared_path(b, SBX_BCTX_USER), *sp = sbx_backend_shared_path(b, SBX_BCTX_PLATFORM);
  struct sbx_bexec req = { .command = "printf '%s|' \"$SECRET\" \"$(pwd)\"; echo err >&2; exit 3", .env = env,
                           .cwd = sp };
  struct sbx_bresult res;
  struct sbx_error err = { 0 };
  char expect[4200], *data = NULL, *handle = NULL;
  size_t len = 0;

  /* env and cwd of one call, exit code, both streams */
  exec_ok(b, SBX_BCTX_PLATFORM, &req, &res);
  snprintf(expect, sizeof expect, "s p$ace 'q'|%s|", sp);
  cr_expect_str_eq(res.out, expect);
  cr_expect_str_eq(res.err, "err\n");
  cr_expect_eq(res.exit_code, 3);
  sbx_bresult_free(&res);
  /* the env of one call is that call's only */
  req.command = "printf '%s' \"${SECRET:-unset}\"";
  req.env = NULL;
  req.cwd = su;
  exec_ok(b, SBX_BCTX_USER, &req, &res);
  cr_expect_str_eq(res.out, "unset");
  sbx_bresult_free(&res);
  /* a command with quotes, spaces and $ arrives as written */
  req.command = "echo \"a  b\" 'c $d' \\$e";
  exec_ok(b, SBX_BCTX_USER, &req, &res);
  cr_expect_str_eq(res.out, "a  b c $d $e\n");
  sbx_bresult_free(&res);
  /* a timeout */
  req.command = "sleep 10";
  req.timeout_ms = 300;
  exec_ok(b, SBX_BCTX_USER, &req, &res);
  cr_expect(res.timed_out, "%s: the timeout did not fire (%.0f ms)", name, res.ms);
  sbx_bresult_free(&res);
  req.timeout_ms = 0;
  /* shared files, both ways */
  cr_assert_eq(sbx_backend_write(b, "from-harness.txt", "hello\0bytes", 11, &err), 0, "%s", err.message);
  snprintf(expect, sizeof expect, "cat '%s/from-harness.txt' | od -An -c | tr -s ' '; echo made > '%s/from-user'", su, su);
  req.command = expect;
  exec_ok(b, SBX_BCTX_USER, &req, &res);
  cr_expect(strstr(res.out, "h e l l o \\0 b y t e s") != NULL, "%s", res.out);
  sbx_bresult_free(&res);
  cr_assert_eq(sbx_backend_read(b, "from-user", &data, &len, &err), 0, "%s", err.message);
  cr_expect_str_eq(data, "made\n");
  free(data);
  cr_expect_eq(sbx_backend_read(b, "../../etc/passwd", &data, &len, &err), -1);
  cr_expect_str_eq(err.code, "PATH_OUTSIDE_ROOT");
  /* What user code plants where the harness reads: a FIFO must not hang it, a symlink must not lead it. */
  snprintf(expect, sizeof expect, "cd '%s' && mkfifo conf-fifo && ln -s /etc/passwd conf-link", su);
  req.command = expect;
  exec_ok(b, SBX_BCTX_USER, &req, &res);
  sbx_bresult_free(&res);
  cr_expect_eq(sbx_backend_read(b, "conf-fifo", &data, &len, &err), -1, "a FIFO read");
  /* A command backend's files are read on the host, by the harness: no link may lead it out.
   * An http server resolves paths in its own context (the server's concern, checked by conformance). */
  if (strcmp(sbx_backend_info(b)->kind, "command") == 0)
    cr_expect_eq(sbx_backend_read(b, "conf-link", &data, &len, &err), -1, "a symlink followed");
  /* a background process, stopped */
  req.command = "echo started > \"$OUT\"; exec sleep 300";
  req.cwd = NULL;
  snprintf(expect, sizeof expect, "OUT=%s/started", sp);
  {
    const char *start_env[] = { expect, NULL };
    req.env = start_env;
    cr_assert_eq(sbx_backend_start(b, SBX_BCTX_PLATFORM, &req, &handle, &err), 0, "%s", err.message);
  }
  /* The shell creates the file before it writes: wait for the line, not just the file. */
  data = NULL;
  for (int i = 0; i < 200; i++)
    {
      if (sbx_backend_read(b, "started", &data, &len, &err) == 0 && len > 0 && data[len - 1] == '\n')
        break;
      free(data);
      data = NULL;
      usleep(20000);
    }
  cr_assert_not_null(data, "%s: the started process never wrote its line", name);
  cr_expect_str_eq(data, "started\n");
  free(data);
  cr_expect_eq(sbx_backend_stop(b, SBX_BCTX_PLATFORM, handle, 2000, &err), 0, "%s", err.message);
  free(handle);
  sbx_backend_close(b);
}

Test(adapters, command_adapter_on_none, .timeout = 120)
{
  contract("none");
}

Test(adapters, command_adapter_with_env_as_arguments_on_bubblewrap_hardened, .timeout = 120)
{
  contract("bubblewrap-hardened");
}

Test(adapters, http_adapter_on_splitboxd_context_routes, .timeout = 120)
{
  contract("splitbox");
}

Test(adapters, http_adapter_on_splitboxd_compatibility_routes, .timeout = 120)
{
  contract("splitbox-compat");
}

Test(adapters, sandbox_env_reaches_later_execs_of_both_contexts_as_in_todays_sdk, .timeout = 120)
{
  struct sbx_backend *b = open_backend("none");
  const char *env[] = { "TOKEN=sandbox-wide", NULL };
  struct sbx_bexec req = { .command = "printf %s \"$TOKEN\"" };
  struct sbx_bresult res;
  struct sbx_error err = { 0 };

  cr_assert(sbx_backend_set_sandbox_env(b, env, &err) >= 0, "%s", err.message);
  exec_ok(b, SBX_BCTX_USER, &req, &res);
  cr_expect_str_eq(res.out, "sandbox-wide");
  sbx_bresult_free(&res);
  sbx_backend_close(b);
}

Test(adapters, specs_that_are_wrong_say_why, .timeout = 60)
{
  struct sbx_backend *b = NULL;
  struct sbx_error err = { 0 };
  char path[4096];

  cr_expect_eq(sbx_backend_load("no-such-backend", &b, &err), -1);
  cr_expect_str_eq(err.code, "FILE_NOT_FOUND");
  cr_expect_eq(sbx_backend_load("../etc", &b, &err), -1);
  snprintf(path, sizeof path, "%s/fixtures/backends-test/needs-missing-tool.json", getenv("SBX_SOURCE_ROOT"));
  cr_assert_eq(sbx_backend_load(path, &b, &err), 0, "%s", err.message);
  cr_expect(!sbx_backend_info(b)->available);
  cr_expect(strstr(sbx_backend_info(b)->reason, "sbx-no-such-tool") != NULL, "%s", sbx_backend_info(b)->reason);
  cr_expect_eq(sbx_backend_open(b, &err), -1, "an unavailable backend refuses to open");
  sbx_backend_close(b);
}

Test(adapters, http_adapter_on_a_session_shell_server, .timeout = 120)
{
  contract("session-shell");
}

/* The spec's "sessionId" in a copy of session-shell.json: none, fixed or call. */
static struct sbx_backend *open_session_shell(const char *mode, char *path, size_t len)
{
  char src[4096], *text = NULL, *at;
  size_t cap = 0;
  FILE *in, *out;
  struct sbx_backend *b = NULL;
  struct sbx_error err = { 0 };

  snprintf(src, sizeof src, "%s/fixtures/backends-test/session-shell.json", getenv("SBX_SOURCE_ROOT"));
  cr_assert_not_null(in = fopen(src, "re"), "%s: %s", src, strerror(errno));
  cr_assert_gt(getdelim(&text, &cap, '\0', in), 0);
  fclose(in);
  cr_assert_not_null(at = strstr(text, "\"sessionId\": \"fixed\""), "the fixture names its sessionId");
  snprintf(path, len, "/tmp/sbx-session-spec-%d-%s.json", (int)getpid(), mode);
  cr_assert_not_null(out = fopen(path, "we"));
  fprintf(out, "%.*s\"sessionId\": \"%s\"%s", (int)(at - text), text, mode, at + strlen("\"sessionId\": \"fixed\""));
  fclose(out);
  free(text);
  cr_assert_eq(sbx_backend_load(path, &b, &err), 0, "%s: %s", err.code, err.message);
  cr_assert(sbx_backend_info(b)->available, "%s", sbx_backend_info(b)->reason);
  cr_assert_eq(sbx_backend_open(b, &err), 0, "%s: %s", err.code, err.message);
  return b;
}

static char *run_in(struct sbx_backend *b, const char *command, struct sbx_error *err)
{
  struct sbx_bexec req = { .command = command, .timeout_ms = 10000 };
  struct sbx_bresult res;
  char *out;

  if (sbx_backend_exec(b, SBX_BCTX_USER, &req, &res, err) < 0)
    return NULL;
  out = strdup(res.out);
  sbx_bresult_free(&res);
  return out;
}

Test(adapters, a_session_shell_persists_and_exec_ends_it_per_the_specs_session_id, .timeout = 120)
{
  static const char *const modes[] = { "fixed", "none", "call" };
  char path[256];

  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
    {
      struct sbx_backend *b = open_session_shell(modes[i], path, sizeof path);
      bool per_call = strcmp(modes[i], "call") == 0;
      struct sbx_error err = { 0 };
      char *out;

      unlink(path);
      /* One shell for the calls of a fixed (or the default) session: a variable set in one call is there in the next. */
      out = run_in(b, "SBX_KEPT=kept", &err);
      cr_assert_not_null(out, "%s: %s: %s", modes[i], err.code, err.message);
      free(out);
      out = run_in(b, "printf %s \"${SBX_KEPT:-unset}\"", &err);
      cr_assert_not_null(out, "%s: %s: %s", modes[i], err.code, err.message);
      cr_expect_str_eq(out, per_call ? "unset" : "kept", "sessionId %s", modes[i]);
      free(out);
      /* The server's session is its shell: an exec ends it, as the harness's commands must never do. */
      memset(&err, 0, sizeof err);
      cr_expect_null(out = run_in(b, "exec true", &err), "sessionId %s: an exec in the session's shell went unnoticed", modes[i]);
      free(out);
      cr_expect(strstr(err.message, "HTTP 410") != NULL, "%s: %s", modes[i], err.message);
      memset(&err, 0, sizeof err);
      out = run_in(b, "echo again", &err);
      if (per_call)
        cr_expect_str_eq(out != NULL ? out : err.message, "again\n", "a fresh session per call is not hurt by the last one's exec");
      else
        cr_expect(out == NULL && strstr(err.message, "HTTP 410") != NULL, "sessionId %s: the ended session answered: %s",
                  modes[i], out != NULL ? out : err.message);
      free(out);
      sbx_backend_close(b);
    }
}
