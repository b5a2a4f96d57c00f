/* JSON shapes of the API (the Cloudflare Sandbox container API's field names). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "executor.h"
#include "utf8.h"

/* Output as a string when it is text, else as base64 with NAMEEncoding: "base64". */
static bool add_output(cJSON *obj, const char *name, const char *s, size_t len)
{
  char key[32];
  char *encoded;
  bool ok;

  if (s == NULL || sbx_utf8_valid(s, len))
    return cJSON_AddStringToObject(obj, name, s != NULL ? s : "") != NULL;
  encoded = sbx_base64_encode(s, len);
  snprintf(key, sizeof key, "%sEncoding", name);
  ok = encoded != NULL && cJSON_AddStringToObject(obj, name, encoded) != NULL
       && cJSON_AddStringToObject(obj, key, "base64") != NULL;
  free(encoded);
  return ok;
}

static bool add_text(cJSON *obj, const char *name, const char *s, size_t len)
{
  char *clean = sbx_utf8_sanitize(s != NULL ? s : "", s != NULL ? len : 0);
  cJSON *item;

  if (clean == NULL)
    return false;
  item = cJSON_AddStringToObject(obj, name, clean);
  free(clean);
  return item != NULL;
}

cJSON *sbx_exec_result_to_json(const struct sbx_exec_result *res)
{
  cJSON *o = cJSON_CreateObject();
  bool ok;

  if (o == NULL)
    return NULL;
  ok = cJSON_AddBoolToObject(o, "success", res->success) && cJSON_AddNumberToObject(o, "exitCode", res->exit_code)
       && add_output(o, "stdout", res->stdout_buf, res->stdout_len)
       && add_output(o, "stderr", res->stderr_buf, res->stderr_len)
       && add_text(o, "command", res->command, res->command ? strlen(res->command) : 0)
       && cJSON_AddNumberToObject(o, "duration", res->duration_ms)
       && cJSON_AddStringToObject(o, "timestamp", res->timestamp)
       && cJSON_AddStringToObject(o, "context", sbx_context_name(res->context))
       && cJSON_AddStringToObject(o, "isolation", sbx_isolation_name(res->isolation));
  if (ok && res->timed_out)
    ok = cJSON_AddBoolToObject(o, "timedOut", true) != NULL;
  if (ok && res->oom_killed)
    ok = cJSON_AddBoolToObject(o, "oomKilled", true) != NULL;
  if (ok && res->term_signal != 0)
    ok = cJSON_AddNumberToObject(o, "signal", res->term_signal) != NULL;
  if (ok && (res->stdout_truncated || res->stderr_truncated))
    {
      cJSON *t = cJSON_AddObjectToObject(o, "truncated");
      ok = t != NULL && cJSON_AddBoolToObject(t, "stdout", res->stdout_truncated)
           && cJSON_AddBoolToObject(t, "stderr", res->stderr_truncated);
    }
  if (ok && res->warnings != NULL && res->warnings[0] != NULL)
    {
      cJSON *w = cJSON_AddArrayToObject(o, "warnings");
      ok = w != NULL;
      for (char **s = res->warnings; ok && *s != NULL; s++)
        {
          cJSON *item = cJSON_CreateString(*s);
          ok = item != NULL && cJSON_AddItemToArray(w, item);
        }
    }
  if (!ok)
    {
      cJSON_Delete(o);
      return NULL;
    }
  return o;
}

cJSON *sbx_error_to_json(const struct sbx_error *err)
{
  cJSON *o = cJSON_CreateObject();

  if (o == NULL)
    return NULL;
  if (!cJSON_AddBoolToObject(o, "success", false) || !cJSON_AddStringToObject(o, "code", err->code)
      || !cJSON_AddStringToObject(o, "error", err->message))
    {
      cJSON_Delete(o);
      return NULL;
    }
  return o;
}
