/* Placeholders in backend specs: "{name}" in a string is replaced by the
 * variable's value, "{env:NAME}" by $NAME (an error when unset), "{{" is a
 * literal "{" (a "}" alone needs no escape). An argv element that is exactly
 * "{env}" becomes zero or more elements (one env template per variable).
 * Values are never split or re-parsed: a command with spaces, quotes or "$"
 * stays one argv element, so no shell quoting is needed, and none is done. */
#pragma once

#include <stddef.h>

#include "splitbox-error.h"

struct sbx_vars
{
  const char *names[24];
  const char *values[24];
  size_t n;
};

/* Sets (or replaces) a variable; the strings are borrowed, not copied. */
void sbx_vars_set(struct sbx_vars *v, const char *name, const char *value);
const char *sbx_vars_get(const struct sbx_vars *v, const char *name);

/* A malloc'd expansion of text. An unknown placeholder is an error, never left as is. */
char *sbx_template_expand(const char *text, const struct sbx_vars *v, struct sbx_error *err);

/* Expands an argv template (NULL-terminated). Where an element is "{env}",
 * each NAME=VALUE of env is inserted as env_each (an argv template with
 * {name} and {value}), e.g. { "--setenv", "{name}", "{value}", NULL }.
 * Returns a NULL-terminated, malloc'd vector. */
char **sbx_template_argv(const char *const *tmpl, const struct sbx_vars *v, const char *const *env,
                         const char *const *env_each, struct sbx_error *err);

/* text as one word for /bin/sh: '...' with each ' as '\'' (for the cd
 * prefix of specs that have no {cwd}). */
char *sbx_shell_quote(const char *text);
