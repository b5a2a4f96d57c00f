#include <cjson/cJSON.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "schema.h"

static bool has_type(const cJSON *v, const char *type)
{
  if (strcmp(type, "object") == 0)
    return cJSON_IsObject(v);
  if (strcmp(type, "array") == 0)
    return cJSON_IsArray(v);
  if (strcmp(type, "string") == 0)
    return cJSON_IsString(v);
  if (strcmp(type, "number") == 0)
    return cJSON_IsNumber(v);
  if (strcmp(type, "integer") == 0)
    return cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble);
  if (strcmp(type, "boolean") == 0)
    return cJSON_IsBool(v);
  if (strcmp(type, "null") == 0)
    return cJSON_IsNull(v);
  return false;
}

static int fail(char *why, size_t len, const char *where, const char *what)
{
  snprintf(why, len, "%s: %s", where[0] ? where : "/", what);
  return -1;
}

static int validate(const cJSON *s, const cJSON *v, const char *where, char *why, size_t len)
{
  static const char *const known[] = { "$schema", "$id", "title", "description", "type", "required", "properties",
                                       "additionalProperties", "items", "enum", "const", "anyOf" };
  const cJSON *k, *type = cJSON_GetObjectItemCaseSensitive(s, "type");
  const cJSON *props = cJSON_GetObjectItemCaseSensitive(s, "properties");
  const cJSON *extra = cJSON_GetObjectItemCaseSensitive(s, "additionalProperties");
  const cJSON *en = cJSON_GetObjectItemCaseSensitive(s, "enum"), *cn = cJSON_GetObjectItemCaseSensitive(s, "const");
  char sub[512], msg[300];

  cJSON_ArrayForEach(k, s)
    {
      bool ok = false;
      for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        ok = ok || strcmp(k->string, known[i]) == 0;
      if (!ok)
        {
          snprintf(msg, sizeof msg, "the schema uses \"%s\", which this validator does not know", k->string);
          return fail(why, len, where, msg);
        }
    }
  if (cJSON_IsString(type) && !has_type(v, type->valuestring))
    {
      snprintf(msg, sizeof msg, "must be of type %s", type->valuestring);
      return fail(why, len, where, msg);
    }
  if (cJSON_IsArray(type))
    {
      bool ok = false;
      size_t used = 0;
      msg[0] = '\0';
      cJSON_ArrayForEach(k, type)
        {
          ok = ok || (cJSON_IsString(k) && has_type(v, k->valuestring));
          if (cJSON_IsString(k) && used < sizeof msg)
            used += (size_t)snprintf(msg + used, sizeof msg - used, "%s%s", used ? " or " : "must be of type ",
                                     k->valuestring);
        }
      if (!ok)
        return fail(why, len, where, msg);
    }
  /* anyOf: the first alternative's complaint when none holds (the schemas put the likely one first). */
  if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(s, "anyOf")))
    {
      char first[512] = "";
      bool ok = false;
      cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(s, "anyOf"))
        {
          char one[512];
          if (validate(k, v, where, one, sizeof one) == 0)
            {
              ok = true;
              break;
            }
          if (first[0] == '\0')
            snprintf(first, sizeof first, "%s", one);
        }
      if (!ok)
        {
          snprintf(why, len, "%s", first);
          return -1;
        }
    }
  if (cn != NULL && !cJSON_Compare(cn, v, true))
    return fail(why, len, where, "must equal the schema's const");
  if (en != NULL)
    {
      bool found = false;
      cJSON_ArrayForEach(k, en)
        found = found || cJSON_Compare(k, v, true);
      if (!found)
        return fail(why, len, where, "is not one of the schema's enum");
    }
  if (cJSON_IsObject(v))
    {
      cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(s, "required"))
        if (cJSON_IsString(k) && cJSON_GetObjectItemCaseSensitive(v, k->valuestring) == NULL)
          {
            snprintf(msg, sizeof msg, "lacks the required \"%s\"", k->valuestring);
            return fail(why, len, where, msg);
          }
      cJSON_ArrayForEach(k, v)
        {
          const cJSON *ps = cJSON_GetObjectItemCaseSensitive(props, k->string);
          snprintf(sub, sizeof sub, "%s/%s", where, k->string);
          if (ps != NULL && validate(ps, k, sub, why, len) < 0)
            return -1;
          if (ps == NULL && cJSON_IsFalse(extra))
            return fail(why, len, sub, "is not allowed by the schema");
          if (ps == NULL && cJSON_IsObject(extra) && validate(extra, k, sub, why, len) < 0)
            return -1;
        }
    }
  if (cJSON_IsArray(v) && cJSON_GetObjectItemCaseSensitive(s, "items") != NULL)
    {
      int i = 0;
      cJSON_ArrayForEach(k, v)
        {
          snprintf(sub, sizeof sub, "%s/%d", where, i++);
          if (validate(cJSON_GetObjectItemCaseSensitive(s, "items"), k, sub, why, len) < 0)
            return -1;
        }
    }
  return 0;
}

int sbx_schema_validate(const cJSON *schema, const cJSON *doc, char *why, size_t len)
{
  if (!cJSON_IsObject(schema))
    return fail(why, len, "", "the schema is not a JSON object");
  return validate(schema, doc, "", why, len);
}
