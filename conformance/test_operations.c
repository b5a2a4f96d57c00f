/* operations: the design's callback pattern. A platform process calls a
 * registered operation and gets its result; user code cannot reach it. The
 * callback is served by this test itself, on a unix socket. */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "callback.h"
#include "conform.h"

/* The CLI, in the shared dir, where both contexts can run it. */
static void stage_cli(struct sbx_backend *b)
{
  const char *cli = sbx_harness_tool("splitbox");
  FILE *f = cli != NULL ? fopen(cli, "re") : NULL;
  char *data, cmd[4300];
  size_t len;
  int rc;
  struct sbx_error err = { 0 };
  struct sbx_bresult r;

  cr_assert_not_null(f, "the splitbox CLI (set SPLITBOX_CLI)");
  cr_assert(fseek(f, 0, SEEK_END) == 0 && (len = (size_t)ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0);
  cr_assert_not_null(data = malloc(len));
  cr_assert_eq(fread(data, 1, len, f), len);
  fclose(f);
  /* One write: the splitbox specs use the raw-bytes route ("files": {"raw": true}), which takes a
   * sanitizer build's CLI (6 MiB and more) where base64 in JSON stops near 6 MiB. */
  rc = sbx_backend_write(b, "splitbox", data, len, &err);
  free(data);
  cr_assert_eq(rc, 0, "stage the CLI (%zu bytes): %s", len, err.message);
  snprintf(cmd, sizeof cmd, "chmod 755 '%s/splitbox'", sbx_backend_shared_path(b, SBX_BCTX_PLATFORM));
  r = conf_exec(b, SBX_BCTX_PLATFORM, cmd, NULL, NULL, 0);
  cr_assert_eq(r.exit_code, 0, "chmod the CLI: %s", r.err);
  sbx_bresult_free(&r);
}

/* The callback served here, the CLI staged, and "deploy" registered. */
static void setup(struct sbx_backend *b, struct sbx_callback *cb)
{
  char body[256];
  long status;

  conf_need(b, "operations");
  cr_assert_eq(sbx_callback_start(cb, "conf-op"), 0, "serve the callback");
  stage_cli(b);
  snprintf(body, sizeof body, "{\"callbackSocket\":\"%s\"}", cb->path);
  cJSON_Delete(conf_api(b, "operations", "POST", "deploy", body, &status));
  cr_assert_eq(status, 200, "register: %ld", status);
}

Test(operations, a_platform_process_calls_a_registered_operation_and_gets_its_result, .timeout = 120)
{
  struct sbx_backend *b = conf_open();
  struct sbx_callback cb;
  char cmd[4300];
  struct sbx_bresult r;

  setup(b, &cb);
  snprintf(cmd, sizeof cmd, "'%s/splitbox' call deploy --params '{\"env\":\"prod\"}'", sbx_backend_shared_path(b, SBX_BCTX_PLATFORM));
  r = conf_exec(b, SBX_BCTX_PLATFORM, cmd, NULL, NULL, 30000);
  cr_expect_eq(r.exit_code, 0, "splitbox call: %s", r.err);
  cr_expect(strstr(r.out, "\"handled\":true") != NULL && strstr(r.out, "\"params\":{\"env\":\"prod\"}") != NULL,
            "the handler's result: %s", r.out);
  sbx_bresult_free(&r);
  sbx_callback_stop(&cb);
  sbx_backend_close(b);
}

Test(operations, the_user_context_cannot_reach_an_operation_at_all, .timeout = 120)
{
  struct sbx_backend *b = conf_open();
  struct sbx_callback cb;
  char cmd[4300];
  struct sbx_bresult r;

  setup(b, &cb);
  snprintf(cmd, sizeof cmd,
           "'%s/splitbox' call deploy; echo rc=$?; ls /run/splitbox 2>&1 | grep -c ops.sock; echo \"[${SPLITBOX_RUN_DIR}]\"; "
           "grep -c -e ops.sock -e '%s' /proc/net/unix",
           sbx_backend_shared_path(b, SBX_BCTX_USER), cb.path);
  r = conf_exec(b, SBX_BCTX_USER, cmd, NULL, NULL, 30000);
  /* rc=2: the CLI found no operations socket to call on, nor a daemon. */
  cr_expect_str_eq(r.out, "rc=2\n0\n[]\n0\n", "user code reached the operation or its socket: %s %s", r.out, r.err);
  cr_expect(r.err != NULL && strstr(r.err, "no daemon") != NULL, "%s", r.err);
  sbx_bresult_free(&r);
  sbx_callback_stop(&cb);
  sbx_backend_close(b);
}
