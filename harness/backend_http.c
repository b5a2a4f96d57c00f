/* The "http" adapter: a server speaking the Cloudflare Sandbox container API.
 * Each context is a route prefix: splitboxd's /api/sandboxes/{id}/user and
 * .../platform, or, for a server with no contexts at all (the SDK's own
 * container server), the same unprefixed /api routes for both. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend_internal.h"
#include "base64.h"
#include "cleanup.h"
#include "error.h"
#include "run.h"
#include "splitbox.h"

struct http_impl
{
  struct sbx_client *client;
  pid_t server;
  char sandbox[64];
  char session[64]; /* "sessionId": "fixed": one per open */
  bool deleted;     /* the sandbox is gone already (http_delete) */
  char *shared_path;   /* from the create answer's sharedPath */
  char *platform_path; /* and platformPath */
  char **sandbox_env;
  char log[300]; /* the server's output */
};

/* A copy of a JSON template with its strings expanded; a string that is
 * exactly "{sandboxEnv}" becomes the sandbox's env as an object. */
static cJSON *expand_json(struct sbx_backend *b, const cJSON *t, struct sbx_error *err)
{
  struct http_impl *h = b->impl;
  cJSON *out, *child;

  if (cJSON_IsString(t) && strcmp(t->valuestring, "{sandboxEnv}") == 0)
    {
      out = cJSON_CreateObject();
      for (char **e = h->sandbox_env; out != NULL && e != NULL && *e != NULL; e++)
        {
          char *eq = strchr(*e, '=');
          _cleanup_free_ char *name = eq != NULL ? strndup(*e, (size_t)(eq - *e)) : NULL;
          if (name != NULL)
            cJSON_AddStringToObject(out, name, eq + 1);
        }
      return out;
    }
  if (cJSON_IsString(t))
    {
      _cleanup_free_ char *s = sbx_template_expand(t->valuestring, &b->vars, err);
      return s != NULL ? cJSON_CreateString(s) : NULL;
    }
  if (!cJSON_IsObject(t) && !cJSON_IsArray(t))
    return cJSON_Duplicate(t, true);
  out = cJSON_IsObject(t) ? cJSON_CreateObject() : cJSON_CreateArray();
  cJSON_ArrayForEach(child, t)
    {
      cJSON *copy = expand_json(b, child, err);
      if (copy == NULL)
        {
          cJSON_Delete(out);
          return NULL;
        }
      if (cJSON_IsObject(t))
        cJSON_AddItemToObject(out, child->string, copy);
      else
        cJSON_AddItemToArray(out, copy);
    }
  return out;
}

/* METHOD path with a JSON body; the answer as JSON, whatever its status. */
static int call(struct sbx_backend *b, const char *method, const char *path, const cJSON *body, long *status,
                cJSON **doc, struct sbx_error *err)
{
  struct http_impl *h = b->impl;
  _cleanup_free_ char *text = body != NULL ? cJSON_PrintUnformatted(body) : NULL, *answer = NULL;

  *doc = NULL;
  if (sbx_request(h->client, method, path, text, status, &answer, err) < 0)
    return sbx_error_prefix(err, "%s", b->info.name);
  *doc = cJSON_Parse(answer);
  if (*doc == NULL)
    return sbx_error_set(err, EPROTO, SBX_E_PROTOCOL, "%s: %s %s: HTTP %ld, not JSON: %.100s", b->info.name, method,
                         path, *status, answer);
  return 0;
}

static int api_error(struct sbx_backend *b, const char *what, long status, const cJSON *doc, struct sbx_error *err)
{
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(doc, "code");
  const cJSON *msg = cJSON_GetObjectItemCaseSensitive(doc, "message");

  return sbx_error_set(err, EIO, cJSON_IsString(code) ? code->valuestring : SBX_E_PROTOCOL, "%s: %s: HTTP %ld: %s",
                       b->info.name, what, status, cJSON_IsString(msg) ? msg->valuestring : "no message");
}

/* A request described in the spec: {"method", "path", "body"?}. */
static int spec_call(struct sbx_backend *b, const cJSON *req, long *status, cJSON **doc, struct sbx_error *err)
{
  const cJSON *method = cJSON_GetObjectItemCaseSensitive(req, "method");
  const cJSON *body_t = cJSON_GetObjectItemCaseSensitive(req, "body");
  _cleanup_free_ char *path = sbx_backend_expand_field(b, req, "path", err);
  _cleanup_json_ cJSON *body = body_t != NULL ? expand_json(b, body_t, err) : NULL;

  if (!cJSON_IsString(method) || path == NULL || (body_t != NULL && body == NULL))
    {
      char prev_message[sizeof err->message];
      snprintf(prev_message, sizeof prev_message, "%s", err->message);
      return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "%s: a request needs \"method\" and \"path\"%s%s",
                           b->info.name, prev_message[0] ? ": " : "", prev_message);
    }
  return call(b, method->valuestring, path, body, status, doc, err);
}

/* PREFIX and 12 hex digits. */
static int random_id(char *out, size_t len, const char *prefix)
{
  unsigned char rnd[6];

  if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
    return -1;
  snprintf(out, len, "%s%02x%02x%02x%02x%02x%02x", prefix, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
  return 0;
}

/* "sessionId": servers that run every execute in a shell per session take the session in the body. */
enum session_mode
{
  SESSION_NONE,  /* no sessionId: the server's default session */
  SESSION_FIXED, /* one per open backend */
  SESSION_CALL,  /* a fresh one per call */
};

static enum session_mode session_mode(const struct sbx_backend *b)
{
  const char *m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b->spec, "sessionId"));

  return m == NULL ? SESSION_NONE : strcmp(m, "fixed") == 0 ? SESSION_FIXED : strcmp(m, "call") == 0 ? SESSION_CALL
                                                                                                     : SESSION_NONE;
}

static int create_sandbox(struct sbx_backend *b, struct sbx_error *err)
{
  struct http_impl *h = b->impl;
  const cJSON *create = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(b->spec, "sandbox"), "create");
  _cleanup_json_ cJSON *doc = NULL;
  const cJSON *shared;
  long status;

  if (random_id(h->sandbox, sizeof h->sandbox, "audit-") < 0)
    return sbx_error_errno(err, errno, SBX_E_INTERNAL, "getrandom");
  sbx_vars_set(&b->vars, "sandbox", h->sandbox);
  if (create == NULL)
    return 0;
  if (spec_call(b, create, &status, &doc, err) < 0)
    return -1;
  if (status < 200 || status > 299)
    return api_error(b, "create the sandbox", status, doc, err);
  shared = cJSON_GetObjectItemCaseSensitive(doc, "sharedPath");
  free(h->shared_path);
  h->shared_path = strdup(cJSON_IsString(shared) ? shared->valuestring : "");
  sbx_vars_set(&b->vars, "sharedPath", h->shared_path);
  shared = cJSON_GetObjectItemCaseSensitive(doc, "platformPath");
  free(h->platform_path);
  h->platform_path = strdup(cJSON_IsString(shared) ? shared->valuestring : "");
  sbx_vars_set(&b->vars, "platformPath", h->platform_path);
  return 0;
}

static void delete_sandbox(struct sbx_backend *b)
{
  const cJSON *del = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(b->spec, "sandbox"), "delete");
  struct sbx_error err = { 0 };
  cJSON *doc = NULL;
  long status;

  if (del != NULL && spec_call(b, del, &status, &doc, &err) == 0)
    cJSON_Delete(doc);
}

/* The spec's delete, with its answer checked: a second sandbox must not outlive its cells. */
static int http_delete(struct sbx_backend *b, struct sbx_error *err)
{
  struct http_impl *h = b->impl;
  const cJSON *del = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(b->spec, "sandbox"), "delete");
  _cleanup_json_ cJSON *doc = NULL;
  long status;

  if (h == NULL || h->client == NULL)
    return sbx_error_set(err, ENOTCONN, SBX_E_INTERNAL, "%s: not open", b->info.name);
  if (del == NULL)
    return sbx_error_set(err, ENOTSUP, SBX_E_NOT_SUPPORTED, "%s: the spec has no \"sandbox\".\"delete\"", b->info.name);
  if (spec_call(b, del, &status, &doc, err) < 0)
    return -1;
  if (status < 200 || status > 299)
    return api_error(b, "delete the sandbox", status, doc, err);
  h->deleted = true;
  return 0;
}

/* "server": {"env": {"NAME": "template"}}: added to the minimal env the server gets. */
static int server_env(struct sbx_backend *b, const cJSON *env, char ***out, struct sbx_error *err)
{
  const cJSON *e;
  size_t n = 0;

  *out = calloc((size_t)cJSON_GetArraySize(env) + 1, sizeof(char *));
  if (*out == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "server env");
  if (env != NULL && !cJSON_IsObject(env))
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "%s: \"server\".\"env\" must be an object of strings",
                         b->info.name);
  cJSON_ArrayForEach(e, env)
    {
      _cleanup_free_ char *value = NULL;
      if (!cJSON_IsString(e))
        return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "%s: \"server\".\"env\".\"%s\" must be a string",
                             b->info.name, e->string);
      if ((value = sbx_template_expand(e->valuestring, &b->vars, err)) == NULL)
        return sbx_error_prefix(err, "%s: \"server\".\"env\".\"%s\"", b->info.name, e->string);
      if (asprintf(&(*out)[n], "%s=%s", e->string, value) < 0)
        {
          (*out)[n] = NULL;
          return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "server env");
        }
      n++;
    }
  return 0;
}

/* The last line of the server's log, for an error that says why it is not up. */
static void log_tail(const char *path, char *out, size_t len)
{
  char buf[4096];
  FILE *f = path[0] != '\0' ? fopen(path, "re") : NULL;
  size_t n = 0;
  char *start;

  out[0] = '\0';
  if (f == NULL)
    return;
  if (fseek(f, -(long)(sizeof buf - 1), SEEK_END) != 0)
    rewind(f);
  n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
    n--;
  buf[n] = '\0';
  start = strrchr(buf, '\n');
  start = start != NULL ? start + 1 : buf;
  n = strlen(start) < len - 1 ? strlen(start) : len - 1;
  memcpy(out, start, n);
  out[n] = '\0';
  for (char *c = out; *c != '\0'; c++)
    if ((unsigned char)*c < 0x20)
      *c = '?';
}

/* Until GET /api/ping answers 200: "server": {"readyTimeoutMs": N} (default 10 s). A server that exits
 * first is said so at once, with the last line of its log. */
static int wait_ready(struct sbx_backend *b, const char *endpoint, struct sbx_error *err)
{
  struct http_impl *h = b->impl;
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(b->spec, "server"), "readyTimeoutMs");
  double timeout = cJSON_IsNumber(t) && t->valuedouble >= 100 && t->valuedouble <= 600000 ? t->valuedouble : 10000;
  double until = sbx_monotonic_ms() + timeout;
  struct sbx_error ping_err = { 0 };
  long status = 0;
  char tail[120];

  if (t != NULL && !(cJSON_IsNumber(t) && t->valuedouble >= 100 && t->valuedouble <= 600000))
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION,
                         "%s: \"server\".\"readyTimeoutMs\" must be a number from 100 to 600000", b->info.name);
  for (;;)
    {
      _cleanup_free_ char *answer = NULL;
      int wstatus;

      memset(&ping_err, 0, sizeof ping_err);
      if (sbx_request(h->client, "GET", "/api/ping", NULL, &status, &answer, &ping_err) == 0 && status == 200)
        return 0;
      if (h->server > 0 && waitpid(h->server, &wstatus, WNOHANG) == h->server)
        {
          h->server = 0;
          log_tail(h->log, tail, sizeof tail);
          return sbx_error_set(err, ECHILD, SBX_E_UNAVAILABLE, "%s: the server exited (status %d) before it answered "
                               "GET /api/ping; its log ends: %s", b->info.name, wstatus, tail[0] ? tail : "(empty)");
        }
      if (sbx_monotonic_ms() >= until)
        break;
      usleep(25000);
    }
  log_tail(h->log, tail, sizeof tail);
  return sbx_error_set(err, ETIMEDOUT, SBX_E_UNAVAILABLE, "%s: %s did not answer GET /api/ping with 200 within %.0f ms "
                       "(%s)%s%s", b->info.name, endpoint, timeout, ping_err.message[0] ? ping_err.message : "not 200",
                       tail[0] ? "; the server's log ends: " : "", tail);
}

/* A client of the spec's endpoint, once it answers; then the sandbox. */
static int connect_and_create(struct sbx_backend *b, struct sbx_error *err)
{
  struct http_impl *h = b->impl;
  _cleanup_free_ char *endpoint = NULL, *token = NULL;
  struct sbx_client_options o = { .request_timeout_ms = 120000 };

  endpoint = sbx_backend_expand_field(b, b->spec, "endpoint", err);
  token = sbx_backend_expand_field(b, b->spec, "token", err);
  if (endpoint == NULL)
    {
      char prev_message[sizeof err->message];
      snprintf(prev_message, sizeof prev_message, "%s", err->message);
      return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "%s: needs \"endpoint\" (a socket path or URL)%s%s",
                           b->info.name, prev_message[0] ? ": " : "", prev_message);
    }
  o.token = token;
  free(b->api_endpoint);
  b->api_endpoint = strdup(endpoint);
  if ((h->client = sbx_open(endpoint, NULL, &o, err)) == NULL)
    return -1;
  if (wait_ready(b, endpoint, err) < 0)
    return -1;
  if (session_mode(b) == SESSION_FIXED && random_id(h->session, sizeof h->session, "session-") < 0)
    return sbx_error_errno(err, errno, SBX_E_INTERNAL, "getrandom");
  return create_sandbox(b, err);
}

/* b's state, with its paths and sandbox empty until the server names them. */
static struct http_impl *impl_new(struct sbx_backend *b, struct sbx_error *err)
{
  struct http_impl *h = calloc(1, sizeof *h);

  if ((b->impl = h) == NULL)
    {
      sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "backend");
      return NULL;
    }
  h->shared_path = strdup("");
  h->platform_path = strdup("");
  sbx_vars_set(&b->vars, "sharedPath", h->shared_path);
  sbx_vars_set(&b->vars, "platformPath", h->platform_path);
  sbx_vars_set(&b->vars, "sandbox", "");
  return h;
}

static int http_open(struct sbx_backend *b, struct sbx_error *err)
{
  const cJSON *server = cJSON_GetObjectItemCaseSensitive(b->spec, "server");
  struct http_impl *h = impl_new(b, err);

  if (h == NULL)
    return -1;
  if (server != NULL)
    {
      _cleanup_free_ const char **tmpl = sbx_backend_string_array(cJSON_GetObjectItemCaseSensitive(server, "argv"));
      _cleanup_strv_ char **argv = NULL, **envp = NULL, **extra = NULL;
      _cleanup_free_ char *prog = NULL;

      if (tmpl == NULL || tmpl[0] == NULL)
        return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "%s: \"server\" needs \"argv\"", b->info.name);
      if ((argv = sbx_template_argv(tmpl, &b->vars, NULL, NULL, err)) == NULL)
        return sbx_error_prefix(err, "%s: server", b->info.name);
      if (server_env(b, cJSON_GetObjectItemCaseSensitive(server, "env"), &extra, err) < 0
          || (envp = sbx_backend_minimal_env((const char *const *)extra)) == NULL)
        return err->code[0] ? -1 : sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "%s: server env", b->info.name);
      if ((prog = sbx_which(argv[0])) == NULL)
        return sbx_error_set(err, ENOENT, SBX_E_FILE_NOT_FOUND, "%s: no program %s", b->info.name, argv[0]);
      free(argv[0]);
      argv[0] = steal_pointer(&prog);
      snprintf(h->log, sizeof h->log, "%s/server.log", b->workdir);
      if (sbx_run_background(argv, envp, h->log, &h->server, err) < 0)
        return -1;
    }
  return connect_and_create(b, err);
}

/* Tenant B: another sandbox on the server b started (the caller copied b's
 * variables), through a client of its own. The server stays b's. */
static int http_open_peer(struct sbx_backend *peer, struct sbx_error *err)
{
  const cJSON *create = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(peer->spec, "sandbox"), "create");

  if (create == NULL)
    return 1;
  if (impl_new(peer, err) == NULL)
    return -1;
  return connect_and_create(peer, err);
}

static void http_close(struct sbx_backend *b)
{
  struct http_impl *h = b->impl;

  if (h == NULL)
    return;
  if (h->client != NULL)
    {
      if (!h->deleted)
        delete_sandbox(b);
      sbx_close(h->client);
    }
  /* The daemon's SIGTERM ends everything it started. */
  sbx_run_stop(h->server, 10000);
  /* The variables pointed into what goes now (a teardown may expand them). */
  sbx_vars_set(&b->vars, "sandbox", "");
  sbx_vars_set(&b->vars, "sharedPath", "");
  sbx_vars_set(&b->vars, "platformPath", "");
  sbx_strvfreep(&h->sandbox_env);
  free(h->shared_path);
  free(h->platform_path);
  free(h);
  b->impl = NULL;
}

static char *prefixed(struct sbx_backend *b, const char *section, const char *tail, struct sbx_error *err)
{
  _cleanup_free_ char *prefix = sbx_backend_expand_field(b, cJSON_GetObjectItemCaseSensitive(b->spec, section),
                                                         "prefix", err);
  char *path = NULL;

  if (prefix == NULL)
    {
      char prev_message[sizeof err->message];
      snprintf(prev_message, sizeof prev_message, "%s", err->message);
      sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "%s: \"%s\" needs a \"prefix\"%s%s", b->info.name, section,
                    prev_message[0] ? ": " : "", prev_message);
      return NULL;
    }
  if (asprintf(&path, "%s/%s", prefix, tail) < 0)
    sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "route");
  return path;
}

static cJSON *exec_body(struct sbx_backend *b, const struct sbx_bexec *req, bool with_timeout)
{
  struct http_impl *h = b->impl;
  cJSON *body = cJSON_CreateObject(), *env;
  char session[64];

  cJSON_AddStringToObject(body, "command", req->command);
  if (session_mode(b) == SESSION_FIXED)
    cJSON_AddStringToObject(body, "sessionId", h->session);
  else if (session_mode(b) == SESSION_CALL && random_id(session, sizeof session, "session-") == 0)
    cJSON_AddStringToObject(body, "sessionId", session);
  if (req->cwd != NULL)
    cJSON_AddStringToObject(body, "cwd", req->cwd);
  if (with_timeout && req->timeout_ms > 0)
    cJSON_AddNumberToObject(body, "timeoutMs", (double)req->timeout_ms);
  if (req->env != NULL && req->env[0] != NULL)
    {
      env = cJSON_AddObjectToObject(body, "env");
      for (const char *const *e = req->env; *e != NULL; e++)
        {
          const char *eq = strchr(*e, '=');
          _cleanup_free_ char *name = eq != NULL ? strndup(*e, (size_t)(eq - *e)) : NULL;
          if (name != NULL)
            cJSON_AddStringToObject(env, name, eq + 1);
        }
    }
  return body;
}

static char *dup_field(const cJSON *doc, const char *name)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(doc, name);
  return strdup(cJSON_IsString(item) ? item->valuestring : "");
}

/* stdout or stderr of an answer; base64 when NAMEEncoding says so. */
static int output_field(const cJSON *doc, const char *name, char **out, size_t *len)
{
  char key[32];
  const cJSON *enc;

  snprintf(key, sizeof key, "%sEncoding", name);
  enc = cJSON_GetObjectItemCaseSensitive(doc, key);
  if ((*out = dup_field(doc, name)) == NULL)
    return -1;
  *len = strlen(*out);
  if (cJSON_IsString(enc) && strcmp(enc->valuestring, "base64") == 0)
    {
      char *decoded = NULL;
      size_t n = 0;
      if (sbx_base64_decode(*out, &decoded, &n) < 0)
        return -1;
      free(*out);
      *out = decoded;
      *len = n;
    }
  return 0;
}

static int http_exec(struct sbx_backend *b, enum sbx_bctx ctx, const struct sbx_bexec *req, struct sbx_bresult *res,
                     struct sbx_error *err)
{
  _cleanup_free_ char *path = prefixed(b, sbx_bctx_name(ctx), "execute", err);
  _cleanup_json_ cJSON *body = exec_body(b, req, true), *doc = NULL;
  const cJSON *code, *exit_code;
  double start = sbx_monotonic_ms();
  long status;

  if (path == NULL || call(b, "POST", path, body, &status, &doc, err) < 0)
    return -1;
  res->ms = sbx_monotonic_ms() - start;
  code = cJSON_GetObjectItemCaseSensitive(doc, "code");
  exit_code = cJSON_GetObjectItemCaseSensitive(doc, "exitCode");
  res->timed_out = status == 408 || (cJSON_IsString(code) && strcmp(code->valuestring, "COMMAND_TIMEOUT") == 0);
  if ((status < 200 || status > 299) && !res->timed_out)
    return api_error(b, "execute", status, doc, err);
  res->exit_code = cJSON_IsNumber(exit_code) && exit_code->valuedouble >= -1 && exit_code->valuedouble <= 255
                     ? (int)exit_code->valuedouble
                     : (res->timed_out ? 137 : -1);
  if (output_field(doc, "stdout", &res->out, &res->out_len) < 0 || output_field(doc, "stderr", &res->err, &res->err_len) < 0)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "result");
  res->success = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "success"));
  {
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(doc, "warnings"), *item;
    size_t n = 0;
    if (cJSON_IsArray(w) && (res->warnings = calloc((size_t)cJSON_GetArraySize(w) + 1, sizeof(char *))) != NULL)
      cJSON_ArrayForEach(item, w)
        if (cJSON_IsString(item) && (res->warnings[n] = strdup(item->valuestring)) != NULL)
          n++;
  }
  return 0;
}

static int http_start(struct sbx_backend *b, enum sbx_bctx ctx, const struct sbx_bexec *req, char **handle,
                      struct sbx_error *err)
{
  _cleanup_free_ char *path = prefixed(b, sbx_bctx_name(ctx), "process/start", err);
  _cleanup_json_ cJSON *body = exec_body(b, req, false), *doc = NULL;
  const cJSON *id;
  long status;

  if (path == NULL || call(b, "POST", path, body, &status, &doc, err) < 0)
    return -1;
  if (status < 200 || status > 299)
    return api_error(b, "process/start", status, doc, err);
  id = cJSON_GetObjectItemCaseSensitive(doc, "processId");
  if (!cJSON_IsString(id))
    id = cJSON_GetObjectItemCaseSensitive(doc, "id");
  if (!cJSON_IsString(id))
    return sbx_error_set(err, EPROTO, SBX_E_PROTOCOL, "%s: process/start answered no processId", b->info.name);
  *handle = strdup(id->valuestring);
  return *handle != NULL ? 0 : sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "handle");
}

/* The process's status in an answer (a GET's, or a DELETE's with waitMs), or NULL. */
static const char *process_status(const cJSON *doc)
{
  const cJSON *process = cJSON_GetObjectItemCaseSensitive(doc, "process");
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(cJSON_IsObject(process) ? process : doc, "status");

  return cJSON_IsString(st) ? st->valuestring : NULL;
}

enum kill_state { KILL_UNKNOWN, KILL_RUNNING, KILL_ENDED };

/* 1: gone already; 0: signalled, and *state what the answer says of the process after it (splitboxd waits
 * up to wait_ms for its end; a server that does not know waitMs answers at once, without a status). */
static int kill_process(struct sbx_backend *b, const char *path, const char *signal_name, long wait_ms,
                        enum kill_state *state, struct sbx_error *err)
{
  _cleanup_json_ cJSON *body = cJSON_CreateObject(), *doc = NULL;
  const char *st;
  long status;

  cJSON_AddStringToObject(body, "signal", signal_name);
  if (wait_ms > 0)
    cJSON_AddNumberToObject(body, "waitMs", (double)(wait_ms < 60000 ? wait_ms : 60000)); /* the API's most */
  if (call(b, "DELETE", path, body, &status, &doc, err) < 0)
    return -1;
  if (status == 404)
    return 1; /* gone already */
  if (status < 200 || status > 299)
    return api_error(b, "kill", status, doc, err);
  st = process_status(doc);
  *state = st == NULL ? KILL_UNKNOWN : strcmp(st, "running") == 0 ? KILL_RUNNING : KILL_ENDED;
  return 0;
}

static bool still_running(struct sbx_backend *b, const char *path)
{
  _cleanup_json_ cJSON *doc = NULL;
  struct sbx_error err = { 0 };
  const char *st;
  long status;

  if (call(b, "GET", path, NULL, &status, &doc, &err) < 0 || status != 200)
    return false;
  st = process_status(doc);
  return st != NULL && strcmp(st, "running") == 0;
}

static int http_stop(struct sbx_backend *b, enum sbx_bctx ctx, const char *handle, long grace_ms,
                     struct sbx_error *err)
{
  _cleanup_free_ char *tail = NULL, *path = NULL;
  enum kill_state state = KILL_UNKNOWN;
  double until;
  int r;

  if (asprintf(&tail, "process/%s", handle) < 0 || (path = prefixed(b, sbx_bctx_name(ctx), tail, err)) == NULL)
    return path == NULL && tail != NULL ? -1 : sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "route");
  /* splitboxd holds the answer until the process has ended (or the grace is over): no round of asking
   * every 10 ms, which made each stop cost 10 ms more than the kill. Other servers: the polling below. */
  if ((r = kill_process(b, path, "SIGTERM", grace_ms, &state, err)) != 0)
    return r > 0 ? 0 : -1;
  if (state == KILL_ENDED)
    return 0;
  /* KILL_RUNNING: the grace is over already. */
  until = sbx_monotonic_ms() + (state == KILL_UNKNOWN ? (double)grace_ms : 0);
  while (sbx_monotonic_ms() < until)
    {
      if (!still_running(b, path))
        return 0;
      usleep(10000);
    }
  if ((r = kill_process(b, path, "SIGKILL", grace_ms, &state, err)) != 0)
    return r > 0 ? 0 : -1;
  /* SIGKILL is not instant either: gone before the caller goes on. */
  for (int i = 0; state != KILL_ENDED && i < 200 && still_running(b, path); i++)
    usleep(10000);
  return 0;
}

static char *file_body(struct sbx_backend *b, const char *rel, cJSON **body, struct sbx_error *err)
{
  const cJSON *files = cJSON_GetObjectItemCaseSensitive(b->spec, "files");
  struct sbx_vars v = b->vars;
  const cJSON *tmpl = cJSON_GetObjectItemCaseSensitive(files, "path");
  _cleanup_free_ char *path = NULL;

  sbx_vars_set(&v, "rel", rel);
  sbx_vars_set(&v, "shared_user", b->shared_user != NULL ? b->shared_user : "");
  sbx_vars_set(&v, "shared_platform", b->shared_platform != NULL ? b->shared_platform : "");
  path = sbx_template_expand(cJSON_IsString(tmpl) ? tmpl->valuestring : "{rel}", &v, err);
  if (path == NULL)
    return NULL;
  *body = cJSON_CreateObject();
  cJSON_AddStringToObject(*body, "path", path);
  cJSON_AddStringToObject(*body, "encoding", "base64");
  return strdup(path);
}

/* "files": {"raw": true}: the daemon's raw-bytes route, PUT/GET {prefix}/files?path=P,
 * for files past what base64 in a JSON body carries. */
static bool files_raw(struct sbx_backend *b)
{
  return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(b->spec, "files"), "raw"));
}

static char *raw_route(struct sbx_backend *b, const char *rel, struct sbx_error *err)
{
  cJSON *body = NULL;
  _cleanup_free_ char *path = file_body(b, rel, &body, err), *tail = NULL;
  char *escaped;

  cJSON_Delete(body);
  if (path == NULL)
    return NULL;
  if ((escaped = curl_easy_escape(NULL, path, 0)) == NULL || asprintf(&tail, "files?path=%s", escaped) < 0)
    {
      curl_free(escaped);
      sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "route");
      return NULL;
    }
  curl_free(escaped);
  return prefixed(b, "files", tail, err);
}

static int raw_answer(struct sbx_backend *b, const char *what, long status, const char *answer, struct sbx_error *err)
{
  _cleanup_json_ cJSON *doc = cJSON_Parse(answer);

  return api_error(b, what, status, doc, err);
}

static int http_write_raw(struct sbx_backend *b, const char *rel, const void *data, size_t len,
                          struct sbx_error *err)
{
  struct http_impl *h = b->impl;
  _cleanup_free_ char *route = raw_route(b, rel, err), *answer = NULL;
  size_t alen = 0;
  long status;

  if (route == NULL)
    return -1;
  if (sbx_request_bytes(h->client, "PUT", route, "application/octet-stream", len > 0 ? data : "", len, &status,
                        &answer, &alen, err) < 0)
    return sbx_error_prefix(err, "%s", b->info.name);
  return status >= 200 && status <= 299 ? 0 : raw_answer(b, "write", status, answer, err);
}

static int http_read_raw(struct sbx_backend *b, const char *rel, char **data, size_t *len, struct sbx_error *err)
{
  struct http_impl *h = b->impl;
  _cleanup_free_ char *route = raw_route(b, rel, err), *answer = NULL;
  long status;

  if (route == NULL)
    return -1;
  if (sbx_request_bytes(h->client, "GET", route, "application/octet-stream", NULL, 0, &status, &answer, len, err) < 0)
    return sbx_error_prefix(err, "%s", b->info.name);
  if (status < 200 || status > 299)
    return raw_answer(b, "read", status, answer, err);
  *data = steal_pointer(&answer);
  return 0;
}

static int http_write(struct sbx_backend *b, const char *rel, const void *data, size_t len, struct sbx_error *err)
{
  _cleanup_free_ char *route = NULL, *encoded = NULL;
  _cleanup_json_ cJSON *body = NULL, *doc = NULL;
  _cleanup_free_ char *path = NULL;
  long status;

  if (files_raw(b))
    return http_write_raw(b, rel, data, len, err);
  route = prefixed(b, "files", "write", err);
  encoded = sbx_base64_encode(data, len);

  if (route == NULL || encoded == NULL || (path = file_body(b, rel, &body, err)) == NULL)
    return route == NULL || path == NULL ? -1 : sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "write");
  cJSON_AddStringToObject(body, "content", encoded);
  if (call(b, "POST", route, body, &status, &doc, err) < 0)
    return -1;
  return status >= 200 && status <= 299 ? 0 : api_error(b, "write", status, doc, err);
}

static int http_read(struct sbx_backend *b, const char *rel, char **data, size_t *len, struct sbx_error *err)
{
  _cleanup_free_ char *route = NULL;
  _cleanup_json_ cJSON *body = NULL, *doc = NULL;
  _cleanup_free_ char *path = NULL;
  const cJSON *content, *enc;
  long status;

  if (files_raw(b))
    return http_read_raw(b, rel, data, len, err);
  route = prefixed(b, "files", "read", err);

  if (route == NULL || (path = file_body(b, rel, &body, err)) == NULL)
    return -1;
  if (call(b, "POST", route, body, &status, &doc, err) < 0)
    return -1;
  if (status < 200 || status > 299)
    return api_error(b, "read", status, doc, err);
  content = cJSON_GetObjectItemCaseSensitive(doc, "content");
  enc = cJSON_GetObjectItemCaseSensitive(doc, "encoding");
  if (!cJSON_IsString(content))
    return sbx_error_set(err, EPROTO, SBX_E_PROTOCOL, "%s: read answered no content", b->info.name);
  if (cJSON_IsString(enc) && strcmp(enc->valuestring, "base64") == 0)
    return sbx_base64_decode(content->valuestring, data, len) == 0
             ? 0
             : sbx_error_set(err, EPROTO, SBX_E_PROTOCOL, "%s: read answered bad base64", b->info.name);
  *data = strdup(content->valuestring);
  *len = *data != NULL ? strlen(*data) : 0;
  return *data != NULL ? 0 : sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "read");
}

static int http_request(struct sbx_backend *b, const char *section, const char *method, const char *tail,
                        const cJSON *body, long *status, cJSON **doc, struct sbx_error *err)
{
  _cleanup_free_ char *path = section != NULL ? prefixed(b, section, tail, err) : strdup(tail);

  if (path == NULL)
    return err->code[0] ? -1 : sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "route");
  return call(b, method, path, body, status, doc, err);
}

/* Legacy sandboxes take their env when made: a fresh one with it. */
static int http_set_sandbox_env(struct sbx_backend *b, const char *const *env, struct sbx_error *err)
{
  struct http_impl *h = b->impl;

  sbx_strvfreep(&h->sandbox_env);
  h->sandbox_env = sbx_strv_dup(env);
  if (h->sandbox_env == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "env");
  delete_sandbox(b);
  return create_sandbox(b, err) < 0 ? -1 : 1;
}

const struct sbx_backend_ops sbx_http_backend_ops = {
  .open = http_open,
  .close = http_close,
  .exec = http_exec,
  .start = http_start,
  .stop = http_stop,
  .write = http_write,
  .read = http_read,
  .request = http_request,
  .set_sandbox_env = http_set_sandbox_env,
  .open_peer = http_open_peer,
  .delete_sandbox = http_delete,
};
