/* Policies: which rows must be BLOCKED for which backends. A policy file:
 *   {"name": "...", "description": "...", "backends": "*" or [names],
 *    "rows": "*" or [row names]}
 * "*" backends: every backend of the audit but the positive control; "*"
 * rows: every row the audit probed. Rows named outright must have been probed. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "error.h"
#include "policy.h"
#include "report.h"

static bool listed(const cJSON *list, const char *name)
{
  const cJSON *item;

  if (cJSON_IsString(list) && strcmp(list->valuestring, "*") == 0)
    return true;
  cJSON_ArrayForEach(item, list)
    if (cJSON_IsString(item) && strcmp(item->valuestring, name) == 0)
      return true;
  return false;
}

/* The audit found no second sandbox to make for this backend (audit.c). */
static bool one_sandbox(const cJSON *b)
{
  const char *second = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "secondSandbox"));
  return second != NULL && strncmp(second, "none:", 5) == 0;
}

/* In a merged report, the backend's name on its own host. */
static const char *base_name(const cJSON *b)
{
  const char *base = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "base"));
  return base != NULL ? base : cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "name"));
}

static int valid_list(const cJSON *list)
{
  const cJSON *item;

  if (cJSON_IsString(list))
    return strcmp(list->valuestring, "*") == 0 ? 0 : -1;
  if (!cJSON_IsArray(list))
    return -1;
  if (cJSON_GetArraySize(list) == 0)
    return -1; /* a policy that names nothing would hold without checking anything */
  cJSON_ArrayForEach(item, list)
    if (!cJSON_IsString(item))
      return -1;
  return 0;
}

int sbx_policy_check(const cJSON *policy, const cJSON *doc, cJSON **violations, struct sbx_error *err)
{
  const cJSON *backends = cJSON_GetObjectItemCaseSensitive(policy, "backends");
  const cJSON *rows = cJSON_GetObjectItemCaseSensitive(policy, "rows"), *b, *row, *item;
  const char *control = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "control"));

  *violations = NULL;
  if (!cJSON_IsObject(policy) || valid_list(backends) < 0 || valid_list(rows) < 0)
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION,
                         "a policy needs \"backends\" and \"rows\", each \"*\" or a non-empty list of names");
  if (sbx_report_check(doc, err) < 0)
    return -1;
  /* Every row a policy names must exist: a typo must not pass silently. */
  const cJSON *row_list = cJSON_IsArray(rows) ? rows : NULL, *backend_list = cJSON_IsArray(backends) ? backends : NULL;

  cJSON_ArrayForEach(item, row_list)
    {
      bool known = false;
      cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(doc, "rows"))
        known = known || strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "name")), item->valuestring) == 0;
      if (!known)
        return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "the policy names an unknown row \"%s\"", item->valuestring);
    }
  *violations = cJSON_CreateArray();
  cJSON_ArrayForEach(item, backend_list)
    {
      bool audited = false;
      cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(doc, "backends"))
        audited = audited || strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "name")), item->valuestring) == 0
                  || strcmp(base_name(b), item->valuestring) == 0;
      if (!audited)
        {
          cJSON *v = cJSON_CreateObject();
          cJSON_AddStringToObject(v, "backend", item->valuestring);
          cJSON_AddStringToObject(v, "row", "*");
          cJSON_AddStringToObject(v, "outcome", "NOT AUDITED");
          cJSON_AddItemToArray(*violations, v);
        }
    }
  cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(doc, "backends"))
    {
      const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "name"));
      /* A merged report (a fleet) has a control per host, and names each backend HOST/BASE: a
       * policy names the base, and holds on every host. */
      bool control_column = (control != NULL && strcmp(name, control) == 0)
                            || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "positiveControl"));
      if ((!listed(backends, name) && !listed(backends, base_name(b))) || (cJSON_IsString(backends) && control_column))
        continue;
      cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(doc, "rows"))
        {
          const char *row_name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "name"));
          char channels[512];
          const char *outcome;
          if (!listed(rows, row_name))
            continue;
          outcome = sbx_report_row(doc, name, row_name, channels, sizeof channels);
          /* "*" is every row the audit probed; a row named outright must have been. */
          if (outcome == NULL && cJSON_IsString(rows))
            continue;
          /* Nor, under "*", the cross-tenant rows of a backend that has no second tenant:
           * one sandbox cannot reach another that does not exist. Named outright, they count. */
          if (cJSON_IsString(rows) && strcmp(outcome, SBX_OUTCOME_NA) == 0 && one_sandbox(b))
            continue;
          /* Not tested is not held: a row no probe ran on cannot pass. */
          if (outcome == NULL || strcmp(outcome, SBX_OUTCOME_BLOCKED) != 0)
            {
              cJSON *v = cJSON_CreateObject();
              cJSON_AddStringToObject(v, "backend", name);
              cJSON_AddStringToObject(v, "row", row_name);
              cJSON_AddStringToObject(v, "outcome", outcome != NULL ? outcome : "NOT RUN");
              if (channels[0] != '\0')
                cJSON_AddStringToObject(v, "channels", channels);
              cJSON_AddItemToArray(*violations, v);
            }
        }
    }
  return 0;
}
