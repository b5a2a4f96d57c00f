/* Routing and validation of API requests. Every field a handler uses is
 * checked here, with a message that names it. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "cleanup.h"
#include "executor.h"
#include "request.h"
#include "utf8.h"

#define MAX_SEGMENTS 8
#define MAX_TIMEOUT_MS (24LL * 3600 * 1000)

static int invalid(struct sbx_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int invalid(struct sbx_error *err, const char *fmt, ...)
{
  va_list ap;

  snprintf(err->code, sizeof err->code, "%s", SBX_E_VALIDATION);
  err->errno_ = EINVAL;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return -1;
}

bool sbx_sandbox_id_valid(const char *id)
{
  size_t len = strlen(id);

  if (len == 0 || len > 64)
    return false;
  for (size_t i = 0; i < len; i++)
    if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9')
          || id[i] == '-' || id[i] == '_'))
      return false;
  return true;
}

bool sbx_operation_name_valid(const char *name)
{
  size_t len = strlen(name);

  if (len == 0 || len > SBX_OP_NAME_MAX)
    return false;
  for (size_t i = 0; i < len; i++)
    if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') || (name[i] >= '0' && name[i] <= '9')
          || name[i] == '-' || name[i] == '_' || name[i] == '.'))
      return false;
  return true;
}

/* ---- fields ---- */

static int field_string(struct sbx_request *req, const char *name, bool required, const char **out,
                        struct sbx_error *err)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(req->body, name);

  *out = NULL;
  if (item == NULL || cJSON_IsNull(item))
    return required ? invalid(err, "\"%s\" is required", name) : 0;
  if (!cJSON_IsString(item))
    return invalid(err, "\"%s\" must be a string", name);
  *out = item->valuestring;
  return 0;
}

static int field_bool(struct sbx_request *req, const char *name, bool *out, struct sbx_error *err)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(req->body, name);

  *out = false;
  if (item == NULL || cJSON_IsNull(item))
    return 0;
  if (!cJSON_IsBool(item))
    return invalid(err, "\"%s\" must be a boolean", name);
  *out = cJSON_IsTrue(item);
  return 0;
}

static int field_timeout(struct sbx_request *req, long long *out, struct sbx_error *err)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(req->body, "timeoutMs");

  *out = 0;
  if (item == NULL || cJSON_IsNull(item))
    return 0;
  /* valuedouble, not valueint: valueint saturates. Range first: converting an
   * out-of-range double is undefined. */
  if (!cJSON_IsNumber(item) || !(item->valuedouble >= 0) || item->valuedouble > (double)MAX_TIMEOUT_MS)
    return invalid(err, "\"timeoutMs\" must be a number between 0 and %lld", MAX_TIMEOUT_MS);
  if (item->valuedouble != (double)(long long)item->valuedouble)
    return invalid(err, "\"timeoutMs\" must be a whole number of milliseconds");
  *out = (long long)item->valuedouble;
  return 0;
}

/* An object of strings, as NAME=VALUE entries (the library validates names). */
static int field_env(struct sbx_request *req, const char *name, char ***out, struct sbx_error *err)
{
  const cJSON *env = cJSON_GetObjectItemCaseSensitive(req->body, name), *item;
  _cleanup_strv_ char **v = NULL;
  size_t n = 0;

  *out = NULL;
  if (env == NULL || cJSON_IsNull(env))
    return 0;
  if (!cJSON_IsObject(env))
    return invalid(err, "\"%s\" must be an object of strings", name);
  v = calloc((size_t)cJSON_GetArraySize(env) + 1, sizeof(char *));
  if (v == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "%s", name);
  cJSON_ArrayForEach(item, env)
    {
      if (!cJSON_IsString(item))
        return invalid(err, "%s \"%.60s\" must be a string", name, item->string);
      if (!sbx_env_name_valid(item->string))
        return invalid(err, "%s: \"%.60s\" is not a valid variable name", name, item->string);
      if (asprintf(&v[n], "%s=%s", item->string, item->valuestring) < 0)
        {
          v[n] = NULL;
          return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "%s", name);
        }
      n++;
    }
  *out = steal_pointer(&v);
  return 0;
}

/* ---- per-route parsers ---- */

static int parse_exec(struct sbx_request *req, struct sbx_error *err)
{
  req->exec.context = req->ctx;
  if (field_string(req, "command", true, &req->exec.command, err) < 0
      || field_string(req, "cwd", false, &req->exec.cwd, err) < 0
      || field_timeout(req, &req->exec.timeout_ms, err) < 0 || field_env(req, "env", &req->env, err) < 0
      || field_bool(req, "init", &req->exec.init, err) < 0)
    return -1;
  if (req->exec.command[0] == '\0')
    return invalid(err, "\"command\" must not be empty");
  req->exec.env = (const char *const *)req->env;
  return 0;
}

/* limits.NAME: a whole number in [min, max]; absent leaves *out as it is. */
static int limit_field(const cJSON *limits, const char *name, double min, double max, double *out,
                       struct sbx_error *err)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(limits, name);

  if (item == NULL || cJSON_IsNull(item))
    return 0;
  if (!cJSON_IsNumber(item) || !(item->valuedouble >= min) || item->valuedouble > max
      || item->valuedouble != (double)(long long)item->valuedouble)
    return invalid(err, "\"limits.%s\" must be a whole number between %.0f and %.0f", name, min, max);
  *out = item->valuedouble;
  return 0;
}

/* "limits": {"pids", "memory" (bytes), "cpuWeight", "sharedMax" (bytes)}: -1 is none, absent the daemon's default. */
static int field_limits(struct sbx_request *req, struct sbx_limits *out, struct sbx_error *err)
{
  const cJSON *limits = cJSON_GetObjectItemCaseSensitive(req->body, "limits");
  double pids = (double)out->pids, memory = (double)out->memory, weight = out->cpu_weight,
         shared = (double)out->shared_max;

  if (limits == NULL || cJSON_IsNull(limits))
    return 0;
  if (!cJSON_IsObject(limits))
    return invalid(err, "\"limits\" must be an object: {\"pids\", \"memory\", \"cpuWeight\", \"sharedMax\"}");
  if (limit_field(limits, "pids", -1, 4194304, &pids, err) < 0
      || limit_field(limits, "memory", -1, 1ULL << 50, &memory, err) < 0
      || limit_field(limits, "cpuWeight", 1, 10000, &weight, err) < 0
      || limit_field(limits, "sharedMax", -1, 1ULL << 50, &shared, err) < 0)
    return -1;
  out->pids = (long)pids;
  out->memory = (long long)memory;
  out->cpu_weight = (unsigned)weight;
  out->shared_max = (long long)shared;
  return 0;
}

static int parse_sandbox_put(struct sbx_request *req, struct sbx_error *err)
{
  const char *net = NULL;

  if (field_bool(req, "requireIsolation", &req->sandbox.require_isolation, err) < 0
      || field_bool(req, "legacy", &req->sandbox.legacy, err) < 0
      || field_string(req, "userNetwork", false, &net, err) < 0
      || field_limits(req, &req->sandbox.limits, err) < 0)
    return -1;
  if (net != NULL && sbx_network_parse(net, &req->sandbox.user_network) < 0)
    return invalid(err, "\"userNetwork\" must be \"isolated\" or \"host\"");
  if (cJSON_GetObjectItemCaseSensitive(req->body, "envVars") != NULL && !req->sandbox.legacy)
    return invalid(err, "\"envVars\" are sandbox-wide secrets visible to user code: only with \"legacy\": true");
  if (field_env(req, "envVars", &req->legacy_env, err) < 0)
    return -1;
  req->sandbox.legacy_env = (const char *const *)req->legacy_env;
  return 0;
}

static int parse_encoding(struct sbx_request *req, struct sbx_error *err)
{
  const char *enc = NULL;

  if (field_string(req, "encoding", false, &enc, err) < 0)
    return -1;
  if (enc != NULL && strcmp(enc, "base64") != 0 && strcmp(enc, "utf-8") != 0 && strcmp(enc, "utf8") != 0)
    return invalid(err, "\"encoding\" must be \"utf-8\" or \"base64\"");
  req->base64 = enc != NULL && strcmp(enc, "base64") == 0;
  return 0;
}

static int parse_path(struct sbx_request *req, struct sbx_error *err)
{
  if (field_string(req, "path", req->kind != SBX_R_LIST, &req->path, err) < 0)
    return -1;
  if (req->path == NULL)
    req->path = ".";
  if (req->path[0] == '\0')
    return invalid(err, "\"path\" must not be empty");
  return 0;
}

static int parse_write(struct sbx_request *req, struct sbx_error *err)
{
  if (parse_path(req, err) < 0 || field_string(req, "content", true, &req->content, err) < 0
      || parse_encoding(req, err) < 0)
    return -1;
  req->content_len = strlen(req->content);
  if (req->base64)
    {
      if (sbx_base64_decode(req->content, &req->decoded, &req->content_len) < 0)
        return invalid(err, "\"content\" is not valid base64");
      req->content = req->decoded;
    }
  return 0;
}

static int hex_value(char c)
{
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* "path=P" in the query, percent-decoded.
 * A NUL byte would cut the path short without a word: refused, as in JSON. */
static int query_path(struct sbx_request *req, const char *query, struct sbx_error *err)
{
  const char *p = query, *value = NULL;
  size_t vlen = 0, n = 0;

  while (p != NULL && *p != '\0')
    {
      const char *amp = strchr(p, '&'), *end = amp != NULL ? amp : p + strlen(p);
      if (strncmp(p, "path=", 5) == 0)
        {
          if (value != NULL)
            return invalid(err, "the query names \"path\" twice");
          value = p + 5;
          vlen = (size_t)(end - value);
        }
      p = amp != NULL ? amp + 1 : NULL;
    }
  if (value == NULL)
    return invalid(err, "\"path\" is required, in the query: ?path=...");
  if ((req->query_path = malloc(vlen + 1)) == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "path");
  for (size_t i = 0; i < vlen; i++)
    {
      char c = value[i];
      if (c == '%')
        {
          int hi = i + 2 < vlen ? hex_value(value[i + 1]) : -1;
          int lo = i + 2 < vlen ? hex_value(value[i + 2]) : -1;
          if (hi < 0 || lo < 0)
            return invalid(err, "\"path\" in the query has a bad %%-escape");
          c = (char)(hi * 16 + lo);
          i += 2;
        }
      if (c == '\0')
        return invalid(err, "\"path\" contains a NUL byte");
      req->query_path[n++] = c;
    }
  req->query_path[n] = '\0';
  if (n == 0)
    return invalid(err, "\"path\" must not be empty");
  req->path = req->query_path;
  return 0;
}

static int parse_read(struct sbx_request *req, struct sbx_error *err)
{
  return parse_path(req, err) < 0 ? -1 : parse_encoding(req, err);
}

static int parse_kill(struct sbx_request *req, struct sbx_error *err)
{
  static const struct
  {
    const char *name;
    int sig;
  } names[] = { { "SIGTERM", SIGTERM }, { "SIGKILL", SIGKILL }, { "SIGINT", SIGINT }, { "SIGHUP", SIGHUP } };
  const cJSON *sig = cJSON_GetObjectItemCaseSensitive(req->body, "signal");
  const cJSON *wait = cJSON_GetObjectItemCaseSensitive(req->body, "waitMs");

  req->signo = SIGTERM;
  req->wait_ms = 0;
  if (wait != NULL && !cJSON_IsNull(wait))
    {
      if (!cJSON_IsNumber(wait) || !(wait->valuedouble >= 0 && wait->valuedouble <= SBX_KILL_WAIT_MAX_MS)
          || wait->valuedouble != (double)(int)wait->valuedouble)
        return invalid(err, "\"waitMs\" must be a whole number of milliseconds from 0 to %d", SBX_KILL_WAIT_MAX_MS);
      req->wait_ms = (int)wait->valuedouble;
    }
  if (sig == NULL || cJSON_IsNull(sig))
    return 0;
  if (cJSON_IsString(sig))
    {
      for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(sig->valuestring, names[i].name) == 0)
          {
            req->signo = names[i].sig;
            return 0;
          }
      return invalid(err, "\"signal\" must be SIGTERM, SIGKILL, SIGINT or SIGHUP");
    }
  if (!cJSON_IsNumber(sig) || !(sig->valuedouble >= 1 && sig->valuedouble <= 64)
      || sig->valuedouble != (double)(int)sig->valuedouble)
    return invalid(err, "\"signal\" must be a signal name or a whole number from 1 to 64");
  req->signo = (int)sig->valuedouble;
  return 0;
}

/* A callback is the client's own endpoint: a unix socket path, or an
 * http:// URL on loopback. The daemon never calls out beyond the host. */
static bool loopback_url(const char *url)
{
  static const char *const prefixes[] = { "http://127.", "http://localhost:", "http://localhost/", "http://[::1]:",
                                          "http://[::1]/" };

  for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
    if (strncmp(url, prefixes[i], strlen(prefixes[i])) == 0)
      {
        /* 127.x: digits and dots up to the port or path, so "127.0.0.1.evil.com" is not loopback. */
        if (i == 0)
          {
            const char *p = url + strlen(prefixes[0]);
            p += strspn(p, "0123456789.");
            return *p == ':' || *p == '/' || *p == '\0';
          }
        return true;
      }
  return false;
}

static int parse_register(struct sbx_request *req, struct sbx_error *err)
{
  if (field_string(req, "callbackSocket", false, &req->callback_socket, err) < 0
      || field_string(req, "callbackUrl", false, &req->callback_url, err) < 0
      || field_timeout(req, &req->timeout_ms, err) < 0)
    return -1;
  if ((req->callback_socket == NULL) == (req->callback_url == NULL))
    return invalid(err, "give one of \"callbackSocket\" (a unix socket path) and \"callbackUrl\"");
  if (req->callback_socket != NULL
      && (req->callback_socket[0] != '/' || strlen(req->callback_socket) >= 108))
    return invalid(err, "\"callbackSocket\" must be an absolute path shorter than 108 bytes");
  if (req->callback_url != NULL && (!loopback_url(req->callback_url) || strlen(req->callback_url) > 2048))
    return invalid(err, "\"callbackUrl\" must be an http:// URL on loopback (127.x.x.x, localhost or [::1])");
  return 0;
}

static int parse_call(struct sbx_request *req, struct sbx_error *err)
{
  const cJSON *params = cJSON_GetObjectItemCaseSensitive(req->body, "params");

  req->params = params != NULL ? cJSON_PrintUnformatted(params) : strdup("null");
  if (req->params == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "params");
  return 0;
}

/* ---- routing ---- */

/* Patterns: literal segments, ":id" (sandbox), ":ctx" (user|platform),
 * ":scope" (user|platform|shared), ":pid" (process id), ":op" (operation).
 * Routes without :id are the compatibility routes: sandbox "default", user context. */
static const struct route
{
  const char *method, *pattern;
  enum sbx_route_kind kind;
  bool sandbox;
  int (*parse)(struct sbx_request *req, struct sbx_error *err);
  bool raw; /* the body is bytes, not JSON; the path is in the query */
} routes[] = {
  { "GET", "/api/ping", SBX_R_PING, false, NULL, false },
  { "GET", "/api/capabilities", SBX_R_CAPABILITIES, false, NULL, false },
  { "GET", "/api/sandboxes", SBX_R_SANDBOX_LIST, false, NULL, false },
  { "PUT", "/api/sandboxes/:id", SBX_R_SANDBOX_PUT, false, parse_sandbox_put, false },
  { "DELETE", "/api/sandboxes/:id", SBX_R_SANDBOX_DELETE, false, NULL, false },
  { "POST", "/api/sandboxes/:id/:ctx/execute", SBX_R_EXECUTE, true, parse_exec, false },
  { "POST", "/api/sandboxes/:id/:ctx/execute/stream", SBX_R_EXECUTE_STREAM, true, parse_exec, false },
  { "POST", "/api/sandboxes/:id/:ctx/process/start", SBX_R_PROCESS_START, true, parse_exec, false },
  { "GET", "/api/sandboxes/:id/:ctx/process/list", SBX_R_PROCESS_LIST, true, NULL, false },
  { "GET", "/api/sandboxes/:id/:ctx/process/:pid/logs", SBX_R_PROCESS_LOGS, true, NULL, false },
  { "GET", "/api/sandboxes/:id/:ctx/process/:pid", SBX_R_PROCESS_GET, true, NULL, false },
  { "DELETE", "/api/sandboxes/:id/:ctx/process/:pid", SBX_R_PROCESS_KILL, true, parse_kill, false },
  { "POST", "/api/sandboxes/:id/:scope/write", SBX_R_WRITE, true, parse_write, false },
  { "POST", "/api/sandboxes/:id/:scope/read", SBX_R_READ, true, parse_read, false },
  { "PUT", "/api/sandboxes/:id/:scope/files", SBX_R_FILE_PUT, true, NULL, true },
  { "GET", "/api/sandboxes/:id/:scope/files", SBX_R_FILE_GET, true, NULL, true },
  { "POST", "/api/sandboxes/:id/shared/exists", SBX_R_EXISTS, true, parse_path, false },
  { "POST", "/api/sandboxes/:id/shared/list-files", SBX_R_LIST, true, parse_path, false },
  { "POST", "/api/sandboxes/:id/operations/:op", SBX_R_OPERATION_REGISTER, true, parse_register, false },
  { "DELETE", "/api/sandboxes/:id/operations/:op", SBX_R_OPERATION_DELETE, true, NULL, false },
  { "POST", "/api/sandboxes/:id/operations/:op/call", SBX_R_OPERATION_CALL, true, parse_call, false },
  { "POST", "/api/execute", SBX_R_EXECUTE, true, parse_exec, false },
  { "POST", "/api/execute/stream", SBX_R_EXECUTE_STREAM, true, parse_exec, false },
  { "POST", "/api/process/start", SBX_R_PROCESS_START, true, parse_exec, false },
  { "GET", "/api/process/list", SBX_R_PROCESS_LIST, true, NULL, false },
  { "GET", "/api/process/:pid/logs", SBX_R_PROCESS_LOGS, true, NULL, false },
  { "GET", "/api/process/:pid", SBX_R_PROCESS_GET, true, NULL, false },
  { "DELETE", "/api/process/:pid", SBX_R_PROCESS_KILL, true, parse_kill, false },
  { "POST", "/api/write", SBX_R_WRITE, true, parse_write, false },
  { "POST", "/api/read", SBX_R_READ, true, parse_read, false },
  { "PUT", "/api/files", SBX_R_FILE_PUT, true, NULL, true },
  { "GET", "/api/files", SBX_R_FILE_GET, true, NULL, true },
  { "POST", "/api/exists", SBX_R_EXISTS, true, parse_path, false },
  { "POST", "/api/list-files", SBX_R_LIST, true, parse_path, false },
  { "POST", "/api/operations/:op/call", SBX_R_OPERATION_CALL, true, parse_call, false },
};

/* Empty segments are kept ("/api/sandboxes//user/execute" has an empty id,
 * which must be a bad id, not another route), but for leading slashes (a base
 * URL that ends in '/') and one trailing slash. */
static int split(char *path, const char **seg)
{
  size_t len = strlen(path);
  int n = 0;

  if (len > 1 && path[len - 1] == '/')
    path[len - 1] = '\0';
  while (path[0] == '/')
    path++;
  if (path[0] == '\0')
    return 0;
  for (char *tok; (tok = strsep(&path, "/")) != NULL;)
    {
      if (n == MAX_SEGMENTS)
        return -1;
      seg[n++] = tok;
    }
  return n;
}

static bool process_id_valid(const char *id)
{
  return sbx_sandbox_id_valid(id); /* proc-N; the same alphabet, so a well-formed unknown one is a 404 */
}

/* A path parameter: copied when it fits, else marked bad (too long is a bad
 * id, VALIDATION_FAILED, not a route that does not exist). */
static void param(char *out, size_t size, const char *s, bool *bad)
{
  if ((size_t)snprintf(out, size, "%s", s) >= size)
    *bad = true;
}

static bool scope_parse(const char *name, bool shared_ok, struct sbx_request *req)
{
  if (shared_ok && strcmp(name, "shared") == 0)
    {
      req->scope = SBX_SCOPE_SHARED;
      return true;
    }
  if (sbx_context_parse(name, &req->ctx) < 0)
    return false;
  req->scope = req->ctx == SBX_CTX_USER ? SBX_SCOPE_USER : SBX_SCOPE_PLATFORM;
  return true;
}

/* true when the segments fit the pattern; fills req's path parameters. */
static bool match(const char *pattern, const char **seg, int n, struct sbx_request *req)
{
  char buf[128];
  const char *pseg[MAX_SEGMENTS];

  snprintf(buf, sizeof buf, "%s", pattern);
  if (split(buf, pseg) != n)
    return false;
  snprintf(req->sandbox_id, sizeof req->sandbox_id, "default");
  req->ctx = SBX_CTX_USER;
  req->scope = strstr(pattern, "/shared/") != NULL ? SBX_SCOPE_SHARED : SBX_SCOPE_USER;
  req->bad_param = false;
  for (int i = 0; i < n; i++)
    {
      const char *p = pseg[i], *s = seg[i];
      bool ok = true;

      if (strcmp(p, ":id") == 0)
        param(req->sandbox_id, sizeof req->sandbox_id, s, &req->bad_param);
      else if (strcmp(p, ":pid") == 0)
        param(req->process_id, sizeof req->process_id, s, &req->bad_param);
      else if (strcmp(p, ":op") == 0)
        param(req->operation, sizeof req->operation, s, &req->bad_param);
      else if (strcmp(p, ":ctx") == 0)
        ok = scope_parse(s, false, req);
      else if (strcmp(p, ":scope") == 0)
        ok = scope_parse(s, true, req);
      else
        ok = strcmp(p, s) == 0;
      if (!ok)
        return false;
    }
  return true;
}

static int compare_keys(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* In any object of the document: which of two values would a handler use? */
static bool has_duplicate_keys(const cJSON *item)
{
  const cJSON *child;
  bool dup = false;

  if (cJSON_IsObject(item))
    {
      size_t n = (size_t)cJSON_GetArraySize(item), i = 0;
      const char **keys = n > 1 ? malloc(n * sizeof *keys) : NULL;

      if (n > 1 && keys == NULL)
        return true; /* out of memory: refuse rather than guess */
      cJSON_ArrayForEach(child, item)
        if (keys != NULL)
          keys[i++] = child->string;
      if (keys != NULL)
        {
          qsort(keys, n, sizeof *keys, compare_keys);
          for (i = 1; i < n && !dup; i++)
            dup = strcmp(keys[i - 1], keys[i]) == 0;
          free(keys);
        }
    }
  cJSON_ArrayForEach(child, item)
    if (!dup && (cJSON_IsObject(child) || cJSON_IsArray(child)))
      dup = has_duplicate_keys(child);
  return dup;
}

static int parse_body(struct sbx_request *req, const char *body, size_t len, struct sbx_error *err)
{
  const char *end = NULL;

  if (len == 0)
    {
      req->body = cJSON_CreateObject();
      return req->body != NULL ? 0 : sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "body");
    }
  /* NUL bytes, raw or escaped, would cut strings short without a word. */
  if (memchr(body, '\0', len) != NULL || memmem(body, len, "\\u0000", 6) != NULL)
    return invalid(err, "the body contains a NUL byte");
  /* JSON is UTF-8 (RFC 8259), and cJSON takes any bytes in a string: a path
   * or a command that is not UTF-8 would come back in answers that are not. */
  if (!sbx_utf8_valid(body, len))
    return invalid(err, "the body is not valid UTF-8");
  req->body = cJSON_ParseWithLengthOpts(body, len, &end, false);
  if (req->body == NULL)
    return invalid(err, "the body is not valid JSON");
  /* One value and nothing after it: "{...}{...}" must not run the first. */
  for (; end < body + len; end++)
    if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r')
      return invalid(err, "the body has data after its JSON value");
  if (!cJSON_IsObject(req->body))
    return invalid(err, "the body must be a JSON object");
  if (has_duplicate_keys(req->body))
    return invalid(err, "the body names a key twice");
  return 0;
}

int sbx_request_parse(const char *method, const char *path, const char *body, size_t len, struct sbx_request *req,
                      struct sbx_error *err)
{
  _cleanup_free_ char *copy = strdup(path);
  const char *seg[MAX_SEGMENTS];
  char *query = NULL;
  bool path_known = false;
  int n;

  memset(req, 0, sizeof *req);
  if (copy == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "route");
  if ((query = strchr(copy, '?')) != NULL)
    *query++ = '\0';
  if ((n = split(copy, seg)) < 0)
    return sbx_error_set(err, ENOENT, SBX_E_NOT_FOUND, "no such route");
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
    {
      const struct route *rt = &routes[i];

      if (!match(rt->pattern, seg, n, req))
        continue;
      path_known = true;
      if (strcmp(rt->method, method) != 0)
        continue;
      req->kind = rt->kind;
      req->sandbox_scoped = rt->sandbox;
      if (strstr(rt->pattern, ":id") != NULL && (req->bad_param || !sbx_sandbox_id_valid(req->sandbox_id)))
        return invalid(err, "sandbox id must be 1-64 of letters, digits, '-' and '_'");
      if (strstr(rt->pattern, ":pid") != NULL && (req->bad_param || !process_id_valid(req->process_id)))
        return invalid(err, "process id must be 1-64 of letters, digits, '-' and '_' (as process/start gave it)");
      if (strstr(rt->pattern, ":op") != NULL && (req->bad_param || !sbx_operation_name_valid(req->operation)))
        return invalid(err, "operation name must be 1-%d of letters, digits, '.', '-' and '_'", SBX_OP_NAME_MAX);
      if (rt->raw)
        {
          if ((req->body = cJSON_CreateObject()) == NULL)
            return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "body");
          req->content = body;
          req->content_len = len;
          return query_path(req, query, err);
        }
      if (parse_body(req, body, len, err) < 0)
        return -1;
      return rt->parse != NULL ? rt->parse(req, err) : 0;
    }
  if (path_known)
    return sbx_error_set(err, EINVAL, SBX_E_METHOD_NOT_ALLOWED, "this route does not take %.16s", method);
  return sbx_error_set(err, ENOENT, SBX_E_NOT_FOUND, "no such route");
}

void sbx_request_clear(struct sbx_request *req)
{
  cJSON_Delete(req->body);
  sbx_strvfreep(&req->env);
  sbx_strvfreep(&req->legacy_env);
  free(req->decoded);
  free(req->params);
  free(req->query_path);
  memset(req, 0, sizeof *req);
}

size_t sbx_request_body_max(const char *method, const char *path)
{
  struct sbx_request req = { 0 };
  struct sbx_error err = { 0 };
  size_t max = SBX_REQUEST_BODY_MAX;

  /* The route alone decides: the body is not read yet. */
  if (strcmp(method, "PUT") == 0 && sbx_request_parse(method, path, "", 0, &req, &err) == 0
      && req.kind == SBX_R_FILE_PUT)
    max = SBX_REQUEST_RAW_MAX;
  sbx_request_clear(&req);
  return max;
}
