#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"
#include "operations.h"
#include "request.h"

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

int sbx_operations_register(struct sbx_operations *ops, const char *name, const char *socket, const char *url,
                            long long timeout_ms, struct sbx_error *err)
{
  struct operation op = { .timeout_ms = timeout_ms > 0 ? timeout_ms : SBX_OPERATION_DEFAULT_TIMEOUT_MS }, *slot;

  snprintf(op.name, sizeof op.name, "%s", name);
  op.socket = socket != NULL ? strdup(socket) : NULL;
  op.url = url != NULL ? strdup(url) : NULL;
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

static void curl_cleanupp(CURL **c)
{
  if (*c != NULL)
    curl_easy_cleanup(*c);
}

static void slist_freep(struct curl_slist **l)
{
  curl_slist_free_all(*l);
}

static int forward(const struct operation *op, const char *body, char **result, struct sbx_error *err)
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
  rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK)
    {
      free(a.buf);
      if (a.too_large)
        return sbx_error_set(err, EFBIG, SBX_E_OPERATION_FAILED, "operation \"%s\": the answer is larger than %u bytes",
                             op->name, SBX_OPERATION_RESULT_MAX);
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
    cJSON *doc = a.buf != NULL ? cJSON_ParseWithLength(a.buf, a.len) : NULL;
    bool ok = doc != NULL;
    cJSON_Delete(doc);
    if (!ok)
      {
        free(a.buf);
        return sbx_error_set(err, EPROTO, SBX_E_OPERATION_FAILED, "operation \"%s\": its callback's answer is not JSON",
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
  r = body != NULL ? forward(&copy, body, result, err) : sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "operation");
  operation_clear(&copy);
  return r;
}
