/* libsplitbox-client: HTTP+JSON to splitboxd over a unix socket or loopback
 * TCP. Each call takes an idle curl handle from the client's pool (or makes
 * one), so calls from many threads run at once and keep their connections. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "buffer.h"
#include "cleanup.h"
#include "error.h"
#include "splitbox.h"

#define RESPONSE_MAX (256u * 1024 * 1024)
#define POOL_MAX 16

struct sbx_client
{
  char *base_url;    /* http://localhost for a socket */
  char *socket_path; /* NULL for a URL */
  char *sandbox_id;  /* NULL: the compatibility routes */
  char *auth_header;
  long request_timeout_ms;
  pthread_mutex_t lock;
  CURL *idle[POOL_MAX];
  size_t n_idle;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_ready = CURLE_FAILED_INIT;

static void curl_init(void)
{
  curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- transport ---- */

struct body
{
  struct sbx_buffer buf;
  bool too_large;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
  struct body *b = arg;
  size_t len = size * n;

  if (sbx_buffer_append(&b->buf, data, len, RESPONSE_MAX) < 0)
    {
      b->too_large = errno == EFBIG;
      return 0;
    }
  return len;
}

static CURL *take_handle(struct sbx_client *c)
{
  CURL *h = NULL;

  pthread_mutex_lock(&c->lock);
  if (c->n_idle > 0)
    h = c->idle[--c->n_idle];
  pthread_mutex_unlock(&c->lock);
  if (h == NULL && (h = curl_easy_init()) == NULL)
    return NULL;
  curl_easy_reset(h);
  return h;
}

static void give_handle(struct sbx_client *c, CURL *h)
{
  pthread_mutex_lock(&c->lock);
  if (c->n_idle < POOL_MAX)
    {
      c->idle[c->n_idle++] = h;
      h = NULL;
    }
  pthread_mutex_unlock(&c->lock);
  if (h != NULL)
    curl_easy_cleanup(h);
}

/* Safe to send twice: reads, and what the API makes idempotent (PUT finds a
 * sandbox that exists or writes the same bytes again, DELETE ends what may be
 * gone already). Never exec, process/start, a JSON write, or an operation
 * call: they could run twice. */
static bool idempotent(const char *method, const char *path)
{
  static const char *const read_posts[] = { "/read", "/exists", "/list-files" };
  size_t len = strlen(path);

  if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 || strcmp(method, "PUT") == 0
      || strcmp(method, "DELETE") == 0)
    return true;
  for (size_t i = 0; strcmp(method, "POST") == 0 && i < sizeof read_posts / sizeof read_posts[0]; i++)
    if (len >= strlen(read_posts[i]) && strcmp(path + len - strlen(read_posts[i]), read_posts[i]) == 0)
      return true;
  return false;
}

/* A reset or an empty reply: the connection died before any answer, most
 * often one the daemon had just closed as idle. */
static bool connection_lost(CURLcode rc)
{
  return rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR;
}

/* libcurl sends a request again by itself, on a new connection, when a
 * reused one dies before any answer (seen with 7.88: an exec ran twice). For
 * what must not run twice the second sending is refused here, just before it
 * would go out: the request fails instead. */
struct sendings
{
  bool only_once;
  int count;
};

static int before_sending(void *clientp, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
  struct sendings *s = clientp;

  (void)primary_ip, (void)local_ip, (void)primary_port, (void)local_port;
  return s->only_once && s->count++ > 0 ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
}

static CURLcode perform(struct sbx_client *c, CURL *h, const char *method, const char *url, const char *body,
                        size_t len, struct curl_slist *headers, bool fresh, struct sendings *sent, long *status,
                        struct body *b)
{
  CURLcode rc;

  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_URL, url);
  if (c->socket_path != NULL)
    curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->socket_path);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, fresh ? 1L : 0L);
  if (c->request_timeout_ms > 0)
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->request_timeout_ms);
  if (body != NULL)
    {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
  /* A libcurl older than 7.80 has no such hook: then what must not run twice
   * goes on a fresh connection, which libcurl never sends again. */
  if ((curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, before_sending) != CURLE_OK
       || curl_easy_setopt(h, CURLOPT_PREREQDATA, sent) != CURLE_OK)
      && sent->only_once)
    curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
  rc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
  return rc;
}

int sbx_request_bytes(struct sbx_client *c, const char *method, const char *path, const char *content_type,
                      const char *body, size_t len, long *status, char **response, size_t *response_len,
                      struct sbx_error *err)
{
  _cleanup_free_ char *url = NULL, *type = NULL;
  struct curl_slist *headers = NULL;
  struct body b = { 0 };
  struct sendings sent = { .only_once = !idempotent(method, path) };
  CURL *h;
  CURLcode rc;

  *status = 0;
  *response = NULL;
  if (asprintf(&url, "%s%s", c->base_url, path) < 0 || asprintf(&type, "Content-Type: %s", content_type) < 0
      || (h = take_handle(c)) == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "request");
  headers = curl_slist_append(headers, type);
  if (c->auth_header != NULL)
    headers = curl_slist_append(headers, c->auth_header);
  rc = perform(c, h, method, url, body, len, headers, false, &sent, status, &b);
  /* Once, on a fresh connection, and only what may run twice. */
  if (connection_lost(rc) && b.buf.len == 0 && idempotent(method, path))
    {
      free(b.buf.data);
      memset(&b, 0, sizeof b);
      rc = perform(c, h, method, url, body, len, headers, true, &sent, status, &b);
    }
  curl_slist_free_all(headers);
  give_handle(c, h);
  if (rc != CURLE_OK)
    {
      free(b.buf.data);
      if (b.too_large)
        return sbx_error_set(err, EFBIG, SBX_E_PROTOCOL, "%s %s: the answer is larger than %u bytes", method, path,
                             RESPONSE_MAX);
      const char *where = c->socket_path != NULL ? c->socket_path : c->base_url;
      if (rc == CURLE_ABORTED_BY_CALLBACK && sent.count > 1)
        return sbx_error_set(err, ECONNRESET, SBX_E_UNAVAILABLE,
                             "%s: the connection closed before any answer; %s %s may have run, and is not sent again",
                             where, method, path);
      switch (rc)
        {
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
          return sbx_error_set(err, ECONNREFUSED, SBX_E_UNAVAILABLE, "%s: %s", where, curl_easy_strerror(rc));
        case CURLE_OPERATION_TIMEDOUT:
          return sbx_error_set(err, ETIMEDOUT, SBX_E_CLIENT_TIMEOUT, "%s %s: no answer within %ld ms", method, path,
                               c->request_timeout_ms);
        case CURLE_WRITE_ERROR:
        case CURLE_OUT_OF_MEMORY:
          return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "%s %s", method, path);
        default:
          return sbx_error_set(err, EPROTO, SBX_E_PROTOCOL, "%s %s at %s: %s", method, path, where,
                               curl_easy_strerror(rc));
        }
    }
  *response = b.buf.data != NULL ? b.buf.data : strdup("");
  *response_len = b.buf.data != NULL ? b.buf.len : 0;
  return *response != NULL ? 0 : sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "request");
}

int sbx_request(struct sbx_client *c, const char *method, const char *path, const char *body, long *status,
                char **response, struct sbx_error *err)
{
  size_t len;

  return sbx_request_bytes(c, method, path, "application/json", body, body != NULL ? strlen(body) : 0, status,
                           response, &len, err);
}

/* An error answer's code and message, or a protocol error when it has none. */
static int error_from(const char *method, const char *path, long status, const char *response, struct sbx_error *err)
{
  _cleanup_json_ cJSON *d = cJSON_Parse(response);
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(d, "code");
  const cJSON *msg = cJSON_GetObjectItemCaseSensitive(d, "message");

  if (!cJSON_IsString(code))
    return sbx_error_set(err, EPROTO, SBX_E_PROTOCOL, "%s %s: HTTP %ld with a body that is not an API error: %.80s",
                         method, path, status, response);
  return sbx_error_set(err, EIO, code->valuestring, "%s", cJSON_IsString(msg) ? msg->valuestring : "the daemon gave no message");
}

/* The API's answer as JSON; an error status becomes err (code and message
 * from the body). With keep_doc_on_error, *doc is set even then. */
static int call_json(struct sbx_client *c, const char *method, const char *path, cJSON *body, cJSON **doc,
                     bool keep_doc_on_error, struct sbx_error *err)
{
  _cleanup_free_ char *text = body != NULL ? cJSON_PrintUnformatted(body) : NULL;
  _cleanup_free_ char *response = NULL;
  long status;
  cJSON *d;

  *doc = NULL;
  if (body != NULL && text == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "request");
  if (sbx_request(c, method, path, text, &status, &response, err) < 0)
    return -1;
  d = cJSON_Parse(response);
  if (d == NULL || !cJSON_IsObject(d))
    {
      cJSON_Delete(d);
      return sbx_error_set(err, EPROTO, SBX_E_PROTOCOL, "%s %s: HTTP %ld with a body that is not a JSON object: %.80s",
                           method, path, status, response);
    }
  if (status < 200 || status > 299)
    {
      const cJSON *code = cJSON_GetObjectItemCaseSensitive(d, "code");
      const cJSON *msg = cJSON_GetObjectItemCaseSensitive(d, "message");
      sbx_error_set(err, EIO, cJSON_IsString(code) ? code->valuestring : SBX_E_PROTOCOL, "%s",
                    cJSON_IsString(msg) ? msg->valuestring : "the daemon gave no message");
      if (keep_doc_on_error)
        *doc = d;
      else
        cJSON_Delete(d);
      return -1;
    }
  *doc = d;
  return 0;
}

/* ---- routes ---- */

static const char *context_segment(enum sbx_where w)
{
  return w == SBX_PLATFORM_CONTEXT ? "platform" : w == SBX_SHARED_FILES ? "shared" : "user";
}

/* /api/sandboxes/ID/CTX/TAIL, or /api/TAIL on the compatibility routes,
 * which have the user context (and its files) only. */
static char *route(struct sbx_client *c, enum sbx_where w, const char *tail, struct sbx_error *err)
{
  char *path = NULL;
  int n;

  if (c->sandbox_id == NULL && w != SBX_USER_CONTEXT)
    {
      sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "the %s context needs a sandbox id (sbx_open)", context_segment(w));
      return NULL;
    }
  if (c->sandbox_id == NULL)
    n = asprintf(&path, "/api/%s", tail);
  else
    n = asprintf(&path, "/api/sandboxes/%s/%s/%s", c->sandbox_id, context_segment(w), tail);
  if (n < 0)
    {
      sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "route");
      return NULL;
    }
  return path;
}

static bool safe_segment(const char *s)
{
  return s[0] != '\0' && strcspn(s, "/?#% ") == strlen(s) && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/* ---- open and close ---- */

struct sbx_client *sbx_open(const char *socket_or_url, const char *sandbox_id, const struct sbx_client_options *opts,
                            struct sbx_error *err)
{
  struct sbx_client *c;
  cJSON *doc = NULL;

  pthread_once(&curl_once, curl_init);
  if (curl_ready != CURLE_OK)
    {
      sbx_error_set(err, EIO, SBX_E_INTERNAL, "libcurl could not be initialised");
      return NULL;
    }
  if (socket_or_url == NULL || socket_or_url[0] == '\0')
    {
      sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "no daemon socket or URL given");
      return NULL;
    }
  if (sandbox_id != NULL && !safe_segment(sandbox_id))
    {
      sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "sandbox id \"%.64s\" cannot be part of a URL", sandbox_id);
      return NULL;
    }
  c = calloc(1, sizeof *c);
  if (c == NULL)
    {
      sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "client");
      return NULL;
    }
  pthread_mutex_init(&c->lock, NULL);
  if (strncmp(socket_or_url, "http://", 7) == 0)
    {
      size_t len = strlen(socket_or_url);
      c->base_url = strndup(socket_or_url, len > 0 && socket_or_url[len - 1] == '/' ? len - 1 : len);
    }
  else
    {
      c->base_url = strdup("http://localhost");
      c->socket_path = strdup(socket_or_url);
    }
  c->sandbox_id = sandbox_id != NULL ? strdup(sandbox_id) : NULL;
  if (opts != NULL && opts->token != NULL && asprintf(&c->auth_header, "Authorization: Bearer %s", opts->token) < 0)
    c->auth_header = NULL;
  c->request_timeout_ms = opts != NULL ? opts->request_timeout_ms : 0;
  if (c->base_url == NULL || (c->socket_path == NULL && strncmp(socket_or_url, "http://", 7) != 0)
      || (sandbox_id != NULL && c->sandbox_id == NULL))
    {
      sbx_close(c);
      sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "client");
      return NULL;
    }
  if (opts != NULL && opts->create && sandbox_id != NULL)
    {
      _cleanup_free_ char *path = NULL;
      _cleanup_json_ cJSON *empty = cJSON_CreateObject();
      if (asprintf(&path, "/api/sandboxes/%s", sandbox_id) < 0
          || call_json(c, "PUT", path, empty, &doc, false, err) < 0)
        {
          if (path == NULL)
            sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "client");
          sbx_close(c);
          return NULL;
        }
      cJSON_Delete(doc);
    }
  return c;
}

void sbx_close(struct sbx_client *c)
{
  if (c == NULL)
    return;
  for (size_t i = 0; i < c->n_idle; i++)
    curl_easy_cleanup(c->idle[i]);
  if (c->auth_header != NULL)
    explicit_bzero(c->auth_header, strlen(c->auth_header));
  free(c->auth_header);
  free(c->base_url);
  free(c->socket_path);
  free(c->sandbox_id);
  pthread_mutex_destroy(&c->lock);
  free(c);
}

/* ---- JSON helpers ---- */

static char *dup_string(const cJSON *doc, const char *name)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(doc, name);
  return cJSON_IsString(item) ? strdup(item->valuestring) : NULL;
}

/* A number of the answer, clamped to [lo, hi]: converting an out-of-range
 * double to an integer type is undefined. */
static double number(const cJSON *doc, const char *name, double fallback, double lo, double hi)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(doc, name);

  if (!cJSON_IsNumber(item) || !(item->valuedouble == item->valuedouble))
    return fallback;
  return item->valuedouble < lo ? lo : item->valuedouble > hi ? hi : item->valuedouble;
}
#define INT_NUMBER(doc, name, fallback) ((int)number((doc), (name), (fallback), -2147483648.0, 2147483647.0))

static cJSON *exec_body(const char *command, const struct sbx_exec_options *opts, bool init, struct sbx_error *err)
{
  cJSON *body = cJSON_CreateObject();

  if (body == NULL || cJSON_AddStringToObject(body, "command", command) == NULL)
    goto oom;
  if (init && cJSON_AddTrueToObject(body, "init") == NULL)
    goto oom;
  if (opts != NULL && opts->cwd != NULL && cJSON_AddStringToObject(body, "cwd", opts->cwd) == NULL)
    goto oom;
  if (opts != NULL && opts->timeout_ms != 0 && cJSON_AddNumberToObject(body, "timeoutMs", (double)opts->timeout_ms) == NULL)
    goto oom;
  if (opts != NULL && opts->env != NULL)
    {
      cJSON *env = cJSON_AddObjectToObject(body, "env");
      if (env == NULL)
        goto oom;
      for (const char *const *e = opts->env; *e != NULL; e++)
        {
          const char *eq = strchr(*e, '=');
          _cleanup_free_ char *name = eq != NULL ? strndup(*e, (size_t)(eq - *e)) : NULL;
          if (eq == NULL)
            {
              cJSON_Delete(body);
              sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "env entry \"%.60s\" is not NAME=VALUE", *e);
              return NULL;
            }
          if (name == NULL || cJSON_AddStringToObject(env, name, eq + 1) == NULL)
            goto oom;
        }
    }
  return body;
oom:
  cJSON_Delete(body);
  sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "request");
  return NULL;
}

/* Output that is not text comes as base64, with NAMEEncoding saying so. */
static void output_from(const cJSON *doc, const char *name, char **buf, size_t *len)
{
  char key[32];
  const cJSON *enc;

  snprintf(key, sizeof key, "%sEncoding", name);
  enc = cJSON_GetObjectItemCaseSensitive(doc, key);
  *buf = dup_string(doc, name);
  *len = *buf != NULL ? strlen(*buf) : 0;
  if (*buf != NULL && cJSON_IsString(enc) && strcmp(enc->valuestring, "base64") == 0)
    {
      char *decoded = NULL;
      size_t n = 0;
      if (sbx_base64_decode(*buf, &decoded, &n) == 0)
        {
          free(*buf);
          *buf = decoded;
          *len = n;
        }
    }
}

static void result_from(const cJSON *doc, struct sbx_result *res)
{
  const cJSON *warnings = cJSON_GetObjectItemCaseSensitive(doc, "warnings");
  const cJSON *w;
  size_t n = 0;

  res->success = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "success"));
  res->exit_code = INT_NUMBER(doc, "exitCode", -1);
  output_from(doc, "stdout", &res->stdout_buf, &res->stdout_len);
  output_from(doc, "stderr", &res->stderr_buf, &res->stderr_len);
  res->truncated = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "truncated"));
  res->duration_ms = number(doc, "duration", 0, 0, 1e15);
  res->context = dup_string(doc, "context");
  res->isolation = dup_string(doc, "isolation");
  if (cJSON_IsArray(warnings) && (res->warnings = calloc((size_t)cJSON_GetArraySize(warnings) + 1, sizeof(char *))))
    cJSON_ArrayForEach(w, warnings)
      if (cJSON_IsString(w) && (res->warnings[n] = strdup(w->valuestring)) != NULL)
        n++;
}

/* ---- exec ---- */

static int exec_in(struct sbx_client *c, enum sbx_where w, const char *command, const struct sbx_exec_options *opts,
                   bool init, struct sbx_result *res, struct sbx_error *err)
{
  _cleanup_free_ char *path = NULL;
  _cleanup_json_ cJSON *body = NULL, *doc = NULL;
  int r;

  memset(res, 0, sizeof *res);
  if ((path = route(c, w, "execute", err)) == NULL || (body = exec_body(command, opts, init, err)) == NULL)
    return -1;
  r = call_json(c, "POST", path, body, &doc, true, err);
  /* A timeout's answer still carries the result. */
  if (doc != NULL && (r == 0 || cJSON_GetObjectItemCaseSensitive(doc, "exitCode") != NULL))
    result_from(doc, res);
  return r;
}

int sbx_platform_exec(struct sbx_client *c, const char *command, const struct sbx_exec_options *opts,
                      struct sbx_result *res, struct sbx_error *err)
{
  return exec_in(c, SBX_PLATFORM_CONTEXT, command, opts, false, res, err);
}

int sbx_platform_exec_under_init(struct sbx_client *c, const char *command, const struct sbx_exec_options *opts,
                                 struct sbx_result *res, struct sbx_error *err)
{
  return exec_in(c, SBX_PLATFORM_CONTEXT, command, opts, true, res, err);
}

int sbx_user_exec(struct sbx_client *c, const char *command, const struct sbx_exec_options *opts,
                  struct sbx_result *res, struct sbx_error *err)
{
  return exec_in(c, SBX_USER_CONTEXT, command, opts, false, res, err);
}

void sbx_result_free(struct sbx_result *res)
{
  free(res->stdout_buf);
  free(res->stderr_buf);
  free(res->context);
  free(res->isolation);
  for (char **w = res->warnings; w != NULL && *w != NULL; w++)
    free(*w);
  free(res->warnings);
  memset(res, 0, sizeof *res);
}

/* ---- processes ---- */

static void process_from(const cJSON *o, struct sbx_process *p)
{
  memset(p, 0, sizeof *p);
  p->id = dup_string(o, "id");
  if (p->id == NULL)
    p->id = dup_string(o, "processId");
  p->pid = INT_NUMBER(o, "pid", 0);
  p->command = dup_string(o, "command");
  p->status = dup_string(o, "status");
  p->exited = cJSON_GetObjectItemCaseSensitive(o, "exitCode") != NULL;
  p->exit_code = INT_NUMBER(o, "exitCode", 0);
}

static int start_in(struct sbx_client *c, enum sbx_where w, const char *command, const struct sbx_exec_options *opts,
                    struct sbx_process *out, struct sbx_error *err)
{
  _cleanup_free_ char *path = NULL;
  _cleanup_json_ cJSON *body = NULL, *doc = NULL;

  memset(out, 0, sizeof *out);
  if ((path = route(c, w, "process/start", err)) == NULL || (body = exec_body(command, opts, false, err)) == NULL
      || call_json(c, "POST", path, body, &doc, false, err) < 0)
    return -1;
  process_from(doc, out);
  if (out->status == NULL)
    out->status = strdup("running");
  return 0;
}

int sbx_platform_start_process(struct sbx_client *c, const char *command, const struct sbx_exec_options *opts,
                               struct sbx_process *out, struct sbx_error *err)
{
  return start_in(c, SBX_PLATFORM_CONTEXT, command, opts, out, err);
}

int sbx_user_start_process(struct sbx_client *c, const char *command, const struct sbx_exec_options *opts,
                           struct sbx_process *out, struct sbx_error *err)
{
  return start_in(c, SBX_USER_CONTEXT, command, opts, out, err);
}

static char *process_route(struct sbx_client *c, enum sbx_where w, const char *id, const char *suffix,
                           struct sbx_error *err)
{
  _cleanup_free_ char *tail = NULL;

  if (w == SBX_SHARED_FILES)
    {
      sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "processes live in the user or the platform context");
      return NULL;
    }
  if (id != NULL && !safe_segment(id))
    {
      sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "process id \"%.64s\" cannot be part of a URL", id);
      return NULL;
    }
  if (asprintf(&tail, "process/%s%s", id != NULL ? id : "list", suffix) < 0)
    {
      sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "route");
      return NULL;
    }
  return route(c, w, tail, err);
}

int sbx_kill_process(struct sbx_client *c, enum sbx_where ctx, const char *id, int signo, struct sbx_error *err)
{
  _cleanup_free_ char *path = process_route(c, ctx, id, "", err);
  _cleanup_json_ cJSON *body = cJSON_CreateObject(), *doc = NULL;

  if (path == NULL)
    return -1;
  if (body == NULL || (signo != 0 && cJSON_AddNumberToObject(body, "signal", signo) == NULL))
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "request");
  return call_json(c, "DELETE", path, body, &doc, false, err);
}

int sbx_list_processes(struct sbx_client *c, enum sbx_where ctx, struct sbx_process **list, size_t *n,
                       struct sbx_error *err)
{
  _cleanup_free_ char *path = process_route(c, ctx, NULL, "", err);
  _cleanup_json_ cJSON *doc = NULL;
  const cJSON *arr, *o;
  size_t i = 0;

  *list = NULL;
  *n = 0;
  if (path == NULL || call_json(c, "GET", path, NULL, &doc, false, err) < 0)
    return -1;
  arr = cJSON_GetObjectItemCaseSensitive(doc, "processes");
  if (!cJSON_IsArray(arr))
    return sbx_error_set(err, EPROTO, SBX_E_PROTOCOL, "process/list: no \"processes\" array");
  *list = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof **list);
  if (*list == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "process list");
  cJSON_ArrayForEach(o, arr)
    process_from(o, &(*list)[i++]);
  *n = i;
  return 0;
}

int sbx_get_process(struct sbx_client *c, enum sbx_where ctx, const char *id, struct sbx_process *out,
                    struct sbx_error *err)
{
  _cleanup_free_ char *path = process_route(c, ctx, id, "", err);
  _cleanup_json_ cJSON *doc = NULL;
  const cJSON *p;

  memset(out, 0, sizeof *out);
  if (path == NULL || call_json(c, "GET", path, NULL, &doc, false, err) < 0)
    return -1;
  p = cJSON_GetObjectItemCaseSensitive(doc, "process");
  if (!cJSON_IsObject(p))
    return sbx_error_set(err, EPROTO, SBX_E_PROTOCOL, "process/%s: no \"process\" object", id);
  process_from(p, out);
  return 0;
}

int sbx_get_process_logs(struct sbx_client *c, enum sbx_where ctx, const char *id, struct sbx_result *logs,
                         struct sbx_error *err)
{
  _cleanup_free_ char *path = process_route(c, ctx, id, "/logs", err);
  _cleanup_json_ cJSON *doc = NULL;

  memset(logs, 0, sizeof *logs);
  if (path == NULL || call_json(c, "GET", path, NULL, &doc, false, err) < 0)
    return -1;
  result_from(doc, logs);
  return 0;
}

void sbx_process_free(struct sbx_process *p)
{
  free(p->id);
  free(p->command);
  free(p->status);
  memset(p, 0, sizeof *p);
}

void sbx_processes_free(struct sbx_process *list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    sbx_process_free(&list[i]);
  free(list);
}

/* ---- files ---- */

static char *file_route(struct sbx_client *c, enum sbx_where w, const char *op, struct sbx_error *err)
{
  /* The compatibility routes have the user's files only. */
  if (c->sandbox_id == NULL && w == SBX_SHARED_FILES)
    {
      sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "the shared directory needs a sandbox id (sbx_open)");
      return NULL;
    }
  return route(c, w, op, err);
}

/* .../files?path=P, P %-encoded. */
static char *raw_route(struct sbx_client *c, enum sbx_where w, const char *path, struct sbx_error *err)
{
  static const char hex[] = "0123456789ABCDEF";
  _cleanup_free_ char *tail = malloc(sizeof "files?path=" + 3 * strlen(path));
  char *p;

  if (tail == NULL)
    {
      sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "route");
      return NULL;
    }
  p = stpcpy(tail, "files?path=");
  for (const unsigned char *s = (const unsigned char *)path; *s != '\0'; s++)
    if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr("-_.~/", *s) != NULL)
      *p++ = (char)*s;
    else
      {
        *p++ = '%';
        *p++ = hex[*s >> 4];
        *p++ = hex[*s & 15];
      }
  *p = '\0';
  return file_route(c, w, tail, err);
}

int sbx_client_put_file(struct sbx_client *c, enum sbx_where where, const char *path, const void *data, size_t len,
                        struct sbx_error *err)
{
  _cleanup_free_ char *url = raw_route(c, where, path, err), *response = NULL;
  size_t rlen = 0;
  long status;

  if (url == NULL)
    return -1;
  if (sbx_request_bytes(c, "PUT", url, "application/octet-stream", data != NULL ? data : "", len, &status, &response, &rlen,
               err) < 0)
    return -1;
  return status >= 200 && status <= 299 ? 0 : error_from("PUT", url, status, response, err);
}

int sbx_client_get_file(struct sbx_client *c, enum sbx_where where, const char *path, char **data, size_t *len,
                        struct sbx_error *err)
{
  _cleanup_free_ char *url = raw_route(c, where, path, err), *response = NULL;
  long status;

  *data = NULL;
  *len = 0;
  if (url == NULL)
    return -1;
  if (sbx_request_bytes(c, "GET", url, "application/octet-stream", NULL, 0, &status, &response, len, err) < 0)
    return -1;
  if (status < 200 || status > 299)
    {
      *len = 0;
      return error_from("GET", url, status, response, err);
    }
  *data = steal_pointer(&response);
  return 0;
}

int sbx_write_file(struct sbx_client *c, enum sbx_where where, const char *path, const void *data, size_t len,
                   struct sbx_error *err)
{
  _cleanup_free_ char *url = file_route(c, where, "write", err), *encoded = NULL;
  _cleanup_json_ cJSON *body = cJSON_CreateObject(), *doc = NULL;

  if (url == NULL)
    return -1;
  if (body == NULL || (encoded = sbx_base64_encode(data, len)) == NULL
      || cJSON_AddStringToObject(body, "path", path) == NULL || cJSON_AddStringToObject(body, "content", encoded) == NULL
      || cJSON_AddStringToObject(body, "encoding", "base64") == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "request");
  return call_json(c, "POST", url, body, &doc, false, err);
}

int sbx_read_file(struct sbx_client *c, enum sbx_where where, const char *path, char **data, size_t *len,
                  struct sbx_error *err)
{
  _cleanup_free_ char *url = file_route(c, where, "read", err);
  _cleanup_json_ cJSON *body = cJSON_CreateObject(), *doc = NULL;
  const cJSON *content, *enc;

  *data = NULL;
  *len = 0;
  if (url == NULL)
    return -1;
  if (body == NULL || cJSON_AddStringToObject(body, "path", path) == NULL
      || cJSON_AddStringToObject(body, "encoding", "base64") == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "request");
  if (call_json(c, "POST", url, body, &doc, false, err) < 0)
    return -1;
  content = cJSON_GetObjectItemCaseSensitive(doc, "content");
  enc = cJSON_GetObjectItemCaseSensitive(doc, "encoding");
  if (!cJSON_IsString(content))
    return sbx_error_set(err, EPROTO, SBX_E_PROTOCOL, "read: no \"content\"");
  /* A server may answer in text whatever was asked: honour what it says. */
  if (cJSON_IsString(enc) && strcmp(enc->valuestring, "base64") == 0)
    {
      if (sbx_base64_decode(content->valuestring, data, len) < 0)
        return sbx_error_set(err, EPROTO, SBX_E_PROTOCOL, "read: \"content\" is not valid base64");
      return 0;
    }
  *data = strdup(content->valuestring);
  *len = *data != NULL ? strlen(*data) : 0;
  return *data != NULL ? 0 : sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "read");
}

int sbx_shared_exists(struct sbx_client *c, const char *path, bool *exists, struct sbx_error *err)
{
  _cleanup_free_ char *url = file_route(c, SBX_SHARED_FILES, "exists", err);
  _cleanup_json_ cJSON *body = cJSON_CreateObject(), *doc = NULL;

  *exists = false;
  if (url == NULL)
    return -1;
  if (body == NULL || cJSON_AddStringToObject(body, "path", path) == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "request");
  if (call_json(c, "POST", url, body, &doc, false, err) < 0)
    return -1;
  *exists = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "exists"));
  return 0;
}

int sbx_shared_ls(struct sbx_client *c, const char *path, struct sbx_file_entry **list, size_t *n,
                  struct sbx_error *err)
{
  _cleanup_free_ char *url = file_route(c, SBX_SHARED_FILES, "list-files", err);
  _cleanup_json_ cJSON *body = cJSON_CreateObject(), *doc = NULL;
  const cJSON *files, *f;
  size_t i = 0;

  *list = NULL;
  *n = 0;
  if (url == NULL)
    return -1;
  if (body == NULL || cJSON_AddStringToObject(body, "path", path != NULL ? path : ".") == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "request");
  if (call_json(c, "POST", url, body, &doc, false, err) < 0)
    return -1;
  files = cJSON_GetObjectItemCaseSensitive(doc, "files");
  if (!cJSON_IsArray(files))
    return sbx_error_set(err, EPROTO, SBX_E_PROTOCOL, "list-files: no \"files\" array");
  *list = calloc((size_t)cJSON_GetArraySize(files) + 1, sizeof **list);
  if (*list == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "list-files");
  cJSON_ArrayForEach(f, files)
    {
      (*list)[i].name = dup_string(f, "name");
      (*list)[i].type = dup_string(f, "type");
      (*list)[i].size = (unsigned long long)number(f, "size", 0, 0, 1.8e19);
      i++;
    }
  *n = i;
  return 0;
}

void sbx_file_entries_free(struct sbx_file_entry *list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free(list[i].name);
      free(list[i].type);
    }
  free(list);
}

/* ---- operations ---- */

static char *operation_route(struct sbx_client *c, const char *name, const char *suffix, struct sbx_error *err)
{
  char *path = NULL;
  int n;

  if (!safe_segment(name))
    {
      sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "operation name \"%.64s\" cannot be part of a URL", name);
      return NULL;
    }
  if (c->sandbox_id != NULL)
    n = asprintf(&path, "/api/sandboxes/%s/operations/%s%s", c->sandbox_id, name, suffix);
  else
    n = asprintf(&path, "/api/operations/%s%s", name, suffix);
  if (n < 0)
    sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "route");
  return n < 0 ? NULL : path;
}

int sbx_register_operation(struct sbx_client *c, const char *name, const char *callback_socket,
                           const char *callback_url, struct sbx_error *err)
{
  _cleanup_free_ char *path = NULL;
  _cleanup_json_ cJSON *body = cJSON_CreateObject(), *doc = NULL;

  if (c->sandbox_id == NULL)
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "registering an operation needs a sandbox id (sbx_open)");
  if ((path = operation_route(c, name, "", err)) == NULL)
    return -1;
  if (body == NULL
      || (callback_socket != NULL && cJSON_AddStringToObject(body, "callbackSocket", callback_socket) == NULL)
      || (callback_url != NULL && cJSON_AddStringToObject(body, "callbackUrl", callback_url) == NULL))
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "request");
  return call_json(c, "POST", path, body, &doc, false, err);
}

int sbx_unregister_operation(struct sbx_client *c, const char *name, struct sbx_error *err)
{
  _cleanup_free_ char *path = NULL;
  _cleanup_json_ cJSON *doc = NULL;

  if (c->sandbox_id == NULL)
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "unregistering an operation needs a sandbox id (sbx_open)");
  if ((path = operation_route(c, name, "", err)) == NULL)
    return -1;
  return call_json(c, "DELETE", path, NULL, &doc, false, err);
}

int sbx_call_operation(struct sbx_client *c, const char *name, const char *params_json, char **result_json,
                       struct sbx_error *err)
{
  _cleanup_free_ char *path = NULL, *body = NULL, *response = NULL;
  long status;

  *result_json = NULL;
  if ((path = operation_route(c, name, "/call", err)) == NULL)
    return -1;
  {
    /* Parsed whole, and the body built by cJSON: "1, \"x\": 2" must not add keys. */
    cJSON *p = params_json != NULL ? cJSON_ParseWithOpts(params_json, NULL, true) : cJSON_CreateNull();
    cJSON *doc = p != NULL ? cJSON_CreateObject() : NULL;

    if (p == NULL)
      return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "params are not valid JSON");
    if (doc == NULL || !cJSON_AddItemToObject(doc, "params", p))
      {
        cJSON_Delete(p);
        cJSON_Delete(doc);
        return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "request");
      }
    body = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    if (body == NULL)
      return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "request");
  }
  if (sbx_request(c, "POST", path, body, &status, &response, err) < 0)
    return -1;
  if (status < 200 || status > 299)
    {
      _cleanup_json_ cJSON *doc = cJSON_Parse(response);
      const cJSON *code = cJSON_GetObjectItemCaseSensitive(doc, "code");
      const cJSON *msg = cJSON_GetObjectItemCaseSensitive(doc, "message");
      return sbx_error_set(err, EIO, cJSON_IsString(code) ? code->valuestring : SBX_E_PROTOCOL, "%s",
                           cJSON_IsString(msg) ? msg->valuestring : "the daemon gave no message");
    }
  *result_json = steal_pointer(&response);
  return 0;
}
