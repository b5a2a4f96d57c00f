/* splitbox backends check: a spec against reports/backend.schema.json, then
 * the loader's own checks, then what every placeholder it uses expands to. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "cleanup.h"
#include "error.h"
#include "schema.h"
#include "schemas.h"
#include "spec_check.h"

static const struct
{
  const char *name, *what;
} placeholders[] = {
  { "workdir", "a fresh directory per run, under \"workdirBase\" (default /tmp): /tmp/sbx-audit-XXXXXX" },
  { "shared_host", "\"shared\".\"host\", expanded, created mode 0777 at open" },
  { "socket", "{workdir}/api.sock, for a server the harness starts" },
  { "port", "a free loopback port, picked at open, for a server the harness starts" },
  { "command", "the command to run, one argv element, never re-parsed" },
  { "cwd", "the command's working directory (the context's shared path by default)" },
  { "env", "an argv element that is exactly {env}: the context's env template once per variable" },
  { "name", "a variable's name (in an env template)" },
  { "value", "a variable's value (in an env template)" },
  { "entry", "NAME=VALUE (in an env template)" },
  { "sandbox", "a fresh sandbox id: audit- and 12 hex digits" },
  { "sandboxEnv", "a body string that is exactly {sandboxEnv}: the sandbox's env, as a JSON object" },
  { "sharedPath", "the sandbox create answer's sharedPath" },
  { "platformPath", "the sandbox create answer's platformPath" },
  { "rel", "a path relative to the shared directory (in \"files\".\"path\")" },
  { "shared_user", "\"shared\".\"user\", expanded (in \"files\".\"path\")" },
  { "shared_platform", "\"shared\".\"platform\", expanded (in \"files\".\"path\")" },
  { "uid", NULL },
  { "splitbox", NULL },
};

/* The schema node that governs pointer (a JSON pointer such as /user/argv/2). */
static const cJSON *schema_at(const cJSON *s, const char *pointer, const cJSON **parent)
{
  char seg[128];

  *parent = NULL;
  while (s != NULL && *pointer == '/')
    {
      size_t n = strcspn(pointer + 1, "/");
      const cJSON *props = cJSON_GetObjectItemCaseSensitive(s, "properties"), *next;
      snprintf(seg, sizeof seg, "%.*s", (int)n, pointer + 1);
      pointer += n + 1;
      *parent = s;
      next = cJSON_GetObjectItemCaseSensitive(props, seg);
      if (next == NULL)
        next = cJSON_GetObjectItemCaseSensitive(s, "items");
      if (next == NULL && cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(s, "additionalProperties")))
        next = cJSON_GetObjectItemCaseSensitive(s, "additionalProperties");
      s = next;
    }
  return s;
}

static size_t distance(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b), row[64], prev;

  if (la >= 63 || lb >= 63)
    return 99;
  for (size_t j = 0; j <= lb; j++)
    row[j] = j;
  for (size_t i = 1; i <= la; i++)
    {
      prev = row[0];
      row[0] = i;
      for (size_t j = 1; j <= lb; j++)
        {
          size_t cur = row[j], best = prev + (a[i - 1] != b[j - 1]);
          best = row[j] + 1 < best ? row[j] + 1 : best;
          best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
          row[j] = best;
          prev = cur;
        }
    }
  return row[lb];
}

/* How to fix what the validator said (why: "POINTER: complaint"). */
static void hint(const cJSON *schema, const char *why, FILE *out)
{
  char pointer[512];
  const char *colon = strstr(why, ": ");
  const cJSON *parent = NULL, *node, *item;

  snprintf(pointer, sizeof pointer, "%.*s", colon != NULL ? (int)(colon - why) : 0, why);
  if (strcmp(pointer, "/") == 0)
    pointer[0] = '\0';
  node = schema_at(schema, pointer, &parent);
  if (strstr(why, "is not allowed by the schema") != NULL)
    {
      const char *key = strrchr(pointer, '/') != NULL ? strrchr(pointer, '/') + 1 : pointer;
      const char *best = NULL;
      size_t best_d = 4;
      cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(parent, "properties"))
        if (distance(key, item->string) < best_d)
          {
            best_d = distance(key, item->string);
            best = item->string;
          }
      if (best != NULL)
        fprintf(out, "    fix: did you mean \"%s\"?\n", best);
      else
        {
          fprintf(out, "    fix: remove it; the fields here are:");
          cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(parent, "properties"))
            fprintf(out, " %s", item->string);
          fputc('\n', out);
        }
    }
  else if (strstr(why, "enum") != NULL && node != NULL)
    {
      fprintf(out, "    fix: use one of:");
      cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(node, "enum"))
        if (cJSON_IsString(item))
          fprintf(out, " \"%s\"", item->valuestring);
      fputc('\n', out);
    }
  else if (strstr(why, "lacks the required") != NULL)
    {
      const char *q = strchr(why, '"');
      char key[64] = "";
      const cJSON *desc;
      if (q != NULL)
        snprintf(key, sizeof key, "%.*s", (int)strcspn(q + 1, "\""), q + 1);
      desc = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(node, "properties"), key),
                                              "description");
      fprintf(out, "    fix: add \"%s\"%s%s\n", key, cJSON_IsString(desc) ? ": " : "",
              cJSON_IsString(desc) ? desc->valuestring : "");
    }
  if (node != NULL && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(node, "description"))
      && strstr(why, "lacks the required") == NULL)
    fprintf(out, "    (%s: %s)\n", pointer, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(node, "description")));
}

struct names
{
  char v[64][64];
  size_t n;
};

static void collect(const cJSON *j, struct names *seen)
{
  const cJSON *c;

  if (cJSON_IsString(j))
    for (const char *p = j->valuestring; (p = strchr(p, '{')) != NULL;)
      {
        size_t len;
        bool dup = false;
        if (p[1] == '{')
          {
            p += 2;
            continue;
          }
        len = strcspn(p + 1, "}");
        if (p[1 + len] == '}' && len > 0 && len < 64)
          {
            for (size_t i = 0; i < seen->n; i++)
              dup = dup || (strlen(seen->v[i]) == len && strncmp(seen->v[i], p + 1, len) == 0);
            if (!dup && seen->n < 64)
              snprintf(seen->v[seen->n++], 64, "%.*s", (int)len, p + 1);
          }
        p += 1 + len;
      }
  /* A description is prose, not a template. */
  cJSON_ArrayForEach(c, j)
    if (c->string == NULL || strcmp(c->string, "description") != 0)
      collect(c, seen);
}

/* Prints what each placeholder used expands to; the number of unknown ones. */
static int explain_placeholders(const cJSON *spec, FILE *out)
{
  struct names seen = { .n = 0 };
  int bad = 0;

  collect(spec, &seen);
  if (seen.n == 0)
    fprintf(out, "  placeholders: none\n");
  else
    fprintf(out, "  placeholders:\n");
  for (size_t i = 0; i < seen.n; i++)
    {
      const char *name = seen.v[i], *what = NULL;
      bool known = false;
      char uid[16];

      if (strncmp(name, "env:", 4) == 0)
        {
          const char *v = getenv(name + 4);
          if (v != NULL && v[0] != '\0')
            fprintf(out, "    {%s} = $%s (set, %zu characters)\n", name, name + 4, strlen(v));
          else
            /* Not the spec's fault: the CI job sets it (a secret). */
            fprintf(out, "    {%s}: $%s is not set here: set it before audit or conform\n", name, name + 4);
          continue;
        }
      for (size_t k = 0; k < sizeof placeholders / sizeof placeholders[0]; k++)
        if (strcmp(placeholders[k].name, name) == 0)
          {
            known = true;
            what = placeholders[k].what;
          }
      if (strcmp(name, "uid") == 0)
        {
          snprintf(uid, sizeof uid, "%u", (unsigned)geteuid());
          fprintf(out, "    {uid} = %s (the harness's euid)\n", uid);
        }
      else if (strcmp(name, "splitbox") == 0)
        fprintf(out, "    {splitbox} = %s\n",
                sbx_harness_tool("splitbox") != NULL ? sbx_harness_tool("splitbox") : "(the splitbox CLI was not found)");
      else if (known)
        fprintf(out, "    {%s}: %s\n", name, what);
      else
        {
          fprintf(out, "    {%s}: unknown placeholder\n    fix: use a known one (see docs/BACKENDS.md), or write {{ "
                       "for a literal brace\n", name);
          bad++;
        }
    }
  return bad;
}

int sbx_spec_check(const char *path, FILE *out)
{
  _cleanup_json_ cJSON *schema = cJSON_Parse(sbx_schema_backend), *spec = NULL;
  struct sbx_backend *b = NULL;
  struct sbx_error err = { 0 };
  char why[512];
  FILE *f = fopen(path, "re");
  _cleanup_free_ char *text = NULL;
  size_t cap = 0;
  const char *end = NULL;
  int problems = 0;

  fprintf(out, "%s:\n", path);
  if (f == NULL || getdelim(&text, &cap, '\0', f) < 0)
    {
      fprintf(out, "  cannot read it: %s\n", strerror(errno));
      if (f != NULL)
        fclose(f);
      return 1;
    }
  fclose(f);
  if ((spec = cJSON_ParseWithOpts(text, &end, true)) == NULL)
    {
      size_t line = 1;
      for (const char *p = text; end != NULL && p < end; p++)
        line += *p == '\n';
      fprintf(out, "  not JSON: the error is near line %zu\n", line);
      return 1;
    }
  if (schema == NULL)
    {
      fprintf(out, "  the built-in schema does not parse (a build problem)\n");
      return 1;
    }
  if (sbx_schema_validate(schema, spec, why, sizeof why) < 0)
    {
      fprintf(out, "  schema: %s\n", why);
      hint(schema, why, out);
      problems++;
    }
  else
    fprintf(out, "  schema: ok (reports/backend.schema.json)\n");
  if (sbx_backend_load(path, &b, &err) < 0)
    {
      fprintf(out, "  load: %s\n", err.message);
      problems++;
    }
  else
    {
      const struct sbx_backend_info *info = sbx_backend_info(b);
      fprintf(out, "  load: ok: %s, a %s backend\n", info->name, info->kind);
      fprintf(out, "  here: %s%s\n", info->available ? "available" : "unavailable: ", info->available ? "" : info->reason);
      sbx_backend_close(b);
    }
  problems += explain_placeholders(spec, out);
  fprintf(out, "  %s\n", problems == 0 ? "ok" : "NOT OK");
  return problems;
}
