/* errors: the documented codes. */
#include <stdio.h>
#include <string.h>

#include "conform.h"

TestSuite(errors, .timeout = 120);

static void expect_code(struct sbx_backend *b, const char *section, const char *method, const char *tail,
                        const char *body, long want_status, const char *want_code)
{
  long status;
  cJSON *doc = conf_api(b, section, method, tail, body, &status);

  cr_expect_eq(status, want_status, "%s %s %s: HTTP %ld", method, tail, body ? body : "", status);
  cr_expect_str_eq(conf_str(doc, "code"), want_code, "%s %s %s", method, tail, body ? body : "");
  cr_expect(conf_str(doc, "message")[0] != '\0', "an error says what went wrong");
  cJSON_Delete(doc);
}

Test(errors, a_missing_file_is_file_not_found, .timeout = 120)
{
  struct sbx_backend *b = conf_open();
  conf_need(b, "api");
  expect_code(b, "files", "POST", "read", "{\"path\":\"no-such-file\"}", 404, "FILE_NOT_FOUND");
  expect_code(b, "user", "POST", "read", "{\"path\":\"/tmp/no-such-file\"}", 404, "FILE_NOT_FOUND");
  sbx_backend_close(b);
}

Test(errors, a_missing_process_is_process_not_found, .timeout = 120)
{
  struct sbx_backend *b = conf_open();
  conf_need(b, "api");
  expect_code(b, "user", "GET", "process/proc-99999", NULL, 404, "PROCESS_NOT_FOUND");
  expect_code(b, "platform", "DELETE", "process/proc-99999", "{}", 404, "PROCESS_NOT_FOUND");
  sbx_backend_close(b);
}

Test(errors, validation_failures_are_validation_failed, .timeout = 120)
{
  struct sbx_backend *b = conf_open();
  conf_need(b, "api");
  expect_code(b, "user", "POST", "execute", "{}", 400, "VALIDATION_FAILED");
  expect_code(b, "user", "POST", "execute", "{\"command\":42}", 400, "VALIDATION_FAILED");
  expect_code(b, "user", "POST", "execute", "{\"command\":\"true\",\"timeoutMs\":-5}", 400, "VALIDATION_FAILED");
  expect_code(b, "user", "POST", "execute", "{\"command\":\"true\",\"env\":{\"1BAD\":\"x\"}}", 400, "VALIDATION_FAILED");
  expect_code(b, "files", "POST", "write", "{\"path\":\"x\",\"content\":\"@@\",\"encoding\":\"base64\"}", 400,
              "VALIDATION_FAILED");
  sbx_backend_close(b);
}

Test(errors, a_timeout_is_command_timeout, .timeout = 120)
{
  struct sbx_backend *b = conf_open();
  conf_need(b, "api");
  expect_code(b, "user", "POST", "execute", "{\"command\":\"sleep 5\",\"timeoutMs\":200}", 408, "COMMAND_TIMEOUT");
  sbx_backend_close(b);
}
