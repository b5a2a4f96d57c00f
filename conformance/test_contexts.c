/* contexts: what one context can see of the other, and what persists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <unistd.h>

#include "conform.h"

TestSuite(contexts, .timeout = 120);

/* The design's first "Testing" case, and its FAQ: a secret given to one
 * platform exec is not visible to a later user exec, and the platform sees
 * its own secret in the call that has it. */
Test(contexts, secrets_given_to_a_platform_exec_are_not_visible_to_a_later_user_exec, .timeout = 120)
{
  struct sbx_backend *b = conf_open();
  char secret[64], entry[80], marker[24], *handle = NULL;
  const char *env[] = { entry, NULL };
  struct sbx_bresult r;

  conf_marker(marker);
  snprintf(secret, sizeof secret, "platform-secret-%s", marker);
  snprintf(entry, sizeof entry, "SECRET=%s", secret);
  r = conf_exec(b, SBX_BCTX_PLATFORM, "printf %s \"$SECRET\"", env, NULL, 0);
  cr_expect_str_eq(r.out, secret, "the platform sees its own secret");
  sbx_bresult_free(&r);
  /* A platform process that still holds it, while user code looks. */
  handle = conf_start_sleeper(b, SBX_BCTX_PLATFORM, marker, env);
  r = conf_exec(b, SBX_BCTX_USER, "printf '[%s]' \"$SECRET\"; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c ^SECRET=platform-secret",
                NULL, NULL, 0);
  cr_expect_str_eq(r.out, "[]0\n", "user code sees the secret, in its env or in a /proc/*/environ: %s", r.out);
  sbx_bresult_free(&r);
  conf_stop(b, SBX_BCTX_PLATFORM, handle);
  sbx_backend_close(b);
}

/* The design's FAQ: "each platform.exec() creates its own isolated
 * namespace". So an `export` in one platform exec does not reach the next.
 * splitbox chose this reading: see the next test and the README. */
Test(contexts, an_export_in_one_platform_exec_does_not_reach_the_next, .timeout = 120)
{
  struct sbx_backend *b = conf_open();
  struct sbx_bresult r = conf_exec(b, SBX_BCTX_PLATFORM, "export SECRET=platform-secret", NULL, NULL, 0);

  sbx_bresult_free(&r);
  r = conf_exec(b, SBX_BCTX_PLATFORM, "printf %s \"${SECRET:-unset}\"", NULL, NULL, 0);
  cr_expect_str_eq(r.out, "unset");
  sbx_bresult_free(&r);
  sbx_backend_close(b);
}

/* The design's first "Testing" example expects the opposite: `export` in one
 * platform exec, then `echo $SECRET` in another prints it. No exec model with
 * a process per call can give that (an export dies with its shell), and the
 * FAQ contradicts it. This test documents the difference. It fails when its
 * control fails (the export, read in its own exec, must print the value: else
 * an empty answer would prove nothing), and where the backend keeps exports it
 * skips, which the reference backend must not (SPLITBOX_MUST_WORK). */
Test(contexts, expected_difference_the_designs_first_test_assumes_export_persists, .timeout = 120)
{
  struct sbx_backend *b = conf_open();
  struct sbx_bresult r = conf_exec(b, SBX_BCTX_PLATFORM, "export SECRET=platform-secret; printf %s \"$SECRET\"", NULL,
                                   NULL, 0);
  bool persisted, ran;

  cr_expect(r.exit_code == 0 && strcmp(r.out, "platform-secret") == 0,
            "control: an export is read back in its own exec (exit %d): %s", r.exit_code, r.out);
  sbx_bresult_free(&r);
  r = conf_exec(b, SBX_BCTX_PLATFORM, "printf '[%s]' \"$SECRET\"", NULL, NULL, 0);
  ran = r.exit_code == 0 && r.out[0] == '[';
  cr_expect(ran, "the later exec ran (exit %d): %s", r.exit_code, r.out);
  persisted = strcmp(r.out, "[platform-secret]") == 0;
  cr_expect(!ran || persisted || strcmp(r.out, "[]") == 0, "the later exec sees another value of SECRET: %s", r.out);
  sbx_bresult_free(&r);
  if (!ran)
    {
      sbx_backend_close(b);
      cr_assert_fail("the later exec did not run: nothing was tested");
    }
  if (persisted)
    conf_skip(b, "this backend keeps a platform shell's exports between execs, as the design's first test assumes");
  sbx_backend_close(b);
  cr_log_info("expected difference: exports do not persist between platform execs (the design's FAQ)");
}

/* The design's second "Testing" case, first half: a platform process is not
 * visible to user code. */
Test(contexts, a_platform_process_is_invisible_to_user_code, .timeout = 120)
{
  struct sbx_backend *b = conf_open();
  char marker[24], check[256], *handle = NULL;
  struct sbx_bresult r;

  conf_marker(marker);
  handle = conf_start_sleeper(b, SBX_BCTX_PLATFORM, marker, NULL);
  snprintf(check, sizeof check, "ps -eo args 2>/dev/null | grep -c '[s]leep 30.%s'; for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done 2>/dev/null | grep -c '[s]leep 30.%s'",
           marker, marker);
  r = conf_exec(b, SBX_BCTX_USER, check, NULL, NULL, 0);
  cr_expect_str_eq(r.out, "0\n0\n", "user code lists the platform's process: %s", r.out);
  sbx_bresult_free(&r);
  conf_stop(b, SBX_BCTX_PLATFORM, handle);
  sbx_backend_close(b);
}

/* And the other direction: a user process is not visible to platform code. */
Test(contexts, a_user_process_is_invisible_to_platform_code, .timeout = 120)
{
  struct sbx_backend *b = conf_open();
  char marker[24], check[160], *handle = NULL;
  struct sbx_bresult r;

  conf_marker(marker);
  handle = conf_start_sleeper(b, SBX_BCTX_USER, marker, NULL);
  snprintf(check, sizeof check, "ps -eo args 2>/dev/null | grep -c '[s]leep 30.%s'", marker);
  r = conf_exec(b, SBX_BCTX_PLATFORM, check, NULL, NULL, 0);
  cr_expect_str_eq(r.out, "0\n", "platform code lists the user's process: %s", r.out);
  sbx_bresult_free(&r);
  conf_stop(b, SBX_BCTX_USER, handle);
  sbx_backend_close(b);
}

/* The design's second case, second half, expects a later platform exec to see
 * the platform process; with a namespace per platform exec (the FAQ) it
 * cannot. Documented as an expected difference. It fails when its control
 * fails (the sleeper runs on the host, and the later exec's ps lists at least
 * itself: a missing ps would count 0 too), and where the process is seen it
 * skips, which the reference backend must not (SPLITBOX_MUST_WORK). */
Test(contexts, expected_difference_a_later_platform_exec_does_not_see_a_platform_process, .timeout = 120)
{
  struct sbx_backend *b = conf_open();
  char marker[24], check[200], *handle = NULL;
  struct sbx_bresult r;
  int found = -1, itself = -1;
  bool seen, alive, listed_itself;

  conf_marker(marker);
  handle = conf_start_sleeper(b, SBX_BCTX_PLATFORM, marker, NULL);
  snprintf(check, sizeof check, "ps -eo args 2>/dev/null | grep -c '[s]leep 30.%s'; ps -eo args | grep -c '^ps -eo args'",
           marker);
  r = conf_exec(b, SBX_BCTX_PLATFORM, check, NULL, NULL, 0);
  alive = conf_host_count(marker) >= 1;
  listed_itself = sscanf(r.out, "%d %d", &found, &itself) == 2 && itself >= 1;
  cr_expect(alive, "control: the platform process runs while the later exec looks");
  cr_expect(listed_itself, "control: the later exec's ps must list itself: %s", r.out);
  seen = found > 0;
  sbx_bresult_free(&r);
  conf_stop(b, SBX_BCTX_PLATFORM, handle);
  if (!alive || !listed_itself)
    {
      sbx_backend_close(b);
      cr_assert_fail("a control failed: nothing was tested");
    }
  if (seen)
    conf_skip(b, "platform execs share a PID namespace here, as the design's second test assumes");
  sbx_backend_close(b);
  cr_log_info("expected difference: each platform exec has its own PID namespace (the design's FAQ)");
}

Test(contexts, a_user_process_started_by_startprocess_is_visible_to_a_later_user_exec, .timeout = 120)
{
  struct sbx_backend *b = conf_open();
  char marker[24], check[128], *handle = NULL;
  struct sbx_bresult r;

  conf_need(b, "persistent-user");
  conf_marker(marker);
  handle = conf_start_sleeper(b, SBX_BCTX_USER, marker, NULL);
  snprintf(check, sizeof check, "ps -eo args | grep -c '[s]leep 30.%s'", marker);
  r = conf_exec(b, SBX_BCTX_USER, check, NULL, NULL, 0);
  cr_expect_str_eq(r.out, "1\n", "the user's own process, in its one sandbox");
  sbx_bresult_free(&r);
  conf_stop(b, SBX_BCTX_USER, handle);
  sbx_backend_close(b);
}
