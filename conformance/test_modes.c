/* modes: the legacy mode warns on every result, and require_isolation fails
 * closed. Both are options of the reference executor's sandboxes; other
 * backends have neither, and skip. */
#include <stdio.h>
#include <string.h>

#include "conform.h"

TestSuite(modes, .timeout = 120);

static void need_reference(struct sbx_backend *b)
{
  conf_need(b, "api");
  if (strncmp(sbx_backend_info(b)->name, "splitbox", 8) != 0)
    conf_skip(b, "legacy mode and require_isolation are options of splitbox sandboxes");
}

Test(modes, the_legacy_mode_warns_on_every_result, .timeout = 120)
{
  struct sbx_backend *b = conf_open();
  long status;
  cJSON *doc;

  need_reference(b);
  doc = conf_api(b, NULL, "PUT", "/api/sandboxes/conf-legacy", "{\"legacy\":true,\"envVars\":{\"OLD\":\"v\"}}", &status);
  cr_assert(status == 200 || status == 201, "create a legacy sandbox: %ld", status);
  cJSON_Delete(doc);
  doc = conf_api(b, NULL, "POST", "/api/sandboxes/conf-legacy/user/execute", "{\"command\":\"printf %s $OLD\"}", &status);
  cr_expect_str_eq(conf_str(doc, "stdout"), "v", "legacy envVars reach user code, as the old API did");
  cr_expect(conf_json_has(cJSON_GetObjectItem(doc, "warnings"), "legacy"), "a legacy result carries a warning");
  cJSON_Delete(doc);
  cJSON_Delete(conf_api(b, NULL, "DELETE", "/api/sandboxes/conf-legacy", NULL, &status));
  sbx_backend_close(b);
}

Test(modes, require_isolation_fails_closed_where_namespaces_are_missing, .timeout = 120)
{
  struct sbx_backend *b = conf_open(), *nons = NULL;
  struct sbx_error err = { 0 };
  long status;
  cJSON *doc;

  need_reference(b);
  sbx_backend_close(b);
  /* The same daemon, on a simulated host without namespaces. */
  cr_assert_eq(sbx_backend_load("splitbox-fallback", &nons, &err), 0, "%s", err.message);
  if (!sbx_backend_info(nons)->available)
    conf_skip(nons, sbx_backend_info(nons)->reason);
  cr_assert_eq(sbx_backend_open(nons, &err), 0, "%s: %s", err.code, err.message);
  doc = conf_api(nons, NULL, "PUT", "/api/sandboxes/conf-strict", "{\"requireIsolation\":true}", &status);
  cr_expect_eq(status, 503, "HTTP %ld", status);
  cr_expect_str_eq(conf_str(doc, "code"), "NAMESPACE_NOT_SUPPORTED");
  cJSON_Delete(doc);
  /* Without the requirement the same host runs it, in fallback mode. */
  doc = conf_api(nons, NULL, "PUT", "/api/sandboxes/conf-loose", "{}", &status);
  cr_expect_eq(status, 201);
  cr_expect_str_eq(conf_str(doc, "isolation"), "fallback");
  cJSON_Delete(doc);
  sbx_backend_close(nons);
}
