/* validate-json SCHEMA FILE: exit 0 when FILE satisfies SCHEMA (the subset
 * of JSON Schema that harness/schema.c knows), else 1 with the reason. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "schema.h"

static cJSON *load(const char *path)
{
  FILE *f = fopen(path, "re");
  char *text = NULL;
  size_t len = 0;
  cJSON *doc = NULL;

  if (f != NULL && getdelim(&text, &len, '\0', f) >= 0)
    doc = cJSON_Parse(text);
  if (f != NULL)
    fclose(f);
  free(text);
  if (doc == NULL)
    fprintf(stderr, "validate-json: %s is not readable JSON\n", path);
  return doc;
}

int main(int argc, char **argv)
{
  cJSON *schema, *doc;
  char why[512];
  int r;

  if (argc != 3)
    {
      fprintf(stderr, "usage: validate-json SCHEMA FILE\n");
      return 2;
    }
  if ((schema = load(argv[1])) == NULL || (doc = load(argv[2])) == NULL)
    return 2;
  r = sbx_schema_validate(schema, doc, why, sizeof why);
  if (r != 0)
    fprintf(stderr, "validate-json: %s: %s\n", argv[2], why);
  cJSON_Delete(schema);
  cJSON_Delete(doc);
  return r == 0 ? 0 : 1;
}
