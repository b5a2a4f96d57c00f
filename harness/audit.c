#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "backend.h"
#include "bench.h"
#include "cleanup.h"
#include "error.h"
#include "host.h"
#include "probes.h"
#include "run.h"
#include "template.h"
#include "verdict.h"

#define PROBE_TIMEOUT_MS 60000
#define READY_TIMEOUT_MS 10000
#define STOP_GRACE_MS 3000
#define HIJACK_COMMAND "zip -v; aws --version; git --version; env; sh -c true; true"

/* ---- classification ---- */

const char *sbx_audit_classify(const char *raw, bool control_leaked, bool is_control)
{
  if (strcmp(raw, "leaked") == 0)
    return SBX_OUTCOME_LEAKED;
  if (strcmp(raw, "unsupported") == 0)
    return SBX_OUTCOME_NA;
  if (strcmp(raw, "clean") != 0)
    return SBX_OUTCOME_ERROR;
  /* Found nothing: a finding only if the same probe found the leak where it is real. */
  return control_leaked && !is_control ? SBX_OUTCOME_BLOCKED : SBX_OUTCOME_UNVERIFIED;
}

const char *sbx_audit_row_outcome(const char *const *cells, size_t n)
{
  static const char *const worst_first[] = { SBX_OUTCOME_LEAKED, SBX_OUTCOME_ERROR, SBX_OUTCOME_UNVERIFIED };
  size_t blocked = 0;

  for (size_t w = 0; w < sizeof worst_first / sizeof worst_first[0]; w++)
    for (size_t i = 0; i < n; i++)
      if (strcmp(cells[i], worst_first[w]) == 0)
        return worst_first[w];
  for (size_t i = 0; i < n; i++)
    blocked += strcmp(cells[i], SBX_OUTCOME_BLOCKED) == 0;
  /* Blocked where it could be tried; a row no probe could try says so. */
  return blocked > 0 ? SBX_OUTCOME_BLOCKED : SBX_OUTCOME_NA;
}

/* ---- one cell ---- */

struct tools
{
  char *probe, *victim;
  size_t probe_len, victim_len;
};

static void hex(char *out, size_t bytes)
{
  unsigned char raw[32];

  if (getrandom(raw, bytes, 0) != (ssize_t)bytes)
    abort();
  for (size_t i = 0; i < bytes; i++)
    sprintf(out + 2 * i, "%02x", raw[i]);
}

static void add_text(cJSON *o, const char *name, const char *text, size_t max)
{
  _cleanup_free_ char *copy = strndup(text != NULL ? text : "", max);
  cJSON_AddStringToObject(o, name, copy != NULL ? copy : "");
}

/* What the probe reached: its successful attempts. */
static char *evidence_of(const cJSON *probe_doc, const struct verdict *v, const struct sbx_probe_def *p)
{
  const cJSON *attempts = cJSON_GetObjectItemCaseSensitive(probe_doc, "attempts"), *a;
  char buf[1024] = "";
  size_t used = 0;
  int shown = 0;

  if (p->leak == SBX_LEAK_CANARY)
    used += (size_t)snprintf(buf, sizeof buf, "the run's canary among %d token(s) found; ", v->stale_tokens + 1);
  else if (p->leak == SBX_LEAK_CAPS)
    used += (size_t)snprintf(buf, sizeof buf, "dangerous capabilities: %s; ", v->dangerous);
  cJSON_ArrayForEach(a, attempts)
    {
      const cJSON *ok = cJSON_GetObjectItemCaseSensitive(a, "ok");
      const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "technique"));
      const char *target = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "target"));
      if (!cJSON_IsTrue(ok) || shown >= 6 || used >= sizeof buf - 1)
        continue;
      used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s %s", shown ? ", " : "reached: ", t ? t : "?",
                               target ? target : "");
      shown++;
    }
  return strdup(buf);
}

/* Polls the shared dir for a file the platform side writes. */
static bool wait_for_file(struct sbx_backend *b, const char *rel, long timeout_ms)
{
  double until = sbx_monotonic_ms() + (double)timeout_ms;

  do
    {
      struct sbx_error err = { 0 };
      char *data = NULL;
      size_t len;
      if (sbx_backend_read(b, rel, &data, &len, &err) == 0)
        {
          free(data);
          return true;
        }
      usleep(20000);
    }
  while (sbx_monotonic_ms() < until);
  return false;
}

static bool file_exists(struct sbx_backend *b, const char *rel)
{
  struct sbx_error err = { 0 };
  char *data = NULL;
  size_t len;
  bool ok = sbx_backend_read(b, rel, &data, &len, &err) == 0;

  free(data);
  return ok;
}

/* path-hijack: a platform command run in the shared dir, as npm runs one
 * (node_modules/.bin first in PATH). A backend that refuses to let the call
 * set PATH (VALIDATION_FAILED) runs it with its own. 1: a plant ran (*tool
 * names it); 0: none did; -1: the platform command itself failed (why). */
static int hijack_check(struct sbx_backend *b, const char *env_canary, const char **tool, char *why, size_t len)
{
  static const char *const tools[] = { "zip", "aws", "git", "sh", "env" };
  const char *env_npm[] = { "PATH=node_modules/.bin:/usr/local/bin:/usr/bin:/bin", env_canary, NULL };
  const char *env_plain[] = { env_canary, NULL };
  struct sbx_bexec req = { .command = HIJACK_COMMAND " >/dev/null 2>&1", .env = env_npm,
                           .cwd = sbx_backend_shared_path(b, SBX_BCTX_PLATFORM), .timeout_ms = 30000 };
  struct sbx_bresult res;
  struct sbx_error err = { 0 };
  int r = sbx_backend_exec(b, SBX_BCTX_PLATFORM, &req, &res, &err);

  if (r < 0 && strcmp(err.code, SBX_E_VALIDATION) == 0)
    {
      req.env = env_plain;
      memset(&err, 0, sizeof err);
      r = sbx_backend_exec(b, SBX_BCTX_PLATFORM, &req, &res, &err);
    }
  if (r < 0)
    {
      snprintf(why, len, "the platform command in the shared dir did not run: %s: %s", err.code, err.message);
      return -1;
    }
  if (res.exit_code != 0 || res.timed_out)
    {
      snprintf(why, len, "the platform command in the shared dir failed (exit %d%s)", res.exit_code,
               res.timed_out ? ", timed out" : "");
      sbx_bresult_free(&res);
      return -1;
    }
  sbx_bresult_free(&res);
  for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
    {
      char rel[128];
      snprintf(rel, sizeof rel, ".splitbox-hijacked-%s", tools[i]);
      if (!file_exists(b, rel))
        snprintf(rel, sizeof rel, "node_modules/.bin/.splitbox-hijacked-%s", tools[i]);
      if (file_exists(b, rel))
        {
          *tool = tools[i];
          return 1;
        }
    }
  return 0;
}

struct tools;
static int stage(struct sbx_backend *b, const struct tools *t, struct sbx_error *err);

static cJSON *run_cell(struct sbx_backend *b, const struct sbx_probe_def *p, const struct tools *t)
{
  const struct sbx_backend_info *info = sbx_backend_info(b);
  const char *su, *sp, *priv; /* read after set_sandbox_env: a fresh sandbox may move them */
  char canary[64] = "SPLITBOX-CANARY-", marker[16] = "sbxm", env_canary[96], env_home[4200], ready[64];
  _cleanup_free_ char *victim_cmd = NULL, *probe_cmd = NULL, *handle = NULL;
  struct sbx_error err = { 0 };
  struct sbx_bresult res = { 0 };
  cJSON *cell = cJSON_CreateObject(), *doc = NULL;
  const char *raw = "clean";
  char reason[1024] = "", channel[256] = "", cleanup[256] = "no victim";
  double start = sbx_monotonic_ms();
  struct verdict v;

  hex(canary + strlen(canary), 16);
  hex(marker + 4, 5);
  snprintf(env_canary, sizeof env_canary, "AWS_SECRET_ACCESS_KEY=%s", canary);
  snprintf(ready, sizeof ready, ".ready-%s", marker);
  cJSON_AddStringToObject(cell, "backend", info->name);
  cJSON_AddStringToObject(cell, "probe", p->name);
  cJSON_AddStringToObject(cell, "row", p->row);

  /* Today's SDK: the secret is the whole sandbox's (setEnvVars). */
  if (info->sandbox_env)
    {
      const char *env[] = { env_canary, NULL };
      int r = sbx_backend_set_sandbox_env(b, env, &err);
      /* A fresh sandbox: the tools go into its shared dir again. */
      if (r < 0 || (r == 1 && stage(b, t, &err) < 0))
        {
          raw = "error";
          snprintf(reason, sizeof reason, "set the sandbox's env: %s: %s", err.code, err.message);
          goto done;
        }
    }
  su = sbx_backend_shared_path(b, SBX_BCTX_USER);
  sp = sbx_backend_shared_path(b, SBX_BCTX_PLATFORM);
  priv = sbx_backend_private_path(b);
  snprintf(env_home, sizeof env_home, "HOME=%s/home-%s", priv, marker);
  if (p->victim)
    {
      const char *env[] = { env_canary, env_home, NULL };
      struct sbx_bexec req = { .env = env };
      /* HOME in the private dir: the victim writes ~/.aws/credentials, never the host's. */
      _cleanup_free_ char *qp = sbx_shell_quote(priv), *qs = sbx_shell_quote(sp);
      char api[96] = "";
      /* The stand-in executor API, for the probe that looks for one. */
      if (p->api_socket)
        snprintf(api, sizeof api, " --api-socket \"$P\"/api-%s.sock", marker);
      if (qp == NULL || qs == NULL
          || asprintf(&victim_cmd,
                      "P=%s; S=%s; mkdir -p \"$P/home-%s\" && ASAN_OPTIONS=detect_leaks=0 exec \"$S/splitbox-victim\" --marker %s "
                      "--private-dir \"$P\" --ready-file \"$S/%s\"%s%s",
                      qp, qs, marker, marker, ready, api, p->argv_canary ? " --argv-canary" : "")
               < 0)
        abort();
      req.command = victim_cmd;
      if (sbx_backend_start(b, SBX_BCTX_PLATFORM, &req, &handle, &err) < 0)
        {
          raw = "error";
          snprintf(reason, sizeof reason, "start the victim: %s: %s", err.code, err.message);
          goto done;
        }
      if (!wait_for_file(b, ready, READY_TIMEOUT_MS))
        {
          raw = "error";
          snprintf(reason, sizeof reason, "the victim did not get ready within %d ms", READY_TIMEOUT_MS);
          goto stop;
        }
    }
  {
    _cleanup_free_ char *qu = sbx_shell_quote(su);
    /* ASAN_OPTIONS: a sanitizer build's probe cannot stop the world for its leak check inside some
     * sandboxes (firejail); the leak check of an attack tool is not what the audit measures. */
    if (qu == NULL || asprintf(&probe_cmd, "S=%s; ASAN_OPTIONS=detect_leaks=0 exec \"$S/splitbox-probe\" %s --marker %s --shared \"$S\"",
                               qu, p->name, marker) < 0)
      abort();
  }
  {
    struct sbx_bexec req = { .command = probe_cmd, .timeout_ms = PROBE_TIMEOUT_MS };
    if (sbx_backend_exec(b, SBX_BCTX_USER, &req, &res, &err) < 0)
      {
        raw = "error";
        snprintf(reason, sizeof reason, "run the probe: %s: %s", err.code, err.message);
        goto stop;
      }
  }
  doc = cJSON_Parse(res.out);
  v = verdict_read(res.out, canary);
  if (res.timed_out)
    {
      raw = "error";
      snprintf(reason, sizeof reason, "the probe did not finish within %d ms", PROBE_TIMEOUT_MS);
    }
  else if (!v.parsed || doc == NULL)
    {
      raw = "error";
      snprintf(reason, sizeof reason, "the probe printed no JSON (exit %d): %.300s", res.exit_code, res.err);
    }
  else if (strcmp(v.status, "unsupported") == 0)
    {
      raw = "unsupported";
      snprintf(reason, sizeof reason, "%s", v.reason[0] ? v.reason : "the technique does not exist here");
    }
  else if (strcmp(v.status, "ran") != 0)
    {
      raw = "error";
      snprintf(reason, sizeof reason, "probe status %s: %s", v.status, v.reason);
    }
  else
    {
      bool leaked = false;
      switch (p->leak)
        {
        case SBX_LEAK_CANARY: leaked = v.found_canary; snprintf(channel, sizeof channel, "%s", p->name); break;
        case SBX_LEAK_VISIBLE:
          /* Listed in /proc, or found by kill() where /proc hides it: both are a listing. */
          leaked = v.marker_visible || v.hidden_pids > 0;
          snprintf(channel, sizeof channel, "%s: %s", p->name,
                   v.marker_visible ? "the victim is listed" : "kill() finds pids that /proc hides");
          break;
        case SBX_LEAK_STOPPED: leaked = v.stopped; snprintf(channel, sizeof channel, "%s: SIGSTOP reached the victim", p->name); break;
        case SBX_LEAK_CAPS: leaked = v.dangerous[0] != '\0'; snprintf(channel, sizeof channel, "%s: %s", p->name, v.dangerous); break;
        case SBX_LEAK_HIJACK:
          {
            const char *tool = "";
            int h = hijack_check(b, env_canary, &tool, reason, sizeof reason);
            if (h < 0)
              raw = "error";
            leaked = h > 0;
            snprintf(channel, sizeof channel, "%s: the platform ran a planted %s", p->name, tool);
            break;
          }
        default: break;
        }
      if (strcmp(raw, "error") != 0)
        raw = leaked ? "leaked" : "clean";
      /* Tokens the probe had to drop may have held the canary: no claim then. */
      if (!leaked && v.found_dropped > 0 && strcmp(raw, "clean") == 0)
        {
          raw = "error";
          snprintf(reason, sizeof reason, "the probe dropped %d token(s) past its list: the canary may be among them",
                   v.found_dropped);
        }
      /* Nothing found proves nothing if the victim was gone: it removes its ready file when it ends. */
      if (strcmp(raw, "clean") == 0 && p->victim && !file_exists(b, ready))
        {
          raw = "error";
          snprintf(reason, sizeof reason, "the victim was gone before the probe finished");
        }
      if (leaked)
        {
          _cleanup_free_ char *evidence = evidence_of(doc, &v, p);
          add_text(cell, "evidence", evidence, 1000);
        }
      else
        channel[0] = '\0';
    }
stop:
  if (handle != NULL)
    {
      struct sbx_error stop_err = { 0 };
      if (sbx_backend_stop(b, SBX_BCTX_PLATFORM, handle, STOP_GRACE_MS, &stop_err) < 0)
        snprintf(cleanup, sizeof cleanup, "stop failed: %s: %s", stop_err.code, stop_err.message);
      else if (file_exists(b, ready))
        snprintf(cleanup, sizeof cleanup, "the victim's ready file is still there: its cleanup did not run");
      else
        snprintf(cleanup, sizeof cleanup, "ok");
    }
done:
  cJSON_AddStringToObject(cell, "raw", raw);
  if (channel[0] != '\0')
    cJSON_AddStringToObject(cell, "channel", channel);
  if (reason[0] != '\0')
    cJSON_AddStringToObject(cell, "reason", reason);
  cJSON_AddStringToObject(cell, "victimCleanup", cleanup);
  cJSON_AddNumberToObject(cell, "ms", sbx_monotonic_ms() - start);
  if (doc != NULL)
    cJSON_AddItemToObject(cell, "output", doc);
  else if (res.out != NULL || res.err != NULL)
    {
      add_text(cell, "stdout", res.out, 4000);
      add_text(cell, "stderr", res.err, 4000);
    }
  sbx_bresult_free(&res);
  return cell;
}

/* ---- one backend ---- */

static int read_tool(const char *name, char **data, size_t *len, struct sbx_error *err)
{
  const char *path = sbx_harness_tool(name);
  FILE *f;
  long size;

  if (path == NULL)
    return sbx_error_set(err, ENOENT, SBX_E_FILE_NOT_FOUND, "cannot find %s (set %s)", name,
                         strcmp(name, "splitbox-probe") == 0 ? "SBX_PROBE" : "SBX_VICTIM");
  f = fopen(path, "re");
  if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0
      || (*data = malloc((size_t)size)) == NULL || fread(*data, 1, (size_t)size, f) != (size_t)size)
    {
      int e = errno;
      free(*data);
      *data = NULL;
      if (f != NULL)
        fclose(f);
      return sbx_error_errno(err, e ? e : EIO, SBX_E_INTERNAL, "read %s", path);
    }
  fclose(f);
  *len = (size_t)size;
  return 0;
}

/* The probe and the victim, into the shared dir, executable from both sides. */
static int stage(struct sbx_backend *b, const struct tools *t, struct sbx_error *err)
{
  _cleanup_free_ char *cmd = NULL;
  struct sbx_bexec req = { 0 };
  struct sbx_bresult res;

  if (sbx_backend_write(b, "splitbox-probe", t->probe, t->probe_len, err) < 0
      || sbx_backend_write(b, "splitbox-victim", t->victim, t->victim_len, err) < 0)
    return sbx_error_prefix(err, "stage the probe and the victim");
  {
    _cleanup_free_ char *qs = sbx_shell_quote(sbx_backend_shared_path(b, SBX_BCTX_PLATFORM));
    if (qs == NULL || asprintf(&cmd, "S=%s; chmod 755 \"$S/splitbox-probe\" \"$S/splitbox-victim\"", qs) < 0)
      abort();
  }
  req.command = cmd;
  req.timeout_ms = 30000;
  if (sbx_backend_exec(b, SBX_BCTX_PLATFORM, &req, &res, err) < 0)
    return sbx_error_prefix(err, "make the staged tools executable");
  if (res.exit_code != 0)
    {
      sbx_error_set(err, EIO, SBX_E_SANDBOX, "chmod of the staged tools exited %d: %.200s", res.exit_code, res.err);
      sbx_bresult_free(&res);
      return -1;
    }
  sbx_bresult_free(&res);
  return 0;
}

static cJSON *backend_json(const char *name, const struct sbx_backend_info *info, const char *load_error)
{
  cJSON *o = cJSON_CreateObject();

  cJSON_AddStringToObject(o, "name", info != NULL ? info->name : name);
  if (info != NULL)
    {
      cJSON_AddStringToObject(o, "kind", info->kind);
      cJSON_AddStringToObject(o, "description", info->description);
      cJSON_AddStringToObject(o, "spec", info->path);
      cJSON_AddBoolToObject(o, "positiveControl", info->positive_control);
      cJSON_AddStringToObject(o, "secrets", info->sandbox_env ? "sandbox" : "call");
    }
  cJSON_AddBoolToObject(o, "available", info != NULL && info->available && load_error == NULL);
  if (load_error != NULL)
    cJSON_AddStringToObject(o, "reason", load_error);
  else if (info != NULL && !info->available)
    cJSON_AddStringToObject(o, "reason", info->reason);
  return o;
}

static void progress(bool quiet, size_t *done, size_t total, const cJSON *cell)
{
  const char *outcome = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cell, "raw"));
  const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cell, "reason"));

  ++*done;
  if (quiet)
    return;
  fprintf(stderr, "[%3zu/%zu] %-20s %-14s %-11s %5.0f ms%s%s\n", *done, total,
          cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cell, "backend")),
          cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cell, "probe")), outcome,
          cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cell, "ms")), why ? "  " : "", why ? why : "");
}

/* Every probe against one backend; cells are appended to cells. */
static void audit_backend(const char *name, const struct sbx_probe_def *const *probes, size_t n_probes,
                          const struct tools *t, cJSON *backends, cJSON *cells, bool quiet, size_t *done, size_t total)
{
  struct sbx_backend *b = NULL;
  struct sbx_error err = { 0 };
  const char *why = NULL;
  char reason[1024] = "";

  if (sbx_backend_load(name, &b, &err) < 0)
    {
      snprintf(reason, sizeof reason, "%s: %s", err.code, err.message);
      why = reason;
    }
  cJSON_AddItemToArray(backends, backend_json(name, b != NULL ? sbx_backend_info(b) : NULL, why));
  if (why == NULL && !sbx_backend_info(b)->available)
    {
      snprintf(reason, sizeof reason, "backend unavailable: %s", sbx_backend_info(b)->reason);
      why = reason;
    }
  else if (why == NULL && (sbx_backend_open(b, &err) < 0 || stage(b, t, &err) < 0))
    {
      snprintf(reason, sizeof reason, "backend failed: %s: %s", err.code, err.message);
      why = reason;
    }
  for (size_t i = 0; i < n_probes; i++)
    {
      cJSON *cell;
      if (why != NULL)
        {
          bool unavailable = strncmp(why, "backend unavailable", 19) == 0;
          cell = cJSON_CreateObject();
          cJSON_AddStringToObject(cell, "backend", b != NULL ? sbx_backend_info(b)->name : name);
          cJSON_AddStringToObject(cell, "probe", probes[i]->name);
          cJSON_AddStringToObject(cell, "row", probes[i]->row);
          cJSON_AddStringToObject(cell, "raw", unavailable ? "unsupported" : "error");
          cJSON_AddStringToObject(cell, "reason", why);
          cJSON_AddNumberToObject(cell, "ms", 0);
        }
      else
        cell = run_cell(b, probes[i], t);
      progress(quiet, done, total, cell);
      cJSON_AddItemToArray(cells, cell);
    }
  sbx_backend_close(b);
}

/* ---- the whole audit ---- */

static void classify_all(cJSON *cells, const char *control)
{
  cJSON *cell, *other;

  cJSON_ArrayForEach(cell, cells)
    {
      const char *backend = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cell, "backend"));
      const char *probe = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cell, "probe"));
      const char *raw = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cell, "raw"));
      bool is_control = strcmp(backend, control) == 0, control_leaked = false;
      const char *outcome;

      cJSON_ArrayForEach(other, cells)
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(other, "backend")), control) == 0
            && strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(other, "probe")), probe) == 0)
          control_leaked = strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(other, "raw")), "leaked") == 0;
      outcome = sbx_audit_classify(raw, control_leaked, is_control);
      cJSON_AddStringToObject(cell, "outcome", outcome);
      if (strcmp(outcome, SBX_OUTCOME_UNVERIFIED) == 0)
        cJSON_AddStringToObject(cell, "unverifiedBecause",
                                is_control ? "this is the positive control, and it found nothing: the probe proves nothing in this run"
                                           : "the probe found nothing here, but it found nothing on the positive control either");
    }
}

/* Every backend's own name, once: the report keys cells by name, and the
 * control must be the control (first, with positiveControl), not a spec that
 * calls itself "none". Specs that do not load are reported in their cells. */
static int check_names(const char **names, size_t n, struct sbx_error *err)
{
  char seen[64][64];
  size_t n_seen = 0;

  if (n > 64)
    return sbx_error_set(err, E2BIG, SBX_E_VALIDATION, "at most 63 backends in one audit");

  for (size_t i = 0; i < n; i++)
    {
      struct sbx_backend *b = NULL;
      struct sbx_error lerr = { 0 };
      const char *name;
      if (sbx_backend_load(names[i], &b, &lerr) < 0)
        {
          if (i == 0)
            return sbx_error_set(err, ENOENT, SBX_E_FILE_NOT_FOUND, "the positive control %s: %s", names[0], lerr.message);
          continue;
        }
      name = sbx_backend_info(b)->name;
      if (i == 0 && !sbx_backend_info(b)->positive_control)
        {
          sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "the control spec %s is not marked \"positiveControl\"",
                        sbx_backend_info(b)->path);
          sbx_backend_close(b);
          return -1;
        }
      if (i > 0 && sbx_backend_info(b)->positive_control)
        {
          sbx_error_set(err, EINVAL, SBX_E_VALIDATION,
                        "%s calls itself a positive control: the audit has one, `%s`", sbx_backend_info(b)->path,
                        SBX_AUDIT_CONTROL);
          sbx_backend_close(b);
          return -1;
        }
      for (size_t k = 0; k < n_seen; k++)
        if (strcmp(seen[k], name) == 0)
          {
            sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "two backends of this audit are named \"%s\" (%s)", name,
                          names[i]);
            sbx_backend_close(b);
            return -1;
          }
      if (n_seen < 64)
        snprintf(seen[n_seen++], sizeof seen[0], "%s", name);
      sbx_backend_close(b);
    }
  return 0;
}

static cJSON *string_array(const char *const *v, size_t n)
{
  cJSON *a = cJSON_CreateArray();
  for (size_t i = 0; i < n; i++)
    cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
  return a;
}

int sbx_audit_run(const struct sbx_audit_options *o, cJSON **report, struct sbx_error *err)
{
  _cleanup_free_ const struct sbx_probe_def **probes = NULL;
  _cleanup_strv_ char **all = NULL;
  _cleanup_free_ const char **names = NULL;
  struct tools t = { 0 };
  size_t n_probes = 0, n_names = 0, done = 0;
  cJSON *doc, *backends, *cells, *summary;
  char ts[40];
  time_t now = time(NULL);
  double start = sbx_monotonic_ms();

  *report = NULL;
  probes = calloc(sbx_probe_count, sizeof *probes);
  if (probes == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "audit");
  for (const char *const *p = o->probes; p != NULL && *p != NULL; p++)
    {
      const struct sbx_probe_def *def = sbx_probe_find(*p);
      bool dup = false;
      if (def == NULL)
        return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "unknown probe \"%s\" (splitbox-probe --list)", *p);
      for (size_t k = 0; k < n_probes; k++)
        dup = dup || probes[k] == def;
      if (!dup)
        probes[n_probes++] = def;
    }
  if (o->probes == NULL)
    for (size_t i = 0; i < sbx_probe_count; i++)
      probes[n_probes++] = &sbx_probes[i];
  if (o->backends == NULL && sbx_backend_list(&all, err) < 0)
    return -1;
  /* The control first, named or not; then the rest, once each. */
  {
    const char *const *asked = o->backends != NULL ? o->backends : (const char *const *)all;
    size_t n_asked = 0;
    while (asked[n_asked] != NULL)
      n_asked++;
    names = calloc(n_asked + 2, sizeof *names);
    if (names == NULL)
      return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "audit");
    names[n_names++] = SBX_AUDIT_CONTROL;
    for (size_t i = 0; i < n_asked; i++)
      {
        bool dup = false;
        for (size_t k = 0; k < n_names; k++)
          dup = dup || strcmp(names[k], asked[i]) == 0;
        if (!dup)
          names[n_names++] = asked[i];
      }
  }
  if (check_names(names, n_names, err) < 0)
    return -1;
  if ((t.probe = NULL, read_tool("splitbox-probe", &t.probe, &t.probe_len, err)) < 0
      || read_tool("splitbox-victim", &t.victim, &t.victim_len, err) < 0)
    {
      free(t.probe);
      return -1;
    }
  doc = cJSON_CreateObject();
  cJSON_AddStringToObject(doc, "schema", "splitbox-audit/1");
  strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
  cJSON_AddStringToObject(doc, "started", ts);
  cJSON_AddStringToObject(doc, "control", SBX_AUDIT_CONTROL);
  cJSON_AddItemToObject(doc, "host", sbx_host_conditions());
  {
    cJSON *rows = cJSON_AddArrayToObject(doc, "rows"), *pa = cJSON_AddArrayToObject(doc, "probes");
    for (size_t i = 0; i < sbx_row_count; i++)
      {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "name", sbx_rows[i].name);
        cJSON_AddStringToObject(r, "kind", sbx_rows[i].kind);
        cJSON_AddBoolToObject(r, "design", sbx_rows[i].design);
        cJSON_AddItemToArray(rows, r);
      }
    for (size_t i = 0; i < n_probes; i++)
      {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "name", probes[i]->name);
        cJSON_AddStringToObject(p, "row", probes[i]->row);
        cJSON_AddItemToArray(pa, p);
      }
  }
  backends = cJSON_AddArrayToObject(doc, "backends");
  cells = cJSON_AddArrayToObject(doc, "cells");
  for (size_t i = 0; i < n_names; i++)
    audit_backend(names[i], probes, n_probes, &t, backends, cells, o->quiet, &done, n_names * n_probes);
  classify_all(cells, SBX_AUDIT_CONTROL);
  summary = cJSON_AddObjectToObject(doc, "summary");
  {
    static const char *const outcomes[] = { SBX_OUTCOME_LEAKED, SBX_OUTCOME_BLOCKED, SBX_OUTCOME_UNVERIFIED,
                                            SBX_OUTCOME_NA, SBX_OUTCOME_ERROR };
    cJSON *cell;
    for (size_t k = 0; k < sizeof outcomes / sizeof outcomes[0]; k++)
      {
        int count = 0;
        cJSON_ArrayForEach(cell, cells)
          count += strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cell, "outcome")), outcomes[k]) == 0;
        cJSON_AddNumberToObject(summary, outcomes[k], count);
      }
  }
  /* A short benchmark of the same backends: the report's latency section. */
  if (!o->no_latency)
    {
      static const char *const ops[] = { "user.exec", "platform.exec", "shared.readFile-4KiB", "callPlatformOperation",
                                         NULL };
      struct sbx_bench_options bo = { .backends = names, .ops = ops, .runs = 10, .warmup = 2, .concurrency = 1,
                                      .quiet = true };
      cJSON *latency = NULL;
      struct sbx_error berr = { 0 };
      if (!o->quiet)
        fprintf(stderr, "splitbox audit: measuring latency (splitbox bench, 10 runs per operation)\n");
      if (sbx_bench_run(&bo, &latency, &berr) == 0)
        cJSON_AddItemToObject(doc, "latency", latency);
    }
  cJSON_AddNumberToObject(doc, "durationMs", sbx_monotonic_ms() - start);
  cJSON_AddItemToObject(doc, "backendNames", string_array(names, n_names));
  free(t.probe);
  free(t.victim);
  *report = doc;
  return 0;
}
