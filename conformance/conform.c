#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "conform.h"
#include "must_work.h"

static bool must_work(struct sbx_backend *b)
{
  return sbx_must_work() && strncmp(sbx_backend_info(b)->name, "splitbox", 8) == 0;
}

void conf_skip(struct sbx_backend *b, const char *why)
{
  char name[64];

  snprintf(name, sizeof name, "%s", sbx_backend_info(b)->name);
  if (must_work(b))
    {
      sbx_backend_close(b);
      cr_assert_fail("%s: required of the reference backend (SPLITBOX_MUST_WORK=1): %s", name, why);
    }
  sbx_backend_close(b);
  cr_skip_test("%s: %s", name, why);
}

void conf_need(struct sbx_backend *b, const char *feature)
{
  char why[160];

  if (sbx_backend_has(b, feature))
    return;
  snprintf(why, sizeof why, "the %s backend has no %s", sbx_backend_info(b)->kind,
           strcmp(feature, "api") == 0                 ? "container API to call"
           : strcmp(feature, "operations") == 0        ? "platform operations"
           : strcmp(feature, "persistent-user") == 0   ? "persistent user context (each exec is fresh)"
                                                       : feature);
  conf_skip(b, why);
}

struct sbx_backend *conf_open(void)
{
  const char *name = getenv("SPLITBOX_BACKEND");
  struct sbx_backend *b = NULL;
  struct sbx_error err = { 0 };

  cr_assert(name != NULL && name[0] != '\0', "set SPLITBOX_BACKEND to a backend name or spec path");
  cr_assert_eq(sbx_backend_load(name, &b, &err), 0, "%s: %s: %s", name, err.code, err.message);
  if (!sbx_backend_info(b)->available)
    {
      char why[600];
      snprintf(why, sizeof why, "unavailable here: %s", sbx_backend_info(b)->reason);
      conf_skip(b, why);
    }
  cr_assert_eq(sbx_backend_open(b, &err), 0, "%s: %s: %s", name, err.code, err.message);
  return b;
}

struct sbx_bresult conf_exec(struct sbx_backend *b, enum sbx_bctx ctx, const char *command, const char *const *env,
                             const char *cwd, long long timeout_ms)
{
  struct sbx_bexec req = { .command = command, .env = env, .cwd = cwd, .timeout_ms = timeout_ms };
  struct sbx_bresult res;
  struct sbx_error err = { 0 };

  cr_assert_eq(sbx_backend_exec(b, ctx, &req, &res, &err), 0, "%s exec of \"%s\": %s: %s", sbx_bctx_name(ctx),
               command, err.code, err.message);
  return res;
}

cJSON *conf_api(struct sbx_backend *b, const char *section, const char *method, const char *tail, const char *body,
                long *status)
{
  cJSON *in = body != NULL ? cJSON_Parse(body) : NULL, *doc = NULL;
  struct sbx_error err = { 0 };

  cr_assert(body == NULL || in != NULL, "test body is JSON: %s", body);
  cr_assert_eq(sbx_backend_request(b, section, method, tail, in, status, &doc, &err), 0, "%s %s: %s: %s", method,
               tail, err.code, err.message);
  cJSON_Delete(in);
  return doc;
}

char *conf_start_sleeper(struct sbx_backend *b, enum sbx_bctx ctx, const char *marker, const char *const *env)
{
  char cmd[64], *handle = NULL;
  struct sbx_bexec start = { .command = cmd, .env = env };
  struct sbx_error err = { 0 };

  snprintf(cmd, sizeof cmd, "exec sleep 30.%s", marker);
  cr_assert_eq(sbx_backend_start(b, ctx, &start, &handle, &err), 0, "%s start: %s: %s", sbx_bctx_name(ctx), err.code,
               err.message);
  for (int i = 0; i < 100 && conf_host_count(marker) == 0; i++)
    usleep(20000);
  cr_assert_gt(conf_host_count(marker), 0, "the %s process runs (seen from the host)", sbx_bctx_name(ctx));
  return handle;
}

void conf_stop(struct sbx_backend *b, enum sbx_bctx ctx, char *handle)
{
  struct sbx_error err = { 0 };

  sbx_backend_stop(b, ctx, handle, 2000, &err);
  free(handle);
}

int conf_host_count(const char *marker)
{
  DIR *d = opendir("/proc");
  struct dirent *de;
  int n = 0;

  while (d != NULL && (de = readdir(d)) != NULL)
    {
      char path[sizeof "/proc//cmdline" + sizeof de->d_name], buf[4096];
      FILE *f;
      size_t len;
      if (atoi(de->d_name) <= 0 || atoi(de->d_name) == getpid())
        continue;
      snprintf(path, sizeof path, "/proc/%s/cmdline", de->d_name);
      if ((f = fopen(path, "re")) == NULL)
        continue;
      len = fread(buf, 1, sizeof buf - 1, f);
      fclose(f);
      for (size_t i = 0; i < len; i++)
        if (buf[i] == '\0')
          buf[i] = ' ';
      buf[len] = '\0';
      /* Not the wrappers that name it in a script (sh -c "... marker ..."), only the marked commands. */
      if (strstr(buf, marker) != NULL && strncmp(buf, "sleep ", 6) == 0)
        n++;
    }
  if (d != NULL)
    closedir(d);
  return n;
}

void conf_marker(char out[24])
{
  unsigned int raw;
  ssize_t n;

  while ((n = getrandom(&raw, sizeof raw, 0)) < 0 && errno == EINTR)
    ;
  cr_assert_eq(n, (ssize_t)sizeof raw, "getrandom for a marker: %s", strerror(errno));
  /* Digits only: it rides as the fraction of a sleep's seconds (sleep 30.MARKER). */
  snprintf(out, 24, "%09u", raw % 1000000000u);
}

bool conf_json_has(const cJSON *doc, const char *needle)
{
  char *text = doc != NULL ? cJSON_PrintUnformatted(doc) : NULL;
  bool has = text != NULL && strstr(text, needle) != NULL;

  free(text);
  return has;
}

const char *conf_str(const cJSON *doc, const char *name)
{
  const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, name));
  return s != NULL ? s : "";
}
