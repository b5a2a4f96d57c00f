#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verdict.h"

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
  snprintf(v.status, sizeof v.status, "%s", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "status"))
                                              ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "status"))
                                              : "");
  snprintf(v.reason, sizeof v.reason, "%s",
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "reason"))
             ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "reason"))
             : "");
  found = cJSON_GetObjectItemCaseSensitive(doc, "found");
  cJSON_ArrayForEach(item, found)
    {
      const char *token = cJSON_GetStringValue(item);
      if (token != NULL && strcmp(token, canary) == 0)
        v.found_canary = true;
      else if (token != NULL)
        v.stale_tokens++;
    }
  v.marker_visible = strcmp(observed(doc, "marker_visible"), "true") == 0;
  v.stopped = strcmp(observed(doc, "stopped"), "true") == 0;
  snprintf(v.dangerous, sizeof v.dangerous, "%s", observed(doc, "dangerous"));
  v.hidden_pids = atoi(observed(doc, "pids_hidden_from_proc"));
  v.fds_stolen = atoi(observed(doc, "fds_stolen"));
  v.found_dropped = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(doc, "found_dropped"));
  cJSON_Delete(doc);
  return v;
}
