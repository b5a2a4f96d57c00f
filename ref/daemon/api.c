#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cleanup.h"
#include "internal.h"

#define MAX_SEGMENTS 8
#define MAX_TIMEOUT_MS (24LL * 3600 * 1000)

static void cjson_deletep(cJSON **p)
{
  cJSON_Delete(*p);
}
#define _cleanup_json_ _cleanup_(cjson_deletep)

struct call
{
  struct sbx_registry *r;
  const char *seg[MAX_SEGMENTS];
  const char *id, *ctx_name, *pid_id;
  enum sbx_scope scope;
  enum sbx_context ctx;
  struct sbx_sandbox *sb; /* held by the router for handlers that name a sandbox */
  cJSON *body;
  struct sbx_api_response *out;
};

/* ---- errors ---- */

static const struct
{
  const char *code;
  unsigned status;
} statuses[] = {
  { SBX_E_VALIDATION, 400 },      { SBX_E_PATH_OUTSIDE_ROOT, 400 }, { SBX_E_IS_DIRECTORY, 400 },
  { SBX_E_NOT_REGULAR, 400 },     { SBX_E_UNAUTHORIZED, 401 },      { SBX_E_PERMISSION, 403 },
  { SBX_E_READ_ONLY, 403 },       { SBX_E_FILE_NOT_FOUND, 404 },    { SBX_E_PROCESS_NOT_FOUND, 404 },
  { SBX_E_SANDBOX_NOT_FOUND, 404 }, { SBX_E_NOT_FOUND, 404 },       { "METHOD_NOT_ALLOWED", 405 },
  { SBX_E_TIMEOUT, 408 },         { SBX_E_TOO_LARGE, 413 },         { SBX_E_TOO_LARGE_PAYLOAD, 413 },
  { SBX_E_NO_NAMESPACES, 503 },  { "TOO_MANY_SANDBOXES", 503 },
};

static unsigned status_for(const char *code)
{
  for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
    if (strcmp(statuses[i].code, code) == 0)
      return statuses[i].status;
  return 500;
}

static void respond(struct sbx_api_response *out, unsigned status, cJSON *doc)
{
  out->status = status;
  out->body = doc != NULL ? cJSON_PrintUnformatted(doc) : NULL;
  if (out->body == NULL)
    {
      out->status = 500;
      out->body = strdup("{\"code\":\"INTERNAL_ERROR\",\"message\":\"out of memory\",\"httpStatus\":500}");
    }
}

static cJSON *error_doc(const char *code, const char *message)
{
  cJSON *doc = cJSON_CreateObject();
  char ts[40];

  sbx_iso8601(sbx_wall_seconds(), ts, sizeof ts);
  if (doc != NULL
      && (!cJSON_AddBoolToObject(doc, "success", false) || !cJSON_AddStringToObject(doc, "code", code)
          || !cJSON_AddStringToObject(doc, "message", message)
          || !cJSON_AddNumberToObject(doc, "httpStatus", status_for(code))
          || !cJSON_AddStringToObject(doc, "timestamp", ts)))
    {
      cJSON_Delete(doc);
      return NULL;
    }
  return doc;
}

void sbx_api_error(struct sbx_api_response *out, const char *code, const char *message)
{
  _cleanup_json_ cJSON *doc = error_doc(code, message);
  respond(out, status_for(code), doc);
}

static int fail(struct call *c, const struct sbx_error *err)
{
  sbx_api_error(c->out, err->code[0] ? err->code : SBX_E_INTERNAL, err->message);
  return -1;
}

static int invalid(struct call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int invalid(struct call *c, const char *fmt, ...)
{
  struct sbx_error err = { 0 };
  va_list ap;

  snprintf(err.code, sizeof err.code, "%s", SBX_E_VALIDATION);
  va_start(ap, fmt);
  vsnprintf(err.message, sizeof err.message, fmt, ap);
  va_end(ap);
  return fail(c, &err);
}

/* ---- request fields ---- */

static int field_string(struct call *c, const char *name, bool required, const char **out)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(c->body, name);

  *out = NULL;
  if (item == NULL || cJSON_IsNull(item))
    return required ? invalid(c, "\"%s\" is required", name) : 0;
  if (!cJSON_IsString(item))
    return invalid(c, "\"%s\" must be a string", name);
  *out = item->valuestring;
  return 0;
}

static int field_timeout(struct call *c, long long *out)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(c->body, "timeoutMs");

  *out = 0;
  if (item == NULL || cJSON_IsNull(item))
    return 0;
  /* valuedouble, not valueint: valueint saturates. */
  /* Range first: converting an out-of-range double is undefined. */
  if (!cJSON_IsNumber(item) || item->valuedouble < 0 || item->valuedouble > (double)MAX_TIMEOUT_MS)
    return invalid(c, "\"timeoutMs\" must be a number between 0 and %lld", MAX_TIMEOUT_MS);
  if (item->valuedouble != (double)(long long)item->valuedouble)
    return invalid(c, "\"timeoutMs\" must be a whole number of milliseconds");
  *out = (long long)item->valuedouble;
  return 0;
}

/* An object of strings, turned into NAME=VALUE entries (validated by the library). */
static int env_from(struct call *c, const char *name, char ***out)
{
  const cJSON *env = cJSON_GetObjectItemCaseSensitive(c->body, name), *item;
  size_t n = 0;
  char **v;

  *out = NULL;
  if (env == NULL || cJSON_IsNull(env))
    return 0;
  if (!cJSON_IsObject(env))
    return invalid(c, "\"%s\" must be an object of strings", name);
  v = calloc((size_t)cJSON_GetArraySize(env) + 1, sizeof(char *));
  if (v == NULL)
    return invalid(c, "out of memory");
  cJSON_ArrayForEach(item, env)
    {
      if (!cJSON_IsString(item) || asprintf(&v[n], "%s=%s", item->string, item->valuestring) < 0)
        {
          sbx_strvfreep(&v);
          return invalid(c, "env \"%.60s\" must be a string", item->string);
        }
      n++;
    }
  *out = v;
  return 0;
}

static int exec_request(struct call *c, struct sbx_exec_request *req, char ***env)
{
  memset(req, 0, sizeof *req);
  req->context = c->ctx;
  if (field_string(c, "command", true, &req->command) < 0 || field_string(c, "cwd", false, &req->cwd) < 0
      || field_timeout(c, &req->timeout_ms) < 0 || env_from(c, "env", env) < 0)
    return -1;
  req->env = (const char *const *)*env;
  return 0;
}

/* ---- handlers ---- */

static struct sbx_sandbox *sandbox(struct call *c, bool create)
{
  struct sbx_error err = { 0 };
  bool created;
  struct sbx_sandbox *sb = create ? sbx_registry_ensure(c->r, c->id, NULL, &created, &err)
                                  : sbx_registry_get(c->r, c->id);

  if (sb == NULL && create)
    fail(c, &err);
  else if (sb == NULL)
    {
      sbx_error_set(&err, ENOENT, SBX_E_SANDBOX_NOT_FOUND, "no sandbox \"%.64s\"; create it with PUT /api/sandboxes/%.64s",
                    c->id, c->id);
      fail(c, &err);
    }
  return sb;
}

static int h_ping(struct call *c)
{
  _cleanup_json_ cJSON *doc = cJSON_CreateObject();
  cJSON_AddBoolToObject(doc, "success", true);
  cJSON_AddStringToObject(doc, "message", "pong");
  respond(c->out, 200, doc);
  return 0;
}

static int h_capabilities(struct call *c)
{
  _cleanup_json_ cJSON *doc = cJSON_CreateObject();
  struct sbx_error err = { 0 };
  enum sbx_isolation iso = SBX_ISO_FALLBACK;

  sbx_isolation_detect(&iso, &err);
  cJSON_AddBoolToObject(doc, "success", true);
  cJSON_AddStringToObject(doc, "isolation", sbx_isolation_name(iso));
  cJSON_AddBoolToObject(doc, "requireIsolation", sbx_registry_options(c->r)->require_isolation);
  respond(c->out, 200, doc);
  return 0;
}

static int h_put_sandbox(struct call *c)
{
  struct sbx_options o = { 0 };
  struct sbx_error err = { 0 };
  _cleanup_strv_ char **legacy = NULL;
  const cJSON *req = cJSON_GetObjectItemCaseSensitive(c->body, "requireIsolation");
  const cJSON *leg = cJSON_GetObjectItemCaseSensitive(c->body, "legacy");
  const char *net = NULL;
  bool created = false;
  struct sbx_sandbox *sb;
  _cleanup_json_ cJSON *doc = NULL;

  if ((req != NULL && !cJSON_IsBool(req)) || (leg != NULL && !cJSON_IsBool(leg)))
    return invalid(c, "\"requireIsolation\" and \"legacy\" must be booleans");
  if (field_string(c, "userNetwork", false, &net) < 0)
    return -1;
  if (net != NULL && sbx_network_parse(net, &o.user_network) < 0)
    return invalid(c, "\"userNetwork\" must be \"isolated\" or \"host\"");
  o.require_isolation = cJSON_IsTrue(req);
  o.legacy = cJSON_IsTrue(leg);
  if (cJSON_GetObjectItemCaseSensitive(c->body, "envVars") != NULL && !o.legacy)
    return invalid(c, "\"envVars\" are sandbox-wide secrets visible to user code: only with \"legacy\": true");
  if (env_from(c, "envVars", &legacy) < 0)
    return -1;
  o.legacy_env = (const char *const *)legacy;
  sb = sbx_registry_ensure(c->r, c->id, &o, &created, &err);
  if (sb == NULL)
    return fail(c, &err);
  doc = cJSON_CreateObject();
  cJSON_AddBoolToObject(doc, "success", true);
  cJSON_AddStringToObject(doc, "id", c->id);
  cJSON_AddBoolToObject(doc, "created", created);
  cJSON_AddStringToObject(doc, "isolation", sbx_isolation_name(sbx_sandbox_isolation(sb)));
  cJSON_AddStringToObject(doc, "sharedPath", sbx_sandbox_shared_path(sb, SBX_CTX_USER));
  sbx_registry_put(c->r, sb);
  respond(c->out, created ? 201 : 200, doc);
  return 0;
}

static int h_delete_sandbox(struct call *c)
{
  struct sbx_error err = { 0 };
  _cleanup_json_ cJSON *doc = NULL;

  if (sbx_registry_delete(c->r, c->id, &err) < 0)
    return fail(c, &err);
  doc = cJSON_CreateObject();
  cJSON_AddBoolToObject(doc, "success", true);
  cJSON_AddStringToObject(doc, "id", c->id);
  respond(c->out, 200, doc);
  return 0;
}

static int h_execute(struct call *c)
{
  struct sbx_exec_request req;
  struct sbx_exec_result res;
  struct sbx_error err = { 0 };
  _cleanup_strv_ char **env = NULL;
  _cleanup_json_ cJSON *doc = NULL;
  int r;

  if (exec_request(c, &req, &env) < 0)
    return -1;
  r = sbx_exec(c->sb, &req, &res, &err);
  if (r < 0 && res.command == NULL)
    return fail(c, &err);
  doc = sbx_exec_result_to_json(&res);
  if (r < 0 && doc != NULL)
    {
      cJSON_AddStringToObject(doc, "code", err.code);
      cJSON_AddStringToObject(doc, "message", err.message);
      cJSON_AddNumberToObject(doc, "httpStatus", status_for(err.code));
    }
  respond(c->out, r < 0 ? status_for(err.code) : 200, doc);
  sbx_exec_result_clear(&res);
  return 0;
}

/* ---- execute/stream: server-sent events from a thread of its own ---- */

struct stream_job
{
  struct sbx_registry *r;
  struct sbx_sandbox *sb; /* a reference of the job's own */
  struct sbx_exec_request req;
  char **env;
  char *command, *cwd;
  int fd; /* write end of the pipe the server reads */
  bool broken;
};

static void send_event(struct stream_job *j, const char *event, cJSON *data)
{
  char *text = data != NULL ? cJSON_PrintUnformatted(data) : NULL;
  char *frame = NULL;
  int n;

  if (text != NULL && !j->broken && (n = asprintf(&frame, "event: %s\ndata: %s\n\n", event, text)) > 0
      && sbx_write_all(j->fd, frame, (size_t)n) != 0)
    j->broken = true; /* the client left: the command still runs to its end */
  free(frame);
  free(text);
}

static void on_output(void *arg, int stream, const char *data, size_t len)
{
  struct stream_job *j = arg;
  _cleanup_free_ char *clean = sbx_utf8_sanitize(data, len);
  _cleanup_json_ cJSON *doc = cJSON_CreateObject();

  cJSON_AddStringToObject(doc, "type", stream == 1 ? "stdout" : "stderr");
  cJSON_AddStringToObject(doc, "data", clean != NULL ? clean : "");
  send_event(j, stream == 1 ? "stdout" : "stderr", doc);
}

static void *stream_main(void *arg)
{
  struct stream_job *j = arg;
  struct sbx_exec_result res;
  struct sbx_error err = { 0 };
  cJSON *start = cJSON_CreateObject(), *done;
  char ts[40];
  int r;

  sbx_iso8601(sbx_wall_seconds(), ts, sizeof ts);
  cJSON_AddStringToObject(start, "type", "start");
  cJSON_AddStringToObject(start, "command", j->command);
  cJSON_AddStringToObject(start, "timestamp", ts);
  send_event(j, "start", start);
  cJSON_Delete(start);
  r = sbx_exec(j->sb, &j->req, &res, &err);
  done = res.command != NULL ? sbx_exec_result_to_json(&res) : cJSON_CreateObject();
  cJSON_AddStringToObject(done, "type", r < 0 && res.command == NULL ? "error" : "complete");
  if (r < 0)
    {
      cJSON_AddStringToObject(done, "code", err.code);
      cJSON_AddStringToObject(done, "message", err.message);
    }
  send_event(j, r < 0 && res.command == NULL ? "error" : "complete", done);
  cJSON_Delete(done);
  sbx_exec_result_clear(&res);
  close(j->fd);
  sbx_registry_put(j->r, j->sb);
  sbx_strvfreep(&j->env);
  free(j->command);
  free(j->cwd);
  sbx_registry_job_end(j->r); /* last: the registry may be freed right after */
  free(j);
  return NULL;
}

static int h_execute_stream(struct call *c)
{
  struct stream_job *j = calloc(1, sizeof *j);
  struct sbx_exec_request req;
  int fds[2] = { -1, -1 };
  pthread_t thread;
  pthread_attr_t attr;

  if (j == NULL)
    return invalid(c, "out of memory");
  if (exec_request(c, &req, &j->env) < 0)
    {
      sbx_strvfreep(&j->env);
      free(j);
      return -1;
    }
  j->r = c->r;
  j->command = strdup(req.command);
  j->cwd = req.cwd != NULL ? strdup(req.cwd) : NULL;
  j->req = req;
  j->req.command = j->command;
  j->req.cwd = j->cwd;
  j->req.on_output = on_output;
  j->req.on_output_arg = j;
  /* Its own reference to the router's sandbox: the router lets go when this returns. */
  sbx_registry_ref(c->r, c->sb);
  j->sb = c->sb;
  if (j->command == NULL || pipe2(fds, O_CLOEXEC) != 0)
    goto fail;
  j->fd = fds[1];
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  sbx_registry_job_begin(c->r);
  if (pthread_create(&thread, &attr, stream_main, j) != 0)
    {
      sbx_registry_job_end(c->r);
      pthread_attr_destroy(&attr);
      goto fail;
    }
  pthread_attr_destroy(&attr);
  c->out->status = 200;
  c->out->stream_fd = fds[0];
  return 0;
fail:
  if (fds[0] >= 0)
    {
      close(fds[0]);
      close(fds[1]);
    }
  sbx_registry_put(c->r, j->sb);
  sbx_strvfreep(&j->env);
  free(j->command);
  free(j->cwd);
  free(j);
  {
    struct sbx_error err = { 0 };
    sbx_error_errno(&err, errno, SBX_E_INTERNAL, "could not start the stream");
    return fail(c, &err);
  }
}

static cJSON *process_json(const struct sbx_process_info *p)
{
  cJSON *o = cJSON_CreateObject();
  char ts[40];

  cJSON_AddStringToObject(o, "id", p->id);
  cJSON_AddNumberToObject(o, "pid", p->pid);
  cJSON_AddStringToObject(o, "command", p->command);
  cJSON_AddStringToObject(o, "status", sbx_process_status_name(p->status));
  sbx_iso8601(p->start_time, ts, sizeof ts);
  cJSON_AddStringToObject(o, "startTime", ts);
  if (p->end_time > 0)
    {
      sbx_iso8601(p->end_time, ts, sizeof ts);
      cJSON_AddStringToObject(o, "endTime", ts);
      cJSON_AddNumberToObject(o, "exitCode", p->exit_code);
    }
  cJSON_AddStringToObject(o, "context", sbx_context_name(p->context));
  return o;
}

static int h_process_start(struct call *c)
{
  struct sbx_exec_request req;
  struct sbx_process_info info;
  struct sbx_error err = { 0 };
  _cleanup_strv_ char **env = NULL;
  _cleanup_json_ cJSON *doc = NULL;
  int r;

  if (exec_request(c, &req, &env) < 0)
    return -1;
  r = sbx_process_start(c->sb, &req, &info, &err);
  if (r < 0)
    return fail(c, &err);
  doc = cJSON_CreateObject();
  cJSON_AddBoolToObject(doc, "success", true);
  cJSON_AddStringToObject(doc, "processId", info.id);
  cJSON_AddNumberToObject(doc, "pid", info.pid);
  cJSON_AddStringToObject(doc, "command", info.command);
  sbx_process_info_clear(&info);
  respond(c->out, 200, doc);
  return 0;
}

static int h_process_list(struct call *c)
{
  struct sbx_process_info *list = NULL;
  struct sbx_error err = { 0 };
  _cleanup_json_ cJSON *doc = NULL;
  cJSON *arr;
  size_t n = 0;
  int r;

  r = sbx_process_list(c->sb, c->ctx, &list, &n, &err);
  if (r < 0)
    return fail(c, &err);
  doc = cJSON_CreateObject();
  cJSON_AddBoolToObject(doc, "success", true);
  arr = cJSON_AddArrayToObject(doc, "processes");
  for (size_t i = 0; i < n; i++)
    cJSON_AddItemToArray(arr, process_json(&list[i]));
  sbx_process_list_free(list, n);
  respond(c->out, 200, doc);
  return 0;
}

static int h_process_get(struct call *c)
{
  struct sbx_process_info info;
  struct sbx_error err = { 0 };
  _cleanup_json_ cJSON *doc = NULL;
  int r;

  r = sbx_process_get(c->sb, c->ctx, c->pid_id, &info, &err);
  if (r < 0)
    return fail(c, &err);
  doc = cJSON_CreateObject();
  cJSON_AddBoolToObject(doc, "success", true);
  cJSON_AddItemToObject(doc, "process", process_json(&info));
  sbx_process_info_clear(&info);
  respond(c->out, 200, doc);
  return 0;
}

static int h_process_logs(struct call *c)
{
  struct sbx_error err = { 0 };
  _cleanup_free_ char *out = NULL, *errout = NULL;
  size_t out_len = 0, err_len = 0;
  _cleanup_json_ cJSON *doc = NULL;
  struct sbx_exec_result as_text = { 0 };
  int r;

  r = sbx_process_logs(c->sb, c->ctx, c->pid_id, &out, &out_len, &errout, &err_len, &err);
  if (r < 0)
    return fail(c, &err);
  /* Reuse the exec result's UTF-8 handling for the logs. */
  as_text.stdout_buf = out;
  as_text.stdout_len = out_len;
  as_text.stderr_buf = errout;
  as_text.stderr_len = err_len;
  as_text.command = (char *)"";
  doc = sbx_exec_result_to_json(&as_text);
  if (doc != NULL)
    {
      cJSON_DeleteItemFromObject(doc, "exitCode");
      cJSON_DeleteItemFromObject(doc, "command");
      cJSON_DeleteItemFromObject(doc, "duration");
      cJSON_DeleteItemFromObject(doc, "timestamp");
      cJSON_DeleteItemFromObject(doc, "isolation");
      cJSON_ReplaceItemInObject(doc, "success", cJSON_CreateTrue());
      cJSON_ReplaceItemInObject(doc, "context", cJSON_CreateString(sbx_context_name(c->ctx)));
      cJSON_AddStringToObject(doc, "processId", c->pid_id);
    }
  respond(c->out, 200, doc);
  return 0;
}

static int h_process_kill(struct call *c)
{
  struct sbx_error err = { 0 };
  _cleanup_json_ cJSON *doc = NULL;
  const cJSON *sig = c->body != NULL ? cJSON_GetObjectItemCaseSensitive(c->body, "signal") : NULL;
  int signo = SIGTERM;
  int r;

  if (sig != NULL && cJSON_IsString(sig))
    {
      static const struct
      {
        const char *name;
        int sig;
      } names[] = { { "SIGTERM", SIGTERM }, { "SIGKILL", SIGKILL }, { "SIGINT", SIGINT }, { "SIGHUP", SIGHUP } };
      signo = 0;
      for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(sig->valuestring, names[i].name) == 0)
          signo = names[i].sig;
      if (signo == 0)
        return invalid(c, "\"signal\" must be SIGTERM, SIGKILL, SIGINT or SIGHUP");
    }
  else if (sig != NULL && (!cJSON_IsNumber(sig) || sig->valuedouble < 1 || sig->valuedouble > 64))
    return invalid(c, "\"signal\" must be a signal name or a number from 1 to 64");
  else if (sig != NULL)
    signo = (int)sig->valuedouble;
  r = sbx_process_kill(c->sb, c->ctx, c->pid_id, signo, &err);
  if (r < 0)
    return fail(c, &err);
  doc = cJSON_CreateObject();
  cJSON_AddBoolToObject(doc, "success", true);
  cJSON_AddStringToObject(doc, "processId", c->pid_id);
  respond(c->out, 200, doc);
  return 0;
}

static int encoding_of(struct call *c, bool *base64)
{
  const char *enc = NULL;

  *base64 = false;
  if (field_string(c, "encoding", false, &enc) < 0)
    return -1;
  if (enc != NULL && strcmp(enc, "base64") != 0 && strcmp(enc, "utf-8") != 0 && strcmp(enc, "utf8") != 0)
    return invalid(c, "\"encoding\" must be \"utf-8\" or \"base64\"");
  *base64 = enc != NULL && strcmp(enc, "base64") == 0;
  return 0;
}

static int h_write(struct call *c)
{
  const char *path, *content;
  _cleanup_free_ char *decoded = NULL;
  size_t len;
  bool base64;
  struct sbx_error err = { 0 };
  _cleanup_json_ cJSON *doc = NULL;
  int r;

  if (field_string(c, "path", true, &path) < 0 || field_string(c, "content", true, &content) < 0
      || encoding_of(c, &base64) < 0)
    return -1;
  len = strlen(content);
  if (base64 && sbx_base64_decode(content, &decoded, &len) < 0)
    return invalid(c, "\"content\" is not valid base64");
  r = sbx_file_write(c->sb, c->scope, path, base64 ? decoded : content, len, &err);
  if (r < 0)
    return fail(c, &err);
  doc = cJSON_CreateObject();
  cJSON_AddBoolToObject(doc, "success", true);
  cJSON_AddStringToObject(doc, "path", path);
  cJSON_AddNumberToObject(doc, "size", (double)len);
  respond(c->out, 200, doc);
  return 0;
}

static bool valid_utf8_text(const char *s, size_t len)
{
  for (size_t i = 0; i < len;)
    {
      unsigned char ch = (unsigned char)s[i];
      size_t n = ch < 0x80 ? 1 : (ch >> 5) == 0x6 ? 2 : (ch >> 4) == 0xe ? 3 : (ch >> 3) == 0x1e ? 4 : 0;
      if (n == 0 || ch == 0 || i + n > len)
        return false;
      for (size_t k = 1; k < n; k++)
        if (((unsigned char)s[i + k] >> 6) != 0x2)
          return false;
      i += n;
    }
  return true;
}

static int h_read(struct call *c)
{
  const char *path;
  _cleanup_free_ char *data = NULL, *encoded = NULL;
  size_t len = 0;
  bool base64;
  struct sbx_error err = { 0 };
  _cleanup_json_ cJSON *doc = NULL;
  int r;

  if (field_string(c, "path", true, &path) < 0 || encoding_of(c, &base64) < 0)
    return -1;
  r = sbx_file_read(c->sb, c->scope, path, &data, &len, &err);
  if (r < 0)
    return fail(c, &err);
  /* Text that is not UTF-8 cannot travel as a JSON string: it goes as base64. */
  base64 = base64 || !valid_utf8_text(data, len);
  if (base64 && (encoded = sbx_base64_encode(data, len)) == NULL)
    return invalid(c, "out of memory");
  doc = cJSON_CreateObject();
  cJSON_AddBoolToObject(doc, "success", true);
  cJSON_AddStringToObject(doc, "path", path);
  cJSON_AddStringToObject(doc, "content", base64 ? encoded : data);
  cJSON_AddStringToObject(doc, "encoding", base64 ? "base64" : "utf-8");
  cJSON_AddNumberToObject(doc, "size", (double)len);
  respond(c->out, 200, doc);
  return 0;
}

static int h_exists(struct call *c)
{
  const char *path;
  bool exists = false;
  struct sbx_error err = { 0 };
  _cleanup_json_ cJSON *doc = NULL;
  int r;

  if (field_string(c, "path", true, &path) < 0)
    return -1;
  r = sbx_file_exists(c->sb, c->scope, path, &exists, &err);
  if (r < 0)
    return fail(c, &err);
  doc = cJSON_CreateObject();
  cJSON_AddBoolToObject(doc, "success", true);
  cJSON_AddStringToObject(doc, "path", path);
  cJSON_AddBoolToObject(doc, "exists", exists);
  respond(c->out, 200, doc);
  return 0;
}

static int h_list(struct call *c)
{
  const char *path;
  struct sbx_dirent *list = NULL;
  size_t n = 0;
  struct sbx_error err = { 0 };
  _cleanup_json_ cJSON *doc = NULL;
  cJSON *files;
  int r;

  if (field_string(c, "path", false, &path) < 0)
    return -1;
  r = sbx_file_list(c->sb, c->scope, path != NULL ? path : ".", &list, &n, &err);
  if (r < 0)
    return fail(c, &err);
  doc = cJSON_CreateObject();
  cJSON_AddBoolToObject(doc, "success", true);
  files = cJSON_AddArrayToObject(doc, "files");
  for (size_t i = 0; i < n; i++)
    {
      cJSON *f = cJSON_CreateObject();
      cJSON_AddItemToArray(files, f);
      cJSON_AddStringToObject(f, "name", list[i].name);
      cJSON_AddStringToObject(f, "type", list[i].type == 'f'   ? "file"
                                         : list[i].type == 'd' ? "directory"
                                         : list[i].type == 'l' ? "symlink"
                                                               : "other");
      cJSON_AddNumberToObject(f, "size", (double)list[i].size);
    }
  sbx_dirent_list_free(list, n);
  respond(c->out, 200, doc);
  return 0;
}

/* ---- routing ---- */

/* Patterns: literal segments, ":id" (sandbox), ":ctx" (user|platform), ":scope"
 * (user|platform|shared), ":pid" (process id). Compatibility routes have no
 * :id and act on the sandbox "default" in the user context. */
static const struct route
{
  const char *method, *pattern;
  int (*handler)(struct call *c);
  bool sandbox; /* the router holds c->sb for the handler; "default" is made on first use */
} routes[] = {
  { "GET", "/api/ping", h_ping, false },
  { "GET", "/api/capabilities", h_capabilities, false },
  { "PUT", "/api/sandboxes/:id", h_put_sandbox, false },
  { "DELETE", "/api/sandboxes/:id", h_delete_sandbox, false },
  { "POST", "/api/sandboxes/:id/:ctx/execute", h_execute, true },
  { "POST", "/api/sandboxes/:id/:ctx/execute/stream", h_execute_stream, true },
  { "POST", "/api/sandboxes/:id/:ctx/process/start", h_process_start, true },
  { "GET", "/api/sandboxes/:id/:ctx/process/list", h_process_list, true },
  { "GET", "/api/sandboxes/:id/:ctx/process/:pid/logs", h_process_logs, true },
  { "GET", "/api/sandboxes/:id/:ctx/process/:pid", h_process_get, true },
  { "DELETE", "/api/sandboxes/:id/:ctx/process/:pid", h_process_kill, true },
  { "POST", "/api/sandboxes/:id/:scope/write", h_write, true },
  { "POST", "/api/sandboxes/:id/:scope/read", h_read, true },
  { "POST", "/api/sandboxes/:id/shared/exists", h_exists, true },
  { "POST", "/api/sandboxes/:id/shared/list-files", h_list, true },
  { "POST", "/api/execute", h_execute, true },
  { "POST", "/api/execute/stream", h_execute_stream, true },
  { "POST", "/api/process/start", h_process_start, true },
  { "GET", "/api/process/list", h_process_list, true },
  { "GET", "/api/process/:pid/logs", h_process_logs, true },
  { "GET", "/api/process/:pid", h_process_get, true },
  { "DELETE", "/api/process/:pid", h_process_kill, true },
  { "POST", "/api/write", h_write, true },
  { "POST", "/api/read", h_read, true },
  { "POST", "/api/exists", h_exists, true },
  { "POST", "/api/list-files", h_list, true },
};

static int split(char *path, const char **seg)
{
  int n = 0;

  for (char *save = NULL, *tok = strtok_r(path, "/", &save); tok != NULL; tok = strtok_r(NULL, "/", &save))
    {
      if (n == MAX_SEGMENTS)
        return -1;
      seg[n++] = tok;
    }
  return n;
}

/* 1: matched; 0: not this pattern. Fills c's parameters. */
static int match(const char *pattern, const char **seg, int n, struct call *c)
{
  char buf[128];
  const char *pseg[MAX_SEGMENTS];
  int pn;

  snprintf(buf, sizeof buf, "%s", pattern);
  pn = split(buf, pseg);
  if (pn != n)
    return 0;
  c->id = "default";
  c->ctx = SBX_CTX_USER;
  c->scope = SBX_SCOPE_USER;
  for (int i = 0; i < n; i++)
    {
      if (strcmp(pseg[i], ":id") == 0)
        c->id = seg[i];
      else if (strcmp(pseg[i], ":pid") == 0)
        c->pid_id = seg[i];
      else if (strcmp(pseg[i], ":ctx") == 0)
        {
          if (sbx_context_parse(seg[i], &c->ctx) < 0)
            return 0;
          c->scope = c->ctx == SBX_CTX_USER ? SBX_SCOPE_USER : SBX_SCOPE_PLATFORM;
        }
      else if (strcmp(pseg[i], ":scope") == 0)
        {
          if (strcmp(seg[i], "shared") == 0)
            c->scope = SBX_SCOPE_SHARED;
          else if (sbx_context_parse(seg[i], &c->ctx) == 0)
            c->scope = c->ctx == SBX_CTX_USER ? SBX_SCOPE_USER : SBX_SCOPE_PLATFORM;
          else
            return 0;
        }
      else if (strcmp(pseg[i], seg[i]) != 0)
        return 0;
    }
  if (strstr(pattern, "/shared/") != NULL)
    c->scope = SBX_SCOPE_SHARED;
  return 1;
}

void sbx_api_handle(struct sbx_registry *r, const char *method, const char *path, const char *body, size_t len,
                    struct sbx_api_response *out)
{
  struct call c = { .r = r, .out = out };
  _cleanup_free_ char *copy = strdup(path);
  _cleanup_json_ cJSON *doc = NULL;
  const char *seg[MAX_SEGMENTS];
  bool path_known = false;
  int n;

  memset(out, 0, sizeof *out);
  out->stream_fd = -1;
  if (copy == NULL || (n = split(copy, seg)) < 0)
    {
      sbx_api_error(out, SBX_E_NOT_FOUND, "no such route");
      return;
    }
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
    {
      struct call probe = c;
      if (!match(routes[i].pattern, seg, n, &probe))
        continue;
      path_known = true;
      if (strcmp(routes[i].method, method) != 0)
        continue;
      c = probe;
      if (strcmp(c.id, "default") != 0 && !sbx_sandbox_id_valid(c.id))
        {
        sbx_api_error(out, SBX_E_VALIDATION, "sandbox id must be 1-64 of letters, digits, '-' and '_'");
        return;
      }
      if (len > 0)
        {
          const char *end = NULL;
          /* NUL bytes (raw or escaped) would cut strings short without a word. */
          if (memchr(body, '\0', len) != NULL || memmem(body, len, "\\u0000", 6) != NULL)
            {
        sbx_api_error(out, SBX_E_VALIDATION, "the body contains a NUL byte");
        return;
      }
          doc = cJSON_ParseWithLengthOpts(body, len, &end, false);
          if (doc == NULL)
            {
        sbx_api_error(out, SBX_E_VALIDATION, "the body is not valid JSON");
        return;
      }
          if (!cJSON_IsObject(doc))
            {
        sbx_api_error(out, SBX_E_VALIDATION, "the body must be a JSON object");
        return;
      }
        }
      else
        doc = cJSON_CreateObject();
      c.body = doc;
      if (routes[i].sandbox && (c.sb = sandbox(&c, strcmp(c.id, "default") == 0)) == NULL)
        return;
      routes[i].handler(&c);
      if (c.sb != NULL)
        sbx_registry_put(r, c.sb);
      return;
    }
  if (path_known)
    {
        sbx_api_error(out, "METHOD_NOT_ALLOWED", "this route does not take that method");
        return;
      }
  sbx_api_error(out, SBX_E_NOT_FOUND, "no such route");
}
