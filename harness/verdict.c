#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verdict.h"

static const char *str(const cJSON *doc, const char *key)
{
  const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, key));
  return v != NULL ? v : "";
}

/* Copies src; false when it had to be cut. */
static bool copy(char *dst, size_t size, const char *src)
{
  int n = snprintf(dst, size, "%s", src);
  return n >= 0 && (size_t)n < size;
}

/* Text for people: a cut shows as one. */
static void copy_text(char *dst, size_t size, const char *src)
{
  if (!copy(dst, size, src) && size > 4)
    memcpy(dst + size - 4, "...", 4);
}

static const char *observed(const cJSON *doc, const char *key)
{
  const cJSON *obs = cJSON_GetObjectItemCaseSensitive(doc, "observed");
  const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obs, key));
  return v != NULL ? v : "";
}

struct verdict verdict_read(const char *json, const char *canary)
{
  struct verdict v = { 0 };
  cJSON *doc = json != NULL ? cJSON_ParseWithOpts(json, NULL, false) : NULL;
  const cJSON *found, *item;

  if (doc == NULL)
    return v;
  v.parsed = true;
  /* No status of a probe's is that long: a cut one must not pass for a known one. */
  if (!copy(v.status, sizeof v.status, str(doc, "status")))
    v.status[0] = '\0';
  copy_text(v.reason, sizeof v.reason, str(doc, "reason"));
  snprintf(v.probe, sizeof v.probe, "%.31s",
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "probe"))
             ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "probe"))
             : "");
  snprintf(v.nonce, sizeof v.nonce, "%.71s",
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "nonce"))
             ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "nonce"))
             : "");
  v.attempts = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "attempts"));
  found = cJSON_GetObjectItemCaseSensitive(doc, "found");
  cJSON_ArrayForEach(item, found)
    {
      const char *token = cJSON_GetStringValue(item);
      if (token != NULL && strcmp(token, canary) == 0)
        v.found_canary = true;
      else if (token != NULL)
        v.stale_tokens++;
    }
  cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(doc, "attempts"))
    {
      const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "technique"));
      if (t != NULL && (strcmp(t, "PTRACE_SEIZE") == 0 || strcmp(t, "PTRACE_ATTACH") == 0)
          && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "ok")))
        v.attached++;
    }
  v.marker_visible = strcmp(observed(doc, "marker_visible"), "true") == 0;
  v.stopped = strcmp(observed(doc, "stopped"), "true") == 0;
  /* Cut or not, a non-empty list is the finding. */
  copy_text(v.dangerous, sizeof v.dangerous, observed(doc, "dangerous"));
  copy_text(v.executed, sizeof v.executed, observed(doc, "executed"));
  v.hidden_pids = atoi(observed(doc, "pids_hidden_from_proc"));
  v.fds_stolen = atoi(observed(doc, "fds_stolen"));
  v.found_dropped = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(doc, "found_dropped"));
  cJSON_Delete(doc);
  return v;
}

static bool attempted(const cJSON *attempts, const char *technique, size_t len)
{
  const cJSON *item;

  cJSON_ArrayForEach(item, attempts)
    {
      const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "technique"));
      if (t != NULL && strlen(t) == len && strncmp(t, technique, len) == 0)
        return true;
    }
  return false;
}

bool verdict_missing_technique(const char *json, const char *techniques, char *missing, size_t size)
{
  cJSON *doc = json != NULL ? cJSON_ParseWithOpts(json, NULL, false) : NULL;
  const cJSON *attempts = cJSON_GetObjectItemCaseSensitive(doc, "attempts");
  bool gone = false;

  for (const char *t = techniques != NULL ? techniques : ""; *t != '\0' && !gone;)
    {
      size_t len = strcspn(t, ",");
      if (len > 0 && !attempted(attempts, t, len))
        {
          snprintf(missing, size, "%.*s", (int)len, t);
          gone = true;
        }
      t += len + (t[len] == ',');
    }
  cJSON_Delete(doc);
  return gone;
}
