/* exec: the ExecResult contract of the design's API. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conform.h"

TestSuite(exec, .timeout = 120);

Test(exec, stdout_stderr_and_exit_code_are_right_and_success_is_false_on_nonzero_exit, .timeout = 120)
{
  struct sbx_backend *b = conf_open();
  struct sbx_bresult r = conf_exec(b, SBX_BCTX_USER, "echo out; echo err >&2; exit 7", NULL, NULL, 0);

  cr_expect_str_eq(r.out, "out\n");
  cr_expect_str_eq(r.err, "err\n");
  cr_expect_eq(r.exit_code, 7);
  cr_expect(!r.success, "success must be false on a non-zero exit");
  sbx_bresult_free(&r);
  r = conf_exec(b, SBX_BCTX_PLATFORM, "true", NULL, NULL, 0);
  cr_expect(r.success && r.exit_code == 0);
  sbx_bresult_free(&r);
  sbx_backend_close(b);
}

Test(exec, the_env_of_one_call_is_visible_to_that_call_only, .timeout = 120)
{
  struct sbx_backend *b = conf_open();
  const char *env[] = { "CALL_ONLY=v1", NULL };

  for (int c = 0; c < 2; c++)
    {
      enum sbx_bctx ctx = c == 0 ? SBX_BCTX_USER : SBX_BCTX_PLATFORM;
      struct sbx_bresult r = conf_exec(b, ctx, "printf %s \"$CALL_ONLY\"", env, NULL, 0);
      cr_expect_str_eq(r.out, "v1", "%s: the call's env", sbx_bctx_name(ctx));
      sbx_bresult_free(&r);
      r = conf_exec(b, ctx, "printf %s \"${CALL_ONLY:-unset}\"", NULL, NULL, 0);
      cr_expect_str_eq(r.out, "unset", "%s: a later call must not see it", sbx_bctx_name(ctx));
      sbx_bresult_free(&r);
    }
  sbx_backend_close(b);
}

Test(exec, cwd_is_honoured, .timeout = 120)
{
  struct sbx_backend *b = conf_open();

  for (int c = 0; c < 2; c++)
    {
      enum sbx_bctx ctx = c == 0 ? SBX_BCTX_USER : SBX_BCTX_PLATFORM;
      const char *dir = sbx_backend_shared_path(b, ctx);
      char want[4200];
      struct sbx_bresult r = conf_exec(b, ctx, "pwd", NULL, dir, 0);
      snprintf(want, sizeof want, "%s\n", dir);
      cr_expect_str_eq(r.out, want, "%s", sbx_bctx_name(ctx));
      sbx_bresult_free(&r);
    }
  sbx_backend_close(b);
}

Test(exec, a_timeout_kills_the_whole_tree_and_reports_command_timeout, .timeout = 120)
{
  struct sbx_backend *b = conf_open();
  struct sbx_bexec req = { .timeout_ms = 500 };
  struct sbx_bresult r;
  struct sbx_error err = { 0 };
  char marker[24], cmd[160];
  int left = -1;

  conf_marker(marker);
  snprintf(cmd, sizeof cmd, "sleep 30.%s & sleep 31.%s & echo started; wait", marker, marker);
  req.command = cmd;
  cr_assert_eq(sbx_backend_exec(b, SBX_BCTX_USER, &req, &r, &err), 0, "%s: %s", err.code, err.message);
  cr_expect(r.timed_out, "COMMAND_TIMEOUT after %.0f ms", r.ms);
  cr_expect(r.ms < 10000, "the call returned after %.0f ms", r.ms);
  cr_expect_str_eq(r.out, "started\n", "output before the timeout is kept");
  sbx_bresult_free(&r);
  for (int i = 0; i < 100 && (left = conf_host_count(marker)) > 0; i++)
    usleep(20000);
  cr_expect_eq(left, 0, "the timed-out command's children are gone from the host");
  sbx_backend_close(b);
}

Test(exec, large_binary_and_utf8_output_come_back_intact, .timeout = 120)
{
  struct sbx_backend *b = conf_open();
  struct sbx_bresult r;
  bool binary_ok = true;

  r = conf_exec(b, SBX_BCTX_USER, "head -c 3000000 /dev/zero | tr '\\0' a", NULL, NULL, 0);
  cr_expect_eq(r.out_len, 3000000, "3 MB of output, got %zu bytes", r.out_len);
  sbx_bresult_free(&r);
  r = conf_exec(b, SBX_BCTX_PLATFORM, "printf 'h\\303\\251llo \\342\\202\\254 \\360\\237\\230\\200'", NULL, NULL, 0);
  cr_expect_str_eq(r.out, "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80");
  sbx_bresult_free(&r);
  r = conf_exec(b, SBX_BCTX_USER, "printf '\\000\\001\\377\\376x'", NULL, NULL, 0);
  binary_ok = r.out_len == 5 && memcmp(r.out, "\0\1\377\376x", 5) == 0;
  cr_expect(binary_ok, "binary output: got %zu bytes", r.out_len);
  sbx_bresult_free(&r);
  sbx_backend_close(b);
}

#define CONCURRENT 32

struct job
{
  struct sbx_backend *b;
  enum sbx_bctx ctx;
  int n;
  bool ok;
};

static void *run_job(void *arg)
{
  struct job *j = arg;
  char cmd[64], want[64];
  struct sbx_bexec req = { .command = cmd };
  struct sbx_bresult r;
  struct sbx_error err = { 0 };

  snprintf(cmd, sizeof cmd, "echo job-%d", j->n);
  snprintf(want, sizeof want, "job-%d\n", j->n);
  j->ok = sbx_backend_exec(j->b, j->ctx, &req, &r, &err) == 0 && r.out != NULL && strcmp(r.out, want) == 0;
  sbx_bresult_free(&r);
  return NULL;
}

Test(exec, thirty_two_concurrent_execs_per_context, .timeout = 120)
{
  struct sbx_backend *b = conf_open();

  for (int c = 0; c < 2; c++)
    {
      struct job jobs[CONCURRENT];
      pthread_t t[CONCURRENT];
      int good = 0;
      for (int i = 0; i < CONCURRENT; i++)
        {
          jobs[i] = (struct job){ .b = b, .ctx = c == 0 ? SBX_BCTX_USER : SBX_BCTX_PLATFORM, .n = i };
          cr_assert_eq(pthread_create(&t[i], NULL, run_job, &jobs[i]), 0);
        }
      for (int i = 0; i < CONCURRENT; i++)
        {
          pthread_join(t[i], NULL);
          good += jobs[i].ok;
        }
      cr_expect_eq(good, CONCURRENT, "%s: %d of %d concurrent execs came back right", c == 0 ? "user" : "platform",
                   good, CONCURRENT);
    }
  sbx_backend_close(b);
}
