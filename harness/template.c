#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "template.h"

void sbx_vars_set(struct sbx_vars *v, const char *name, const char *value)
{
  for (size_t i = 0; i < v->n; i++)
    if (strcmp(v->names[i], name) == 0)
      {
        v->values[i] = value;
        return;
      }
  if (v->n < sizeof v->names / sizeof v->names[0])
    {
      v->names[v->n] = name;
      v->values[v->n++] = value;
    }
}

const char *sbx_vars_get(const struct sbx_vars *v, const char *name)
{
  for (size_t i = 0; i < v->n; i++)
    if (strcmp(v->names[i], name) == 0)
      return v->values[i];
  return NULL;
}

struct buf
{
  char *s;
  size_t len, cap;
};

static int put(struct buf *b, const char *s, size_t n)
{
  if (b->len + n + 1 > b->cap)
    {
      size_t cap = (b->len + n + 1) * 2;
      char *grown = realloc(b->s, cap);
      if (grown == NULL)
        return -1;
      b->s = grown;
      b->cap = cap;
    }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
  return 0;
}

char *sbx_template_expand(const char *text, const struct sbx_vars *v, struct sbx_error *err)
{
  struct buf b = { 0 };

  if (put(&b, "", 0) < 0)
    goto oom;
  for (const char *p = text; *p != '\0';)
    {
      const char *open = strchr(p, '{'), *close;
      char name[64];
      const char *value;

      if (open == NULL)
        {
          if (put(&b, p, strlen(p)) < 0)
            goto oom;
          break;
        }
      if (put(&b, p, (size_t)(open - p)) < 0)
        goto oom;
      if (open[1] == '{')
        {
          if (put(&b, "{", 1) < 0)
            goto oom;
          p = open + 2;
          continue;
        }
      close = strchr(open, '}');
      if (close == NULL || (size_t)(close - open - 1) >= sizeof name || close == open + 1)
        {
          free(b.s);
          sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "unterminated or empty placeholder in \"%.80s\"", text);
          return NULL;
        }
      snprintf(name, sizeof name, "%.*s", (int)(close - open - 1), open + 1);
      /* {env:NAME}: the harness's own environment, e.g. a token a CI secret provides. Unset is an error:
       * an empty token or URL would only fail later, less clearly. */
      if (strncmp(name, "env:", 4) == 0)
        {
          value = getenv(name + 4);
          if (value == NULL || value[0] == '\0')
            {
              free(b.s);
              sbx_error_set(err, ENOENT, SBX_E_VALIDATION, "{%s} in \"%.80s\": $%s is not set", name, text, name + 4);
              return NULL;
            }
        }
      else if ((value = sbx_vars_get(v, name)) == NULL)
        {
          free(b.s);
          sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "unknown placeholder {%s} in \"%.80s\"", name, text);
          return NULL;
        }
      if (put(&b, value, strlen(value)) < 0)
        goto oom;
      p = close + 1;
    }
  return b.s;
oom:
  free(b.s);
  sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "expand a template");
  return NULL;
}

static int push(char ***argv, size_t *n, char *arg)
{
  char **grown = realloc(*argv, (*n + 2) * sizeof(char *));

  if (grown == NULL)
    {
      free(arg);
      return -1;
    }
  *argv = grown;
  (*argv)[(*n)++] = arg;
  (*argv)[*n] = NULL;
  return 0;
}

char **sbx_template_argv(const char *const *tmpl, const struct sbx_vars *v, const char *const *env,
                         const char *const *env_each, struct sbx_error *err)
{
  _cleanup_strv_ char **argv = calloc(1, sizeof(char *));
  size_t n = 0;

  if (argv == NULL)
    goto oom;
  for (const char *const *t = tmpl; *t != NULL; t++)
    {
      if (strcmp(*t, "{env}") == 0)
        {
          for (const char *const *e = env; e != NULL && *e != NULL; e++)
            {
              const char *eq = strchr(*e, '=');
              _cleanup_free_ char *name = eq != NULL ? strndup(*e, (size_t)(eq - *e)) : NULL;
              struct sbx_vars ev = *v;

              if (eq == NULL || name == NULL)
                {
                  sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "env entry \"%.60s\" is not NAME=VALUE", *e);
                  return NULL;
                }
              sbx_vars_set(&ev, "name", name);
              sbx_vars_set(&ev, "value", eq + 1);
              sbx_vars_set(&ev, "entry", *e);
              for (const char *const *each = env_each; each != NULL && *each != NULL; each++)
                {
                  char *arg = sbx_template_expand(*each, &ev, err);
                  if (arg == NULL)
                    return NULL;
                  if (push(&argv, &n, arg) < 0)
                    goto oom;
                }
            }
          continue;
        }
      {
        char *arg = sbx_template_expand(*t, v, err);
        if (arg == NULL)
          return NULL;
        if (push(&argv, &n, arg) < 0)
          goto oom;
      }
    }
  return steal_pointer(&argv);
oom:
  sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "expand an argv template");
  return NULL;
}

char *sbx_shell_quote(const char *text)
{
  struct buf b = { 0 };

  if (put(&b, "'", 1) < 0)
    return NULL;
  for (const char *p = text; *p != '\0'; p++)
    if ((*p == '\'' ? put(&b, "'\\''", 4) : put(&b, p, 1)) < 0)
      {
        free(b.s);
        return NULL;
      }
  if (put(&b, "'", 1) < 0)
    {
      free(b.s);
      return NULL;
    }
  return b.s;
}
