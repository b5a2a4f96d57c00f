/* files: per-context files, the shared directory from both sides, and paths
 * that must not resolve. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "conform.h"

TestSuite(files, .timeout = 120);

Test(files, per_context_write_and_read_and_a_platform_file_is_not_readable_through_the_user_context, .timeout = 120)
{
  struct sbx_backend *b = conf_open();
  long status;
  cJSON *doc;
  char body[4300];

  conf_need(b, "api");
  snprintf(body, sizeof body, "{\"path\":\"%s/conf-secret\",\"content\":\"only-platform\"}", sbx_backend_private_path(b));
  cJSON_Delete(conf_api(b, "platform", "POST", "write", body, &status));
  cr_assert_eq(status, 200, "platform write: %ld", status);
  doc = conf_api(b, "platform", "POST", "read", body, &status);
  cr_expect_str_eq(conf_str(doc, "content"), "only-platform");
  cJSON_Delete(doc);
  doc = conf_api(b, "user", "POST", "read", body, &status);
  cr_expect_neq(status, 200, "the user context read the platform's file");
  cr_expect(!conf_json_has(doc, "only-platform"));
  cJSON_Delete(doc);
  cJSON_Delete(conf_api(b, "user", "POST", "write", "{\"path\":\"/tmp/conf-user\",\"content\":\"mine\"}", &status));
  cr_expect_eq(status, 200, "user write: %ld", status);
  doc = conf_api(b, "user", "POST", "read", "{\"path\":\"/tmp/conf-user\"}", &status);
  cr_expect_str_eq(conf_str(doc, "content"), "mine");
  cJSON_Delete(doc);
  sbx_backend_close(b);
}

Test(files, shared_write_read_exists_and_list_from_both_sides, .timeout = 120)
{
  struct sbx_backend *b = conf_open();
  struct sbx_error err = { 0 };
  char cmd[4300], *data = NULL;
  size_t len;
  struct sbx_bresult r;

  cr_assert_eq(sbx_backend_write(b, "conf-a.txt", "from-harness", 12, &err), 0, "%s", err.message);
  for (int c = 0; c < 2; c++)
    {
      enum sbx_bctx ctx = c == 0 ? SBX_BCTX_USER : SBX_BCTX_PLATFORM;
      const char *dir = sbx_backend_shared_path(b, ctx);
      snprintf(cmd, sizeof cmd, "cat '%s/conf-a.txt'; echo; echo %s > '%s/conf-%s.txt'; ls '%s'", dir, sbx_bctx_name(ctx),
               dir, sbx_bctx_name(ctx), dir);
      r = conf_exec(b, ctx, cmd, NULL, NULL, 0);
      cr_expect(strncmp(r.out, "from-harness\n", 13) == 0, "%s reads the shared file: %s", sbx_bctx_name(ctx), r.out);
      cr_expect(strstr(r.out, "conf-a.txt") != NULL, "%s lists it", sbx_bctx_name(ctx));
      sbx_bresult_free(&r);
    }
  cr_assert_eq(sbx_backend_read(b, "conf-user.txt", &data, &len, &err), 0, "%s", err.message);
  cr_expect_str_eq(data, "user\n");
  free(data);
  cr_assert_eq(sbx_backend_read(b, "conf-platform.txt", &data, &len, &err), 0, "%s", err.message);
  cr_expect_str_eq(data, "platform\n");
  free(data);
  if (sbx_backend_has(b, "api"))
    {
      long status;
      cJSON *doc = conf_api(b, "files", "POST", "exists", "{\"path\":\"conf-a.txt\"}", &status);
      cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(doc, "exists")), "shared exists");
      cJSON_Delete(doc);
      doc = conf_api(b, "files", "POST", "list-files", "{\"path\":\".\"}", &status);
      cr_expect(conf_json_has(doc, "\"name\":\"conf-a.txt\""), "shared list-files");
      cJSON_Delete(doc);
    }
  sbx_backend_close(b);
}

Test(files, path_traversal_and_symlinks_out_of_the_shared_dir_are_refused, .timeout = 120)
{
  struct sbx_backend *b = conf_open();
  struct sbx_error err = { 0 };
  char cmd[4300], *data = NULL;
  size_t len;
  long status;
  cJSON *doc;
  struct sbx_bresult r;

  snprintf(cmd, sizeof cmd, "ln -sf /etc/shadow '%s/conf-link'; ln -sfn /etc '%s/conf-dir'",
           sbx_backend_shared_path(b, SBX_BCTX_USER), sbx_backend_shared_path(b, SBX_BCTX_USER));
  r = conf_exec(b, SBX_BCTX_USER, cmd, NULL, NULL, 0);
  sbx_bresult_free(&r);
  cr_expect_eq(sbx_backend_read(b, "conf-link", &data, &len, &err), -1, "a symlink planted by user code was followed");
  cr_expect_eq(sbx_backend_read(b, "conf-dir/passwd", &data, &len, &err), -1, "a directory symlink was followed");
  cr_expect_eq(sbx_backend_read(b, "../../../etc/passwd", &data, &len, &err), -1);
  if (sbx_backend_has(b, "api"))
    {
      static const char *const bad[] = { "{\"path\":\"../../etc/passwd\"}", "{\"path\":\"/etc/passwd\"}",
                                         "{\"path\":\"conf-link\"}", "{\"path\":\"conf-dir/passwd\"}" };
      for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        {
          doc = conf_api(b, "files", "POST", "read", bad[i], &status);
          cr_expect_neq(status, 200, "shared read of %s answered 200", bad[i]);
          cr_expect(strstr(conf_str(doc, "content"), "root:") == NULL);
          cJSON_Delete(doc);
        }
      doc = conf_api(b, "files", "POST", "read", "{\"path\":\"../../etc/passwd\"}", &status);
      cr_expect_str_eq(conf_str(doc, "code"), "PATH_OUTSIDE_ROOT");
      cJSON_Delete(doc);
    }
  sbx_backend_close(b);
}

Test(files, binary_content_round_trips_as_base64, .timeout = 120)
{
  struct sbx_backend *b = conf_open();
  char bytes[256], *encoded, body[600], *decoded = NULL;
  size_t len = 0;
  long status;
  cJSON *doc;

  conf_need(b, "api");
  for (int i = 0; i < 256; i++)
    bytes[i] = (char)i;
  encoded = sbx_base64_encode(bytes, sizeof bytes);
  snprintf(body, sizeof body, "{\"path\":\"conf-bin\",\"content\":\"%s\",\"encoding\":\"base64\"}", encoded);
  cJSON_Delete(conf_api(b, "files", "POST", "write", body, &status));
  cr_expect_eq(status, 200);
  doc = conf_api(b, "files", "POST", "read", "{\"path\":\"conf-bin\",\"encoding\":\"base64\"}", &status);
  cr_expect_str_eq(conf_str(doc, "encoding"), "base64");
  cr_assert_eq(sbx_base64_decode(conf_str(doc, "content"), &decoded, &len), 0);
  cr_expect_eq(len, 256);
  cr_expect_arr_eq(decoded, bytes, 256);
  free(decoded);
  free(encoded);
  cJSON_Delete(doc);
  sbx_backend_close(b);
}
