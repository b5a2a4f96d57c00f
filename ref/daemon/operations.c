#include <cjson/cJSON.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdatomic.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "executor.h"
#include "operations.h"
#include "request.h"
#include "utf8.h"

struct operation
{
  char name[SBX_OP_NAME_MAX + 1];
  char *socket, *url;
  long long timeout_ms;
};

struct sbx_operations
{
  pthread_mutex_t lock;
  struct operation *ops;
  size_t n;
  atomic_bool closing; /* calls in flight abort: their sandbox is going */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_ready = CURLE_FAILED_INIT;

static void curl_init(void)
{
  curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct sbx_operations *sbx_operations_new(void)
{
  struct sbx_operations *ops = calloc(1, sizeof *ops);

  pthread_once(&curl_once, curl_init);
  if (ops != NULL)
    pthread_mutex_init(&ops->lock, NULL);
  return ops;
}

static void operation_clear(struct operation *op)
{
  free(op->socket);
  free(op->url);
  memset(op, 0, sizeof *op);
}

void sbx_operations_close(struct sbx_operations *ops)
{
  if (ops != NULL)
    atomic_store(&ops->closing, true);
}

void sbx_operations_free(struct sbx_operations *ops)
{
  if (ops == NULL)
    return;
  for (size_t i = 0; i < ops->n; i++)
    operation_clear(&ops->ops[i]);
  free(ops->ops);
  pthread_mutex_destroy(&ops->lock);
  free(ops);
}

static struct operation *find(struct sbx_operations *ops, const char *name)
{
  for (size_t i = 0; i < ops->n; i++)
    if (strcmp(ops->ops[i].name, name) == 0)
      return &ops->ops[i];
  return NULL;
}

static void curlu_freep(CURLU **u)
{
  curl_url_cleanup(*u);
}

/* The URL as libcurl will read it, if it is http:// on loopback with no user
 * part: a prefix check would let "http://127.0.0.1:1@elsewhere/" through. */
static char *loopback_url(const char *url, struct sbx_error *err)
{
  __attribute__((cleanup(curlu_freep))) CURLU *u = curl_url();
  char *scheme = NULL, *host = NULL, *user = NULL, *password = NULL, *canonical = NULL;
  unsigned char addr[16];
  bool ok;

  if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK
      || curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK
      || curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
    {
      curl_free(scheme);
      sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "\"callbackUrl\" is not a URL");
      return NULL;
    }
  ok = strcmp(scheme, "http") == 0 && curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_NO_USER
       && curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_NO_PASSWORD
       && (strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0
           || (inet_pton(AF_INET, host, addr) == 1 && addr[0] == 127));
  if (ok && curl_url_get(u, CURLUPART_URL, &canonical, 0) != CURLUE_OK)
    canonical = NULL;
  curl_free(scheme);
  curl_free(host);
  curl_free(user);
  curl_free(password);
  if (!ok || canonical == NULL)
    {
      sbx_error_set(err, EINVAL, SBX_E_VALIDATION,
                    "\"callbackUrl\" must be http:// on loopback (127.x.x.x, localhost or [::1]) with no user part");
      return NULL;
    }
  {
    char *copy = strdup(canonical);
    curl_free(canonical);
    if (copy == NULL)
      sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "callbackUrl");
    return copy;
  }
}

int sbx_operations_register(struct sbx_operations *ops, const char *name, const char *socket, const char *url,
                            long long timeout_ms, struct sbx_error *err)
{
  struct operation op = { .timeout_ms = timeout_ms > 0 ? timeout_ms : SBX_OPERATION_DEFAULT_TIMEOUT_MS }, *slot;

  pthread_once(&curl_once, curl_init);
  snprintf(op.name, sizeof op.name, "%s", name);
  if (url != NULL && (op.url = loopback_url(url, err)) == NULL)
    return -1;
  op.socket = socket != NULL ? strdup(socket) : NULL;
  if ((socket != NULL && op.socket == NULL) || (url != NULL && op.url == NULL))
    {
      operation_clear(&op);
      return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "register %s", name);
    }
  pthread_mutex_lock(&ops->lock);
  if ((slot = find(ops, name)) != NULL)
    operation_clear(slot);
  else
    {
      struct operation *grown = realloc(ops->ops, (ops->n + 1) * sizeof *grown);
      if (grown == NULL)
        {
          pthread_mutex_unlock(&ops->lock);
          operation_clear(&op);
          return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "register %s", name);
        }
      ops->ops = grown;
      slot = &ops->ops[ops->n++];
    }
  *slot = op;
  pthread_mutex_unlock(&ops->lock);
  return 0;
}

int sbx_operations_unregister(struct sbx_operations *ops, const char *name, struct sbx_error *err)
{
  struct operation *op;

  pthread_mutex_lock(&ops->lock);
  if ((op = find(ops, name)) == NULL)
    {
      pthread_mutex_unlock(&ops->lock);
      return sbx_error_set(err, ENOENT, SBX_E_OPERATION_NOT_FOUND, "no operation \"%s\" is registered", name);
    }
  operation_clear(op);
  *op = ops->ops[--ops->n];
  pthread_mutex_unlock(&ops->lock);
  return 0;
}

struct answer
{
  char *buf;
  size_t len;
  bool too_large;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
  struct answer *a = arg;
  size_t len = size * n;
  char *grown;

  if (a->len + len > SBX_OPERATION_RESULT_MAX)
    {
      a->too_large = true;
      return 0; /* aborts the transfer */
    }
  grown = realloc(a->buf, a->len + len + 1);
  if (grown == NULL)
    return 0;
  a->buf = grown;
  memcpy(a->buf + a->len, data, len);
  a->len += len;
  a->buf[a->len] = '\0';
  return len;
}

/* Called by libcurl while a transfer runs: a closing registry aborts it, so
 * that deleting a sandbox never waits for a callback (which might be waiting
 * for that very delete). */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
  const struct sbx_operations *ops = arg;
  return atomic_load(&ops->closing) ? 1 : 0;
}

static void curl_cleanupp(CURL **c)
{
  if (*c != NULL)
    curl_easy_cleanup(*c);
}

static void slist_freep(struct curl_slist **l)
{
  curl_slist_free_all(*l);
}

static int forward(struct sbx_operations *ops, const struct operation *op, const char *body, char **result,
                   struct sbx_error *err)
{
  __attribute__((cleanup(curl_cleanupp))) CURL *c = curl_easy_init();
  __attribute__((cleanup(slist_freep))) struct curl_slist *headers = NULL;
  _cleanup_free_ char *url = NULL;
  struct answer a = { 0 };
  const char *where = op->socket != NULL ? op->socket : op->url;
  long status = 0;
  CURLcode rc;

  if (curl_ready != CURLE_OK || c == NULL)
    return sbx_error_set(err, EIO, SBX_E_INTERNAL, "libcurl is not available");
  if (op->socket != NULL && asprintf(&url, "http://localhost/operations/%s", op->name) < 0)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "operation");
  headers = curl_slist_append(NULL, "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_URL, op->socket != NULL ? url : op->url);
  if (op->socket != NULL)
    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, op->socket);
  /* Loopback only, checked at registration; no redirect may lead elsewhere. */
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)op->timeout_ms);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, ops);
  rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK)
    {
      free(a.buf);
      if (a.too_large)
        return sbx_error_set(err, EFBIG, SBX_E_OPERATION_FAILED, "operation \"%s\": the answer is larger than %u bytes",
                             op->name, SBX_OPERATION_RESULT_MAX);
      if (rc == CURLE_ABORTED_BY_CALLBACK)
        return sbx_error_set(err, ECANCELED, SBX_E_OPERATION_FAILED, "operation \"%s\": its sandbox is going away",
                             op->name);
      return sbx_error_set(err, EIO, SBX_E_OPERATION_FAILED, "operation \"%s\": its callback %s did not answer: %s",
                           op->name, where, curl_easy_strerror(rc));
    }
  if (status < 200 || status > 299)
    {
      sbx_error_set(err, EIO, SBX_E_OPERATION_FAILED, "operation \"%s\": its callback answered HTTP %ld: %.120s",
                    op->name, status, a.buf != NULL ? a.buf : "");
      free(a.buf);
      return -1;
    }
  {
    /* All of it one JSON value: no trailing data, no NUL byte (the answer
     * travels on as a C string), and UTF-8: it goes on as it is, and cJSON
     * takes any bytes in a string. */
    cJSON *doc = a.buf != NULL && memchr(a.buf, '\0', a.len) == NULL && sbx_utf8_valid(a.buf, a.len)
                     ? cJSON_ParseWithOpts(a.buf, NULL, true)
                     : NULL;
    bool ok = doc != NULL;
    cJSON_Delete(doc);
    if (!ok)
      {
        free(a.buf);
        return sbx_error_set(err, EPROTO, SBX_E_OPERATION_FAILED, "operation \"%s\": its callback's answer is not UTF-8 JSON",
                             op->name);
      }
  }
  *result = a.buf;
  return 0;
}

int sbx_operations_call(struct sbx_operations *ops, const char *sandbox_id, const char *name, const char *params,
                        char **result, struct sbx_error *err)
{
  struct operation copy = { 0 }, *op;
  _cleanup_free_ char *body = NULL;
  cJSON *doc, *p;
  int r;

  *result = NULL;
  if (atomic_load(&ops->closing))
    return sbx_error_set(err, ECANCELED, SBX_E_OPERATION_FAILED, "operation \"%s\": its sandbox is going away", name);
  pthread_mutex_lock(&ops->lock);
  if ((op = find(ops, name)) != NULL)
    {
      copy = *op;
      copy.socket = op->socket != NULL ? strdup(op->socket) : NULL;
      copy.url = op->url != NULL ? strdup(op->url) : NULL;
    }
  pthread_mutex_unlock(&ops->lock);
  if (op == NULL)
    return sbx_error_set(err, ENOENT, SBX_E_OPERATION_NOT_FOUND, "no operation \"%s\" is registered", name);
  if (copy.socket == NULL && copy.url == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "operation");
  doc = cJSON_CreateObject();
  p = cJSON_Parse(params);
  if (doc != NULL && p != NULL)
    {
      cJSON_AddStringToObject(doc, "operation", name);
      cJSON_AddStringToObject(doc, "sandboxId", sandbox_id);
      cJSON_AddItemToObject(doc, "params", p);
      p = NULL;
      body = cJSON_PrintUnformatted(doc);
    }
  cJSON_Delete(p);
  cJSON_Delete(doc);
  r = body != NULL ? forward(ops, &copy, body, result, err) : sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "operation");
  operation_clear(&copy);
  return r;
}
