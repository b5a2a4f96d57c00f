#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
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

/* What one probe's run showed, before the control is known: the cell's
 * "raw" in reports/schema.json. */
enum cell_raw
{
  CELL_CLEAN,
  CELL_LEAKED,
  CELL_UNSUPPORTED,
  CELL_ERROR,
};

static const char *const cell_raw_names[] = {
  [CELL_CLEAN] = "clean",
  [CELL_LEAKED] = "leaked",
  [CELL_UNSUPPORTED] = "unsupported",
  [CELL_ERROR] = "error",
};

static const char *cell_raw_name(enum cell_raw raw)
{
  return cell_raw_names[raw];
}

/* A cell's raw as a report has it; anything else is an error. */
static enum cell_raw cell_raw_parse(const char *name)
{
  for (size_t i = 0; name != NULL && i < sizeof cell_raw_names / sizeof cell_raw_names[0]; i++)
    if (strcmp(name, cell_raw_names[i]) == 0)
      return (enum cell_raw)i;
  return CELL_ERROR;
}

const char *sbx_audit_classify(const char *raw, bool control_leaked, bool is_control)
{
  switch (cell_raw_parse(raw))
    {
    case CELL_LEAKED:
      return SBX_OUTCOME_LEAKED;
    case CELL_UNSUPPORTED:
      return SBX_OUTCOME_NA;
    case CELL_CLEAN:
      /* Found nothing: a finding only if the same probe found the leak where it is real. */
      return control_leaked && !is_control ? SBX_OUTCOME_BLOCKED : SBX_OUTCOME_UNVERIFIED;
    case CELL_ERROR:
    default:
      return SBX_OUTCOME_ERROR;
    }
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

bool sbx_audit_technique_missing(const struct sbx_probe_def *p, const char *report, char *why, size_t size)
{
  char missing[128];

  if (!verdict_missing_technique(report, p->techniques, missing, sizeof missing))
    return false;
  snprintf(why, size, "the probe made no attempt at %s: nothing is proven about it", missing);
  return true;
}

/* ---- one cell ---- */

struct tools
{
  char *probe, *victim;
  size_t probe_len, victim_len;
};

/* One probe against one backend, from its fresh canary to its JSON. */
struct cell
{
  struct sbx_backend *b;  /* the probe runs as its user code */
  struct sbx_backend *vb; /* the victim's: b, or tenant B (another sandbox of b's backend) */
  enum sbx_bctx vctx;     /* the victim's context there */
  const struct sbx_probe_def *p;
  const struct tools *t;
  double start;
  char canary[64], marker[16], env_canary[96], ready[64];
  char nonce[33]; /* echoed by the probe: its report is this cell's */
  char *handle;           /* the victim, while it runs */
  struct sbx_bresult res; /* the probe's run */
  cJSON *doc;             /* the probe's JSON */
  struct verdict v;
  enum cell_raw raw;
  char *evidence;         /* when leaked */
  char channel[1100];
  /* Room for any cell_fail text: a short prefix with an error's code and
   * message, the probe's status and reason, or 300 bytes of its stderr. */
  char reason[1024];
  char cleanup[sizeof "stop failed: : " + sizeof ((struct sbx_error *)0)->code
               + sizeof ((struct sbx_error *)0)->message];
};

static void cell_free(struct cell *c)
{
  free(c->handle);
  sbx_bresult_free(&c->res);
  cJSON_Delete(c->doc);
  free(c->evidence);
}

/* The cell is an error, with why: a cell that cannot be computed is never BLOCKED. */
static int cell_fail(struct cell *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int cell_fail(struct cell *c, const char *fmt, ...)
{
  va_list ap;

  c->raw = CELL_ERROR;
  va_start(ap, fmt);
  vsnprintf(c->reason, sizeof c->reason, fmt, ap);
  va_end(ap);
  return -1;
}

/* bytes random bytes, as hex, at out (room for 2 * bytes + 1). */
static int random_hex(char *out, size_t bytes)
{
  unsigned char raw[32];
  ssize_t n;

  if (bytes > sizeof raw)
    {
      errno = EINVAL;
      return -1;
    }
  while ((n = getrandom(raw, bytes, 0)) < 0 && errno == EINTR)
    ;
  if (n != (ssize_t)bytes)
    {
      if (n >= 0)
        errno = EIO;
      return -1;
    }
  for (size_t i = 0; i < bytes; i++)
    sprintf(out + 2 * i, "%02x", raw[i]);
  return 0;
}

static void add_text(cJSON *o, const char *name, const char *text, size_t max)
{
  _cleanup_free_ char *copy = strndup(text != NULL ? text : "", max);
  cJSON_AddStringToObject(o, name, copy != NULL ? copy : "");
}

/* What the probe reached: its successful attempts. The evidence is capped on
 * purpose (six attempts, buf): cutting it short is the limit, not an error. */
static char *evidence_of(const cJSON *probe_doc, const struct verdict *v, const struct sbx_probe_def *p)
{
  const cJSON *attempts = cJSON_GetObjectItemCaseSensitive(probe_doc, "attempts"), *a;
  char buf[2560] = "";
  size_t used = 0;
  int shown = 0;

  if (p->leak == SBX_LEAK_TENANT && !v->found_canary)
    used += (size_t)snprintf(buf, sizeof buf, "%s; ", v->stopped ? "the other sandbox's victim was stopped"
                                                   : v->marker_visible ? "the other sandbox's victim is visible"
                                                                       : "kill() finds pids that /proc hides");
  else if (p->leak == SBX_LEAK_CANARY || p->leak == SBX_LEAK_TENANT || (p->leak == SBX_LEAK_EXECUTE && v->found_canary))
    used += (size_t)snprintf(buf, sizeof buf, "the run's canary among %d token(s) found; ", v->stale_tokens + 1);
  else if (p->leak == SBX_LEAK_EXECUTE)
    used += (size_t)snprintf(buf, sizeof buf, "a platform execute from user code ran at %s; ", v->executed);
  else if (p->leak == SBX_LEAK_CAPS)
    {
      const cJSON *obs = cJSON_GetObjectItemCaseSensitive(probe_doc, "observed");
      const char *held = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obs, "held"));
      const char *gain = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obs, "gainable"));
      const char *via = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obs, "gainable_via"));
      if (held != NULL || gain != NULL)
        used += (size_t)snprintf(buf, sizeof buf, "held: %s; gainable%s%s: %s; ", held && held[0] ? held : "none",
                                 via ? " through " : "", via ? via : "", gain && gain[0] ? gain : "none");
      else
        used += (size_t)snprintf(buf, sizeof buf, "open to user code: %s; ", v->dangerous);
    }
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
 * names it); 0: none did; -1: the platform command itself failed (the cell
 * says why). */
static int hijack_check(struct cell *c, const char **tool)
{
  static const char *const tools[] = { "zip", "aws", "git", "sh", "env" };
  const char *env_npm[] = { "PATH=node_modules/.bin:/usr/local/bin:/usr/bin:/bin", c->env_canary, NULL };
  const char *env_plain[] = { c->env_canary, NULL };
  struct sbx_bexec req = { .command = HIJACK_COMMAND " >/dev/null 2>&1", .env = env_npm,
                           .cwd = sbx_backend_shared_path(c->b, SBX_BCTX_PLATFORM), .timeout_ms = 30000 };
  struct sbx_bresult res;
  struct sbx_error err = { 0 };
  int r = sbx_backend_exec(c->b, SBX_BCTX_PLATFORM, &req, &res, &err);

  if (r < 0 && strcmp(err.code, SBX_E_VALIDATION) == 0)
    {
      req.env = env_plain;
      memset(&err, 0, sizeof err);
      r = sbx_backend_exec(c->b, SBX_BCTX_PLATFORM, &req, &res, &err);
    }
  if (r < 0)
    return cell_fail(c, "the platform command in the shared dir did not run: %s: %s", err.code, err.message);
  if (res.exit_code != 0 || res.timed_out)
    {
      cell_fail(c, "the platform command in the shared dir failed (exit %d%s)", res.exit_code,
                res.timed_out ? ", timed out" : "");
      sbx_bresult_free(&res);
      return -1;
    }
  sbx_bresult_free(&res);
  for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
    {
      char rel[128];
      snprintf(rel, sizeof rel, ".splitbox-hijacked-%s", tools[i]);
      if (!file_exists(c->b, rel))
        snprintf(rel, sizeof rel, "node_modules/.bin/.splitbox-hijacked-%s", tools[i]);
      if (file_exists(c->b, rel))
        {
          *tool = tools[i];
          return 1;
        }
    }
  return 0;
}

/* symlink-deputy: a deploy-like platform step in the shared dir (append to
 * a log, copy a config), over the probe's plants. The step itself says
 * whether the names were symlinks and whether its line landed outside (in
 * the private dir, where the plant points; it removes that file), then the
 * copy is read back by the backend's read, which refuses symlinks. 1: the
 * platform followed a plant (*how says which), 0: it did not, -1: the step
 * failed or saw no plant of a probe that planted (an ERROR). */
static int deputy_check(struct cell *c, char *how, size_t how_len)
{
  const cJSON *obs = cJSON_GetObjectItemCaseSensitive(c->doc, "observed");
  const char *planted = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obs, "planted"));
  _cleanup_free_ char *qp = sbx_shell_quote(sbx_backend_private_path(c->b)), *cmd = NULL;
  const char *env[] = { c->env_canary, NULL };
  struct sbx_bexec req = { .env = env, .cwd = sbx_backend_shared_path(c->b, SBX_BCTX_PLATFORM), .timeout_ms = 30000 };
  struct sbx_bresult res;
  struct sbx_error err = { 0 };
  bool wrote, copied = false, saw_cfg, saw_out;
  char rel[64];

  if (qp == NULL
      || asprintf(&cmd,
                  "M=%s; P=%s; [ -L cfg-$M.json ] && echo cfg-is-symlink; [ -L out-$M.log ] && echo out-is-symlink; "
                  "(echo deploy-$M >> out-$M.log) 2>/dev/null; cp cfg-$M.json cfg-$M.bak 2>/dev/null; "
                  "grep -q deploy-$M \"$P/deputy-$M.log\" 2>/dev/null && echo wrote-outside; "
                  "rm -f \"$P/deputy-$M.log\"; echo step-done",
                  c->marker, qp)
           < 0)
    {
      cmd = NULL;
      return cell_fail(c, "the deploy step: %s", strerror(ENOMEM));
    }
  req.command = cmd;
  if (sbx_backend_exec(c->b, SBX_BCTX_PLATFORM, &req, &res, &err) < 0)
    return cell_fail(c, "the deploy step in the shared dir did not run: %s: %s", err.code, err.message);
  if (res.timed_out || res.out == NULL || strstr(res.out, "step-done") == NULL)
    {
      cell_fail(c, "the deploy step in the shared dir did not finish (exit %d%s): %.200s", res.exit_code,
                res.timed_out ? ", timed out" : "", res.err != NULL ? res.err : "");
      sbx_bresult_free(&res);
      return -1;
    }
  saw_cfg = strstr(res.out, "cfg-is-symlink") != NULL;
  saw_out = strstr(res.out, "out-is-symlink") != NULL;
  wrote = strstr(res.out, "wrote-outside") != NULL;
  sbx_bresult_free(&res);
  snprintf(rel, sizeof rel, "cfg-%s.bak", c->marker);
  {
    char *data = NULL;
    size_t len = 0;
    struct sbx_error rerr = { 0 };
    if (sbx_backend_read(c->b, rel, &data, &len, &rerr) == 0)
      copied = len > 0 && memmem(data, len, c->canary, strlen(c->canary)) != NULL;
    free(data);
  }
  /* The plants and the copy are ours: gone before the next cell. */
  {
    _cleanup_free_ char *rm = NULL;
    struct sbx_bexec rreq = { .cwd = req.cwd, .timeout_ms = 30000 };
    if (asprintf(&rm, "M=%s; rm -f cfg-$M.json cfg-$M.bak out-$M.log", c->marker) >= 0)
      {
        rreq.command = rm;
        memset(&err, 0, sizeof err);
        if (sbx_backend_exec(c->b, SBX_BCTX_PLATFORM, &rreq, &res, &err) == 0)
          sbx_bresult_free(&res);
      }
  }
  snprintf(how, how_len, "%s%s%s", copied ? "the platform's copy brought the private canary into the shared dir" : "",
           copied && wrote ? "; " : "", wrote ? "the platform's append wrote outside the shared dir" : "");
  if (copied || wrote)
    return 1;
  /* Nothing followed: a claim only if the platform step saw what the probe planted. */
  if (planted != NULL && atoi(planted) == 2 && !(saw_cfg && saw_out))
    return cell_fail(c, "the probe planted two symlinks but the platform step saw %s: not the same shared dir?",
                     saw_cfg ? "only cfg" : saw_out ? "only out" : "neither");
  return 0;
}

static int stage(struct sbx_backend *b, const struct tools *t, struct sbx_error *err);

/* The run's canary, and the marker that names this cell's victim and files. */
static int make_secrets(struct cell *c)
{
  if (random_hex(c->canary + strlen(c->canary), 16) < 0 || random_hex(c->marker + 4, 5) < 0 || random_hex(c->nonce, 16) < 0)
    return cell_fail(c, "make the run's canary: getrandom: %s", strerror(errno));
  snprintf(c->env_canary, sizeof c->env_canary, "AWS_SECRET_ACCESS_KEY=%s", c->canary);
  snprintf(c->ready, sizeof c->ready, ".ready-%s", c->marker);
  return 0;
}

/* Today's SDK: the secret is the whole sandbox's (setEnvVars). */
static int give_sandbox_env(struct cell *c)
{
  const char *env[] = { c->env_canary, NULL }, *none[] = { NULL };
  struct sbx_error err = { 0 };
  int r;

  if (!sbx_backend_info(c->b)->sandbox_env)
    return 0;
  /* Across tenants the canary is B's victim's alone: A's sandbox env holds none, not even an earlier
   * cell's (a stale token would make the cell an ERROR, and hide nothing). */
  r = sbx_backend_set_sandbox_env(c->b, c->p->place != SBX_VICTIM_PLATFORM ? none : env, &err);
  /* A fresh sandbox: the tools go into its shared dir again. */
  if (r < 0 || (r == 1 && stage(c->b, c->t, &err) < 0))
    return cell_fail(c, "set the sandbox's env: %s: %s", err.code, err.message);
  return 0;
}

/* The platform-side process that holds the canary, for the probes that look
 * for one; ready once it has written its ready file. The paths are read now:
 * a fresh sandbox (give_sandbox_env) may have moved them. */
static int start_victim(struct cell *c)
{
  /* In user code (tenant B's), the victim's private dir is its own sandbox's shared dir, and it holds
   * only what user code may (--user-code: no key, for keyctl is denied there by design). */
  const char *priv = c->vctx == SBX_BCTX_USER ? sbx_backend_shared_path(c->vb, SBX_BCTX_USER)
                                              : sbx_backend_private_path(c->vb);
  _cleanup_free_ char *qp = NULL, *qs = NULL, *env_home = NULL, *cmd = NULL, *tenant_wait = NULL;
  const char *env[] = { c->env_canary, NULL, NULL };
  struct sbx_bexec req = { .env = env };
  struct sbx_error err = { 0 };
  char api[96] = "", owned[96] = "";

  if (!c->p->victim)
    return 0;
  /* The stand-in executor API, for the probe that looks for one. */
  if (c->p->api_socket)
    snprintf(api, sizeof api, " --api-socket \"$P\"/api-%s.sock", c->marker);
  /* A platform step's 0600 output in the shared dir, for the probe that tries to take it. */
  if (c->p->shared_secret)
    snprintf(owned, sizeof owned, " --shared-secret \"$S\"/.splitbox-owned-%s", c->marker);
  qp = sbx_shell_quote(priv);
  qs = sbx_shell_quote(sbx_backend_shared_path(c->vb, c->vctx));
  /* HOME in the private dir: the victim writes ~/.aws/credentials, never the host's. No exec: the shell
   * may be a server's session shell. Stopping the handle signals the whole process group: the shell's
   * trap keeps it alive until the victim has cleaned up and exited (a shell that died first would end a
   * sandbox's command, and its supervisor would SIGKILL the victim before its cleanup). */
  if (qp == NULL || qs == NULL || asprintf(&env_home, "HOME=%s/home-%s", priv, c->marker) < 0)
    {
      env_home = NULL;
      return cell_fail(c, "start the victim: %s", strerror(ENOMEM));
    }
  /* Across tenants, a clean probe is a claim only if B's victim was there to be found by its marker,
   * as A's probe looks for it: the shell that started it looks in its own namespaces (B's platform
   * commands may each have fresh ones) and says so in the shared dir (.seen-M), then waits for it. */
  if (c->vb != c->b
      && asprintf(&tenant_wait,
                  " & v=$!; n=0; until grep -qx %s /proc/[0-9]*/comm 2>/dev/null || [ $n -ge 500 ]; do n=$((n+1)); "
                  "sleep 0.02; done; grep -qx %s /proc/[0-9]*/comm 2>/dev/null && : > \"$S/.seen-%s\"; "
                  "while kill -0 $v 2>/dev/null; do wait $v; done; rm -f \"$S/.seen-%s\"",
                  c->marker, c->marker, c->marker, c->marker)
           < 0)
    tenant_wait = NULL;
  if ((c->vb != c->b && tenant_wait == NULL)
      || asprintf(&cmd,
                  "trap : TERM; P=%s; S=%s; mkdir -p \"$P/home-%s\" || exit 1; ASAN_OPTIONS=detect_leaks=0 "
                  "\"$S/splitbox-victim\" --marker %s --private-dir \"$P\" --ready-file \"$S/%s\"%s%s%s%s%s",
                  qp, qs, c->marker, c->marker, c->ready, api, owned, c->p->argv_canary ? " --argv-canary" : "",
                  c->vctx == SBX_BCTX_USER ? " --user-code" : "", tenant_wait != NULL ? tenant_wait : "")
           < 0)
    {
      cmd = NULL;
      return cell_fail(c, "start the victim: %s", strerror(ENOMEM));
    }
  env[1] = env_home;
  req.command = cmd;
  if (sbx_backend_start(c->vb, c->vctx, &req, &c->handle, &err) < 0)
    return cell_fail(c, "start the victim: %s: %s", err.code, err.message);
  if (!wait_for_file(c->vb, c->ready, READY_TIMEOUT_MS))
    return cell_fail(c, "the victim did not get ready within %d ms", READY_TIMEOUT_MS);
  if (c->vb != c->b)
    {
      char seen[64];
      snprintf(seen, sizeof seen, ".seen-%s", c->marker);
      if (!wait_for_file(c->vb, seen, READY_TIMEOUT_MS))
        return cell_fail(c, "the victim in the other sandbox's %s was not found by its marker there within %d ms: "
                            "nothing to reach", c->vctx == SBX_BCTX_USER ? "user code" : "platform", READY_TIMEOUT_MS);
    }
  return 0;
}

/* The endpoints the probe may send requests to: the backend's own API, and
 * the stand-in API the victim serves. Nothing else is ever written to. */
static char *endpoint_args(struct cell *c)
{
  const char *api = sbx_backend_api_endpoint(c->b);
  _cleanup_free_ char *stand_in = NULL, *q_api = NULL, *q_stand_in = NULL;
  char *out = NULL;

  if (c->p->api_socket && asprintf(&stand_in, "%s/api-%s.sock", sbx_backend_private_path(c->b), c->marker) < 0)
    return NULL;
  q_api = api != NULL ? sbx_shell_quote(api) : strdup("");
  q_stand_in = stand_in != NULL ? sbx_shell_quote(stand_in) : strdup("");
  if (q_api == NULL || q_stand_in == NULL
      || asprintf(&out, "%s%s%s%s", api != NULL ? " --endpoint " : "", q_api, stand_in != NULL ? " --endpoint " : "",
                  q_stand_in)
           < 0)
    return NULL;
  return out;
}

/* The probe, as user code. */
static int run_probe(struct cell *c)
{
  const char *host = sbx_backend_shared_host_path(c->b);
  _cleanup_free_ char *qu = sbx_shell_quote(sbx_backend_shared_path(c->b, SBX_BCTX_USER)), *cmd = NULL;
  _cleanup_free_ char *endpoints = endpoint_args(c);
  /* Where the platform keeps its files: probes that search by content or
   * aim a symlink at the private dir need it, in whatever place the backend chose. */
  _cleanup_free_ char *qp = sbx_shell_quote(sbx_backend_private_path(c->b));
  _cleanup_free_ char *qh = sbx_shell_quote(host != NULL ? host : "");
  struct sbx_bexec req = { .timeout_ms = PROBE_TIMEOUT_MS };
  struct sbx_error err = { 0 };

  /* No exec: a server may run every execute in one persistent shell per session, which an exec would end.
   * ASAN_OPTIONS: a sanitizer build's probe cannot stop the world for its leak check inside some
   * sandboxes (firejail); the leak check of an attack tool is not what the audit measures. */
  if (qu == NULL || endpoints == NULL || qp == NULL || qh == NULL
      || asprintf(&cmd,
                  "S=%s; ASAN_OPTIONS=detect_leaks=0 \"$S/splitbox-probe\" %s --marker %s --shared \"$S\" "
                  "--shared-host %s --private %s --nonce %s%s",
                  qu, c->p->name, c->marker, qh, qp, c->nonce, endpoints)
             < 0)
    {
      cmd = NULL;
      return cell_fail(c, "run the probe: %s", strerror(ENOMEM));
    }
  req.command = cmd;
  if (sbx_backend_exec(c->b, SBX_BCTX_USER, &req, &c->res, &err) < 0)
    return cell_fail(c, "run the probe: %s: %s", err.code, err.message);
  return 0;
}

/* Whether the probe reached what its row is about; the channel says how. */
static int leak_found(struct cell *c, bool *leaked)
{
  const struct verdict *v = &c->v;
  const char *name = c->p->name;

  *leaked = false;
  switch (c->p->leak)
    {
    case SBX_LEAK_CANARY:
      *leaked = v->found_canary;
      snprintf(c->channel, sizeof c->channel, "%s", name);
      break;
    case SBX_LEAK_VISIBLE:
      /* Listed in /proc, or found by kill() where /proc hides it: both are a listing. */
      *leaked = v->marker_visible || v->hidden_pids > 0;
      snprintf(c->channel, sizeof c->channel, "%s: %s", name,
               v->marker_visible ? "the victim is listed" : "kill() finds pids that /proc hides");
      break;
    case SBX_LEAK_STOPPED:
      *leaked = v->stopped;
      snprintf(c->channel, sizeof c->channel, "%s: SIGSTOP reached the victim", name);
      break;
    case SBX_LEAK_EXECUTE:
      *leaked = v->found_canary || v->executed[0] != '\0';
      if (v->executed[0] != '\0')
        snprintf(c->channel, sizeof c->channel, "%s: a platform execute from user code ran at %s", name, v->executed);
      else
        snprintf(c->channel, sizeof c->channel, "%s", name);
      break;
    case SBX_LEAK_TENANT:
      /* Like ps-scan: a pid alive behind /proc is a listing too; any of them is a reach into tenant B. */
      *leaked = v->found_canary || v->marker_visible || v->hidden_pids > 0 || v->stopped;
      snprintf(c->channel, sizeof c->channel, "%s: %s", name,
               v->found_canary ? "the other sandbox's canary" : v->stopped ? "SIGSTOP reached the other sandbox's victim"
               : v->marker_visible ? "the other sandbox's victim is listed" : "kill() finds pids that /proc hides");
      break;
    case SBX_LEAK_CAPS:
      *leaked = v->dangerous[0] != '\0';
      snprintf(c->channel, sizeof c->channel, "%s: %s", name, v->dangerous);
      break;
    case SBX_LEAK_DEPUTY:
      {
        char how[256] = "";
        int d = deputy_check(c, how, sizeof how);
        if (d < 0)
          return -1;
        *leaked = d > 0;
        snprintf(c->channel, sizeof c->channel, "%s: %s", name, how);
        break;
      }
    case SBX_LEAK_HIJACK:
      {
        const char *tool = "";
        int h = hijack_check(c, &tool);
        if (h < 0)
          return -1;
        *leaked = h > 0;
        snprintf(c->channel, sizeof c->channel, "%s: the platform ran a planted %s", name, tool);
        break;
      }
    default:
      break;
    }
  return 0;
}

/* What the probe's run means, against the rules of its row. */
static int classify(struct cell *c)
{
  const struct verdict *v = &c->v;
  bool leaked;

  c->doc = cJSON_Parse(c->res.out);
  c->v = verdict_read(c->res.out, c->canary);
  if (c->res.timed_out)
    return cell_fail(c, "the probe did not finish within %d ms", PROBE_TIMEOUT_MS);
  if (!v->parsed || c->doc == NULL)
    return cell_fail(c, "the probe printed no JSON (exit %d): %.300s", c->res.exit_code, c->res.err);
  /* A report that is not this probe's, for this cell, proves nothing: a
   * wrapper that printed its own, or output from another run. */
  if (strcmp(v->nonce, c->nonce) != 0)
    return cell_fail(c, "the probe's report does not carry this cell's nonce (%.40s): it is not this run's own",
                     v->nonce[0] != '\0' ? v->nonce : "none");
  if (strcmp(v->probe, c->p->name) != 0)
    return cell_fail(c, "the report is of the probe \"%s\", not \"%s\"", v->probe, c->p->name);
  if (strcmp(v->status, "unsupported") == 0)
    {
      c->raw = CELL_UNSUPPORTED;
      snprintf(c->reason, sizeof c->reason, "%s", v->reason[0] ? v->reason : "the technique does not exist here");
      return 0;
    }
  if (strcmp(v->status, "ran") != 0)
    return cell_fail(c, "probe status %s: %s", v->status, v->reason);
  if (leak_found(c, &leaked) < 0)
    return -1;
  if (leaked)
    {
      c->raw = CELL_LEAKED;
      c->evidence = evidence_of(c->doc, v, c->p);
      /* The platform step's finding is the evidence; the probe's plants only set it up. */
      if (c->p->leak == SBX_LEAK_DEPUTY && c->evidence != NULL)
        {
          char *with = NULL;
          if (asprintf(&with, "%s; %s", c->channel, c->evidence) >= 0)
            {
              free(c->evidence);
              c->evidence = with;
            }
        }
      return 0;
    }
  c->raw = CELL_CLEAN;
  c->channel[0] = '\0';
  if (v->attempts == 0)
    return cell_fail(c, "the probe ran but made no attempt: nothing was tried, nothing is proven");
  /* A technique skipped (a code path that returned early, a wrapper that broke
   * part of the probe) is not a technique blocked. */
  {
    char why[256];
    if (sbx_audit_technique_missing(c->p, c->res.out, why, sizeof why))
      return cell_fail(c, "%s", why);
  }
  /* A canary-shaped token that is not this run's: masked (***), mangled, or
   * another run's. The canary may have been there in another form. */
  if (v->stale_tokens > 0)
    return cell_fail(c, "the probe found %d canary-like token(s) that are not this run's canary (masked, mangled "
                        "or from another run): no claim",
                     v->stale_tokens);
  /* Tokens the probe had to drop may have held the canary: no claim then. */
  if (v->found_dropped > 0)
    return cell_fail(c, "the probe dropped %d token(s) past its list: the canary may be among them",
                     v->found_dropped);
  /* Nothing found proves nothing if the victim was gone: it removes its ready file when it ends. */
  if (c->p->victim && !file_exists(c->vb, c->ready))
    return cell_fail(c, "the victim was gone before the probe finished");
  return 0;
}

static void stop_victim(struct cell *c)
{
  struct sbx_error err = { 0 };

  if (c->handle == NULL)
    return;
  if (sbx_backend_stop(c->vb, c->vctx, c->handle, STOP_GRACE_MS, &err) < 0)
    snprintf(c->cleanup, sizeof c->cleanup, "stop failed: %s: %s", err.code, err.message);
  else if (file_exists(c->vb, c->ready))
    snprintf(c->cleanup, sizeof c->cleanup, "the victim's ready file is still there: its cleanup did not run");
  else
    snprintf(c->cleanup, sizeof c->cleanup, "ok");
}

/* The cell as reports/schema.json has it; NULL only without memory. */
static cJSON *cell_json(struct cell *c)
{
  cJSON *cell = cJSON_CreateObject();

  if (cell == NULL)
    return NULL;
  cJSON_AddStringToObject(cell, "backend", sbx_backend_info(c->b)->name);
  cJSON_AddStringToObject(cell, "probe", c->p->name);
  cJSON_AddStringToObject(cell, "row", c->p->row);
  if (c->raw == CELL_LEAKED)
    add_text(cell, "evidence", c->evidence, 1000);
  cJSON_AddStringToObject(cell, "raw", cell_raw_name(c->raw));
  if (c->channel[0] != '\0')
    cJSON_AddStringToObject(cell, "channel", c->channel);
  if (c->reason[0] != '\0')
    cJSON_AddStringToObject(cell, "reason", c->reason);
  cJSON_AddStringToObject(cell, "victimCleanup", c->cleanup);
  /* The victim's comm: what its processes carry, so that they can be found (and only they). */
  if (c->p->victim)
    cJSON_AddStringToObject(cell, "marker", c->marker);
  if (c->vb != NULL && c->vb != c->b)
    cJSON_AddStringToObject(cell, "victimIn", c->vctx == SBX_BCTX_USER ? "another sandbox's user code"
                                                                        : "another sandbox's platform");
  cJSON_AddNumberToObject(cell, "ms", sbx_monotonic_ms() - c->start);
  if (c->doc != NULL)
    cJSON_AddItemToObject(cell, "output", steal_pointer(&c->doc));
  else if (c->res.out != NULL || c->res.err != NULL)
    {
      add_text(cell, "stdout", c->res.out, 4000);
      add_text(cell, "stderr", c->res.err, 4000);
    }
  return cell;
}

/* tenant: B, another sandbox of b's backend, for the probes whose victim is there. */
static cJSON *run_cell(struct sbx_backend *b, struct sbx_backend *tenant, const struct sbx_probe_def *p,
                       const struct tools *t)
{
  _cleanup_(cell_free) struct cell c = { .b = b, .vb = b, .vctx = SBX_BCTX_PLATFORM, .p = p, .t = t,
                                         .start = sbx_monotonic_ms(), .canary = "SPLITBOX-CANARY-", .marker = "sbxm",
                                         .cleanup = "no victim" };

  if (p->place != SBX_VICTIM_PLATFORM)
    {
      c.vb = tenant;
      c.vctx = p->place == SBX_VICTIM_TENANT_USER ? SBX_BCTX_USER : SBX_BCTX_PLATFORM;
    }

  /* Each step stops the cell at its first error; the victim is stopped whatever happened. */
  if (make_secrets(&c) == 0 && give_sandbox_env(&c) == 0 && start_victim(&c) == 0 && run_probe(&c) == 0)
    classify(&c);
  stop_victim(&c);
  return cell_json(&c);
}

/* ---- one backend ---- */

static void tools_free(struct tools *t)
{
  free(t->probe);
  free(t->victim);
}

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

/* The probe and the victim, into the shared dir, executable from both sides. A chmod only where they are
 * not executable already: the platform may be another uid than the files' owner, which may not chmod them. */
static int stage(struct sbx_backend *b, const struct tools *t, struct sbx_error *err)
{
  _cleanup_free_ char *cmd = NULL, *qs = NULL;
  struct sbx_bexec req = { 0 };
  struct sbx_bresult res;

  if (sbx_backend_write(b, "splitbox-probe", t->probe, t->probe_len, err) < 0
      || sbx_backend_write(b, "splitbox-victim", t->victim, t->victim_len, err) < 0)
    return sbx_error_prefix(err, "stage the probe and the victim");
  qs = sbx_shell_quote(sbx_backend_shared_path(b, SBX_BCTX_PLATFORM));
  if (qs == NULL || asprintf(&cmd,
                             "S=%s; { test -x \"$S/splitbox-probe\" && test -x \"$S/splitbox-victim\"; } "
                             "|| chmod 755 \"$S/splitbox-probe\" \"$S/splitbox-victim\"",
                             qs) < 0)
    {
      cmd = NULL;
      return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "make the staged tools executable");
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

static void progress(const struct sbx_audit_options *o, size_t *done, size_t total, const cJSON *cell)
{
  const char *outcome = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cell, "raw"));
  const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cell, "reason"));
  const char *evidence = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cell, "evidence"));
  /* leaked red, clean green, error yellow: only where the caller said stderr is a terminal. */
  const char *on = !o->colour ? "" : strcmp(outcome, "leaked") == 0 ? "\033[31m" : strcmp(outcome, "clean") == 0 ? "\033[32m"
                                    : strcmp(outcome, "error") == 0 ? "\033[33m" : "";
  const char *off = on[0] != '\0' ? "\033[0m" : "";

  ++*done;
  if (o->quiet)
    return;
  fprintf(stderr, "[%3zu/%zu] %-20s %-14s %s%-11s%s %5.0f ms%s%s\n", *done, total,
          cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cell, "backend")),
          cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cell, "probe")), on, outcome, off,
          cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cell, "ms")), why ? "  " : "", why ? why : "");
  if (o->verbose && evidence != NULL)
    fprintf(stderr, "          %s\n", evidence);
}

/* A cell of a backend that did not open: unavailable here (N/A), or broken (ERROR). */
static cJSON *skipped_cell(const char *backend, const struct sbx_probe_def *p, bool unavailable, const char *why)
{
  cJSON *cell = cJSON_CreateObject();

  if (cell == NULL)
    return NULL;
  cJSON_AddStringToObject(cell, "backend", backend);
  cJSON_AddStringToObject(cell, "probe", p->name);
  cJSON_AddStringToObject(cell, "row", p->row);
  cJSON_AddStringToObject(cell, "raw", cell_raw_name(unavailable ? CELL_UNSUPPORTED : CELL_ERROR));
  cJSON_AddStringToObject(cell, "reason", why);
  cJSON_AddNumberToObject(cell, "ms", 0);
  return cell;
}

enum tenant_state
{
  TENANT_UNTRIED,
  TENANT_OPEN,
  TENANT_ONE,    /* the backend has one sandbox: N/A */
  TENANT_FAILED, /* it has more, but the second did not open: ERROR */
};

/* Tenant B, made once per backend at its first cross-tenant cell, with the
 * tools in its shared dir too. */
static enum tenant_state open_tenant(struct sbx_backend *b, const struct tools *t, cJSON *bj,
                                     struct sbx_backend **tenant, enum tenant_state *state, char *why, size_t len)
{
  struct sbx_error err = { 0 };
  int r;

  if (*state != TENANT_UNTRIED)
    return *state;
  r = sbx_backend_open_peer(b, tenant, &err);
  /* A second instance has a work directory of its own: named, so that a check can look at its own only. */
  if (*tenant != NULL && sbx_backend_workdir(*tenant) != NULL
      && strcmp(sbx_backend_workdir(*tenant), sbx_backend_workdir(b)) != 0)
    cJSON_AddStringToObject(bj, "secondSandboxWorkdir", sbx_backend_workdir(*tenant));
  if (r == 0 && stage(*tenant, t, &err) < 0)
    r = -1;
  if (r == 1)
    snprintf(why, len, "the backend has one sandbox (an http spec without \"sandbox\".\"create\", or a command "
                       "spec without \"secondSandbox\"): no other tenant to reach");
  else if (r < 0)
    snprintf(why, len, "the second sandbox: %s: %s", err.code, err.message);
  *state = r == 0 ? TENANT_OPEN : r == 1 ? TENANT_ONE : TENANT_FAILED;
  return *state;
}

/* Every probe against one backend; cells are appended to cells. A backend
 * that fails is in its cells; -1 only without memory for them. */
static int audit_backend(const char *name, const struct sbx_probe_def *const *probes, size_t n_probes,
                         const struct tools *t, cJSON *backends, cJSON *cells, const struct sbx_audit_options *o,
                         size_t *done, size_t total,
                         struct sbx_error *err)
{
  struct sbx_backend *b = NULL, *tenant = NULL;
  struct sbx_error berr = { 0 };
  const char *why = NULL;
  bool unavailable = false;
  enum tenant_state tenant_state = TENANT_UNTRIED;
  char tenant_why[1024] = "";
  /* Sized for a prefix and an error's code and message, or a backend's reason. */
  char reason[1024] = "";
  int r = 0;

  if (sbx_backend_load(name, &b, &berr) < 0)
    {
      snprintf(reason, sizeof reason, "%s: %s", berr.code, berr.message);
      why = reason;
    }
  cJSON *bj = backend_json(name, b != NULL ? sbx_backend_info(b) : NULL, why);
  cJSON_AddItemToArray(backends, bj);
  if (why == NULL && !sbx_backend_info(b)->available)
    {
      snprintf(reason, sizeof reason, "backend unavailable: %s", sbx_backend_info(b)->reason);
      why = reason;
      unavailable = true;
    }
  else if (why == NULL && (sbx_backend_open(b, &berr) < 0 || stage(b, t, &berr) < 0))
    {
      snprintf(reason, sizeof reason, "backend failed: %s: %s", berr.code, berr.message);
      why = reason;
    }
  /* What the run made on the host, and removes at close: so that a check can look at its own only. */
  if (b != NULL && sbx_backend_workdir(b) != NULL)
    cJSON_AddStringToObject(bj, "workdir", sbx_backend_workdir(b));
  for (size_t i = 0; i < n_probes; i++)
    {
      const char *cell_why = why;
      bool cell_unavailable = unavailable;
      cJSON *cell;
      if (cell_why == NULL && probes[i]->place != SBX_VICTIM_PLATFORM
          && open_tenant(b, t, bj, &tenant, &tenant_state, tenant_why, sizeof tenant_why) != TENANT_OPEN)
        {
          cell_why = tenant_why;
          cell_unavailable = tenant_state == TENANT_ONE;
        }
      cell = cell_why != NULL ? skipped_cell(b != NULL ? sbx_backend_info(b)->name : name, probes[i], cell_unavailable,
                                             cell_why)
                              : run_cell(b, tenant, probes[i], t);
      if (cell == NULL)
        {
          r = sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "audit %s", name);
          break;
        }
      progress(o, done, total, cell);
      cJSON_AddItemToArray(cells, cell);
    }
  /* Tenant B first: its sandbox is deleted on b's server, which b's close stops. */
  if (tenant_state != TENANT_UNTRIED)
    {
      struct sbx_error cerr = { 0 };
      char note[sizeof cerr.code + sizeof cerr.message + 32];
      if (sbx_backend_close_peer(steal_pointer(&tenant), &cerr) < 0)
        snprintf(note, sizeof note, "not deleted: %s: %s", cerr.code, cerr.message);
      else
        snprintf(note, sizeof note, "%s", tenant_state == TENANT_OPEN ? "made and deleted"
                                          : tenant_state == TENANT_ONE ? "none: the backend has one sandbox"
                                                                       : tenant_why);
      cJSON_AddStringToObject(bj, "secondSandbox", note);
    }
  sbx_backend_close(b);
  return r;
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
          control_leaked = cell_raw_parse(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(other, "raw")))
                           == CELL_LEAKED;
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
  _cleanup_(tools_free) struct tools t = { 0 };
  size_t n_probes = 0, n_names = 0, done = 0;
  _cleanup_json_ cJSON *doc = NULL;
  cJSON *backends, *cells, *summary;
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
  if (read_tool("splitbox-probe", &t.probe, &t.probe_len, err) < 0
      || read_tool("splitbox-victim", &t.victim, &t.victim_len, err) < 0)
    return -1;
  doc = cJSON_CreateObject();
  if (doc == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "audit");
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
    if (audit_backend(names[i], probes, n_probes, &t, backends, cells, o, &done, n_names * n_probes, err) < 0)
      return -1;
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
  *report = steal_pointer(&doc);
  return 0;
}
