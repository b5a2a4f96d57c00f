/* Many hosts' audits as one report: a column per host × backend, each cell
 * as its own run classified it (against that host's own control, in that
 * run), so that merging never turns a cell into a claim its run did not make.
 * The result is an audit document like any other: every renderer and the
 * policy check read it. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cleanup.h"
#include "error.h"
#include "report.h"

static const char *str(const cJSON *o, const char *name)
{
  const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
  return s != NULL ? s : "";
}

/* A host's label: its hostname, made unique among the reports merged. */
static void host_label(const cJSON *doc, size_t index, cJSON *labels, char *out, size_t size)
{
  const char *host = str(cJSON_GetObjectItemCaseSensitive(doc, "host"), "hostname");
  const cJSON *l;
  int same = 0;

  if (host[0] == '\0' || strchr(host, '/') != NULL)
    snprintf(out, size, "host%zu", index + 1);
  else
    snprintf(out, size, "%s", host);
  cJSON_ArrayForEach(l, labels)
    same += strcmp(l->valuestring, out) == 0
            || (strncmp(l->valuestring, out, strlen(out)) == 0 && l->valuestring[strlen(out)] == '#');
  if (same > 0)
    {
      size_t len = strlen(out);
      snprintf(out + len, size - len, "#%d", same + 1);
    }
  cJSON_AddItemToArray(labels, cJSON_CreateString(out));
}

static bool has_named(const cJSON *array, const char *name)
{
  const cJSON *item;

  cJSON_ArrayForEach(item, array)
    if (strcmp(str(item, "name"), name) == 0)
      return true;
  return false;
}

int sbx_report_merge(cJSON *const *docs, size_t n, cJSON **merged, struct sbx_error *err)
{
  _cleanup_json_ cJSON *out = cJSON_CreateObject(), *labels = cJSON_CreateArray();
  cJSON *rows, *probes, *backends, *cells, *hosts, *summary, *host;
  double duration = 0;
  char control[600] = "";
  const char *started = NULL;

  *merged = NULL;
  if (n < 1)
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "nothing to merge: name one report.json or more");
  if (out == NULL || labels == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "merge");
  for (size_t i = 0; i < n; i++)
    if (sbx_report_check(docs[i], err) < 0)
      return sbx_error_prefix(err, "report %zu", i + 1);
  cJSON_AddStringToObject(out, "schema", "splitbox-audit/1");
  rows = cJSON_AddArrayToObject(out, "rows");
  probes = cJSON_AddArrayToObject(out, "probes");
  backends = cJSON_AddArrayToObject(out, "backends");
  cells = cJSON_AddArrayToObject(out, "cells");
  hosts = cJSON_AddArrayToObject(out, "hosts");
  for (size_t i = 0; i < n; i++)
    {
      const cJSON *doc = docs[i], *item;
      char label[256], name[600];
      cJSON *h;

      host_label(doc, i, labels, label, sizeof label);
      /* The earliest run is the fleet's date; each host keeps its own. */
      if (started == NULL || strcmp(str(doc, "started"), started) < 0)
        started = str(doc, "started");
      duration += cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(doc, "durationMs"));
      h = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(doc, "host"), true);
      if (h == NULL)
        h = cJSON_CreateObject();
      cJSON_AddItemToArray(hosts, h);
      cJSON_AddStringToObject(h, "label", label);
      cJSON_AddStringToObject(h, "started", str(doc, "started"));
      cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(doc, "rows"))
        if (!has_named(rows, str(item, "name")))
          cJSON_AddItemToArray(rows, cJSON_Duplicate(item, true));
      cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(doc, "probes"))
        if (!has_named(probes, str(item, "name")))
          cJSON_AddItemToArray(probes, cJSON_Duplicate(item, true));
      cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(doc, "backends"))
        {
          cJSON *b = cJSON_Duplicate(item, true);
          if (b == NULL)
            return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "merge");
          cJSON_AddItemToArray(backends, b);
          snprintf(name, sizeof name, "%s/%s", label, str(item, "name"));
          cJSON_AddStringToObject(b, "base", str(item, "name"));
          cJSON_AddStringToObject(b, "host", label);
          cJSON_ReplaceItemInObjectCaseSensitive(b, "name", cJSON_CreateString(name));
          /* The first report's control names the merged one's; every control stays marked. */
          if (i == 0 && strcmp(str(item, "name"), str(doc, "control")) == 0)
            snprintf(control, sizeof control, "%s", name);
        }
      cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(doc, "cells"))
        {
          cJSON *c = cJSON_Duplicate(item, true);
          if (c == NULL)
            return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "merge");
          cJSON_AddItemToArray(cells, c);
          /* A cell without an outcome was never classified: it claims nothing. */
          if (cJSON_GetObjectItemCaseSensitive(c, "outcome") == NULL)
            cJSON_AddStringToObject(c, "outcome", SBX_OUTCOME_ERROR);
          snprintf(name, sizeof name, "%s/%s", label, str(item, "backend"));
          cJSON_ReplaceItemInObjectCaseSensitive(c, "backend", cJSON_CreateString(name));
        }
    }
  cJSON_AddStringToObject(out, "started", started);
  cJSON_AddStringToObject(out, "control", control);
  cJSON_AddNumberToObject(out, "durationMs", duration);
  /* The schema's one host: what the fleet has in common is nothing, so it says so; "hosts" has each. */
  host = cJSON_AddObjectToObject(out, "host");
  {
    char kernel[64];
    snprintf(kernel, sizeof kernel, "a fleet of %zu host(s)", n);
    cJSON_AddStringToObject(host, "kernel", kernel);
  }
  cJSON_AddStringToObject(host, "hostname", "fleet");
  cJSON_AddNumberToObject(host, "uid", -1);
  cJSON_AddNumberToObject(host, "gid", -1);
  cJSON_AddObjectToObject(host, "capabilities");
  cJSON_AddStringToObject(host, "procHidepid", "per host");
  cJSON_AddObjectToObject(host, "sysctls");
  cJSON_AddObjectToObject(host, "tools");
  summary = cJSON_AddObjectToObject(out, "summary");
  {
    static const char *const outcomes[] = { SBX_OUTCOME_LEAKED, SBX_OUTCOME_BLOCKED, SBX_OUTCOME_UNVERIFIED,
                                            SBX_OUTCOME_NA, SBX_OUTCOME_ERROR };
    for (size_t k = 0; k < sizeof outcomes / sizeof outcomes[0]; k++)
      {
        const cJSON *c;
        int count = 0;
        cJSON_ArrayForEach(c, cells)
          count += strcmp(str(c, "outcome"), outcomes[k]) == 0;
        cJSON_AddNumberToObject(summary, outcomes[k], count);
      }
  }
  *merged = steal_pointer(&out);
  return 0;
}
