/* The environment of commands: a fixed base plus what the call passes.
 * Nothing comes from the executor's own environment. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "env.h"
#include "error.h"
#include "executor.h"

#define ENV_MAX_ENTRIES 4096
#define ENV_MAX_BYTES (1024 * 1024)
#define ENV_NAME_MAX 255

const char sbx_user_path[] = "/usr/local/bin:/usr/bin:/bin";
/* Only root-owned system directories: never the shared dir nor the cwd,
 * so a binary planted by user code cannot shadow a platform tool. */
const char sbx_platform_path[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/* Names that change what a platform command loads or runs before its own
 * code, refused there as PATH is: a value pointing into the shared dir (which
 * user code writes) would run user code with the platform's secrets. The
 * dynamic loader reads only LD_ names (LD_PRELOAD, LD_AUDIT, LD_LIBRARY_PATH;
 * LD_DEBUG_OUTPUT and LD_PROFILE_OUTPUT write files), so all of them; the rest
 * are from glibc's list for setuid programs (unsecvars.h) that load modules or
 * data (iconv's GCONV_PATH loads shared objects), and the startup files and
 * options of sh and bash (ENV, BASH_ENV; SHELLOPTS=xtrace runs PS4's
 * command substitutions). Tools' own variables (PYTHONPATH, NODE_OPTIONS,
 * ...) are the caller's to set: only the commands it names read them. */
static const struct
{
  const char *name; /* ending in '_': a prefix */
  const char *why;
} platform_refused[] = {
  { "LD_", "the dynamic loader reads it" },
  { "GLIBC_TUNABLES", "libc reads it" },
  { "GCONV_PATH", "libc loads modules from it" },
  { "GETCONF_DIR", "libc loads data from it" },
  { "HOSTALIASES", "libc loads data from it" },
  { "LOCALDOMAIN", "libc's resolver reads it" },
  { "LOCPATH", "libc loads data from it" },
  { "MALLOC_TRACE", "libc writes to it" },
  { "NIS_PATH", "libc loads data from it" },
  { "NLSPATH", "libc loads data from it" },
  { "RESOLV_HOST_CONF", "libc loads data from it" },
  { "RES_OPTIONS", "libc's resolver reads it" },
  { "TZDIR", "libc loads data from it" },
  { "BASH_ENV", "the shell runs it at startup" },
  { "ENV", "the shell runs it at startup" },
  { "SHELLOPTS", "the shell reads it at startup" },
  { "BASHOPTS", "the shell reads it at startup" },
  { "PS4", "the shell expands it when tracing" },
};

/* Why the name is refused in the platform context; NULL when it is allowed. */
static const char *platform_refusal(const char *name)
{
  for (size_t i = 0; i < sizeof platform_refused / sizeof platform_refused[0]; i++)
    {
      const char *r = platform_refused[i].name;
      size_t len = strlen(r);
      if (r[len - 1] == '_' ? strncmp(name, r, len) == 0 : strcmp(name, r) == 0)
        return platform_refused[i].why;
    }
  return NULL;
}

bool sbx_env_name_valid(const char *name)
{
  size_t len = strlen(name);

  if (len == 0 || len > ENV_NAME_MAX)
    return false;
  if (!(name[0] == '_' || (name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z')))
    return false;
  for (size_t i = 1; i < len; i++)
    {
      char c = name[i];
      if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
        return false;
    }
  return true;
}

int sbx_env_validate(const char *const *env, enum sbx_context ctx, struct sbx_error *err)
{
  size_t bytes = 0, count = 0;

  for (const char *const *e = env; e != NULL && *e != NULL; e++)
    {
      const char *eq = strchr(*e, '=');
      char name[ENV_NAME_MAX + 2];
      size_t nlen;

      if (eq == NULL)
        return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "env entry \"%.40s\" has no '='", *e);
      nlen = (size_t)(eq - *e);
      if (nlen > ENV_NAME_MAX)
        return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "env name \"%.40s...\" is too long", *e);
      memcpy(name, *e, nlen);
      name[nlen] = '\0';
      if (!sbx_env_name_valid(name))
        return sbx_error_set(err, EINVAL, SBX_E_VALIDATION,
                             "invalid env name \"%.60s\": use letters, digits and '_', not starting with a digit",
                             name);
      if (ctx == SBX_CTX_PLATFORM && strcmp(name, "PATH") == 0)
        return sbx_error_set(err, EINVAL, SBX_E_VALIDATION,
                             "PATH is fixed in the platform context (%s); call tools by absolute path instead",
                             sbx_platform_path);
      if (ctx == SBX_CTX_PLATFORM && platform_refusal(name) != NULL)
        return sbx_error_set(err, EINVAL, SBX_E_VALIDATION,
                             "%s is refused in the platform context: %s, and a file user code wrote would run with "
                             "the platform's secrets (docs/API.md#environment)",
                             name, platform_refusal(name));
      /* Each entry is one execve string: past MAX_ARG_STRLEN it fails with E2BIG. */
      if (strlen(*e) >= SBX_ARG_STRLEN_MAX)
        return sbx_error_set(err, E2BIG, SBX_E_VALIDATION, "env %s is longer than %d bytes (NAME=VALUE), the "
                             "kernel's limit on one string; pass it in a file", name, SBX_ARG_STRLEN_MAX - 1);
      bytes += strlen(*e) + 1;
      if (++count > ENV_MAX_ENTRIES || bytes > ENV_MAX_BYTES)
        return sbx_error_set(err, E2BIG, SBX_E_VALIDATION, "env is too large (at most %d entries, %d bytes)",
                             ENV_MAX_ENTRIES, ENV_MAX_BYTES);
    }
  return 0;
}

/* Sets NAME=VALUE in v (n entries), replacing an entry of the same name. */
static int env_put(char **v, size_t *n, const char *entry)
{
  size_t nlen = (size_t)(strchr(entry, '=') - entry) + 1;
  char *copy = strdup(entry);

  if (copy == NULL)
    return -1;
  for (size_t i = 0; i < *n; i++)
    if (strncmp(v[i], entry, nlen) == 0)
      {
        free(v[i]);
        v[i] = copy;
        return 0;
      }
  v[(*n)++] = copy;
  v[*n] = NULL;
  return 0;
}

static size_t strv_len(const char *const *v)
{
  size_t n = 0;
  while (v != NULL && v[n] != NULL)
    n++;
  return n;
}

char **sbx_env_build(enum sbx_context ctx, const char *home, const char *tmp_dir, const char *run_dir,
                     const char *path_tail, const char *const *legacy, const char *const *call_env,
                     struct sbx_error *err)
{
  _cleanup_strv_ char **v = NULL;
  char path[sizeof sbx_platform_path + PATH_MAX + 8], home_entry[PATH_MAX + 8], run_entry[PATH_MAX + 20], tmp_entry[PATH_MAX + 8];
  const char *base[] = { path, home_entry, "LANG=C.UTF-8", "TERM=xterm", run_dir != NULL ? run_entry : NULL, NULL, NULL };
  size_t n = 0, max;

  if (sbx_env_validate(call_env, ctx, err) < 0 || sbx_env_validate(legacy, ctx, err) < 0)
    return NULL;
  if (snprintf(path, sizeof path, "PATH=%s%s%s", ctx == SBX_CTX_PLATFORM ? sbx_platform_path : sbx_user_path,
               path_tail != NULL ? ":" : "", path_tail != NULL ? path_tail : "") >= (int)sizeof path)
    {
      sbx_error_set(err, ENAMETOOLONG, SBX_E_INTERNAL, "PATH too long");
      return NULL;
    }
  snprintf(home_entry, sizeof home_entry, "HOME=%s", home);
  snprintf(run_entry, sizeof run_entry, "SPLITBOX_RUN_DIR=%s", run_dir != NULL ? run_dir : "");
  if (tmp_dir != NULL)
    {
      snprintf(tmp_entry, sizeof tmp_entry, "TMPDIR=%s", tmp_dir);
      base[run_dir != NULL ? 5 : 4] = tmp_entry;
    }
  max = strv_len(base) + strv_len(legacy) + strv_len(call_env) + 1;
  v = calloc(max, sizeof(char *));
  if (v == NULL)
    {
      sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "build env");
      return NULL;
    }
  const char *const *lists[3] = { base, legacy, call_env };
  for (size_t l = 0; l < 3; l++)
    for (const char *const *e = lists[l]; e != NULL && *e != NULL; e++)
      if (env_put(v, &n, *e) < 0)
        {
          sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "build env");
          return NULL;
        }
  return steal_pointer(&v);
}
