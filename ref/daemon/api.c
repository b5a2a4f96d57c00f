/* The API's handlers: a parsed request (request.c) against the registry's
 * sandboxes, and a JSON answer. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "api.h"
#include "cleanup.h"
#include "base64.h"
#include "clock.h"
#include "io.h"
#include "utf8.h"
#include "operations.h"
#include "request.h"

struct call
{
  struct sbx_registry *r;
  struct sbx_request *q;
  struct sbx_sandbox *sb; /* held by the dispatcher for sandbox-scoped routes */
  struct sbx_api_response *out;
};

/* ---- errors ---- */

static const struct
{
  const char *code;
  unsigned status;
} statuses[] = {
  { SBX_E_VALIDATION, 400 },
  { SBX_E_PATH_OUTSIDE_ROOT, 400 },
  { SBX_E_IS_DIRECTORY, 400 },
  { SBX_E_NOT_REGULAR, 400 },
  { SBX_E_UNAUTHORIZED, 401 },
  { SBX_E_PERMISSION, 403 },
  { SBX_E_READ_ONLY, 403 },
  { SBX_E_FILE_NOT_FOUND, 404 },
  { SBX_E_PROCESS_NOT_FOUND, 404 },
  { SBX_E_SANDBOX_NOT_FOUND, 404 },
  { SBX_E_OPERATION_NOT_FOUND, 404 },
  { SBX_E_NOT_FOUND, 404 },
  { SBX_E_METHOD_NOT_ALLOWED, 405 },
  { SBX_E_TIMEOUT, 408 },
  { SBX_E_TOO_LARGE, 413 },
  { SBX_E_TOO_LARGE_PAYLOAD, 413 },
  { SBX_E_OPERATION_FAILED, 502 },
  { SBX_E_NO_NAMESPACES, 503 },
  { "TOO_MANY_SANDBOXES", 503 },
  { SBX_E_TOO_MANY_CONNECTIONS, 503 },
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

static cJSON *error_doc(const char *code, const char *raw_message)
{
  cJSON *doc = cJSON_CreateObject();
  char ts[40];
  /* A message quotes what it failed on (a path, a name), and its fixed size
   * may have cut a character in two: an answer must stay UTF-8. */
  _cleanup_free_ char *message = sbx_utf8_sanitize(raw_message, strlen(raw_message));

  sbx_iso8601(sbx_wall_seconds(), ts, sizeof ts);
  if (doc != NULL
      && (!cJSON_AddBoolToObject(doc, "success", false) || !cJSON_AddStringToObject(doc, "code", code)
          || !cJSON_AddStringToObject(doc, "message", message != NULL ? message : "")
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

/* An error's message in an answer, made UTF-8 as error_doc does. */
static void add_message(cJSON *doc, const char *message)
{
  _cleanup_free_ char *clean = sbx_utf8_sanitize(message, strlen(message));
  cJSON_AddStringToObject(doc, "message", clean != NULL ? clean : "");
}

static cJSON *success_doc(void)
{
  cJSON *doc = cJSON_CreateObject();
  cJSON_AddBoolToObject(doc, "success", true);
  return doc;
}

/* ---- sandboxes and the daemon ---- */

static int h_ping(struct call *c)
{
  _cleanup_json_ cJSON *doc = success_doc();
  cJSON_AddStringToObject(doc, "message", "pong");
  respond(c->out, 200, doc);
  return 0;
}

static int h_capabilities(struct call *c)
{
  _cleanup_json_ cJSON *doc = success_doc();
  struct sbx_error err = { 0 };
  enum sbx_isolation iso = SBX_ISO_FALLBACK;
  struct utsname u;
  cJSON *kernel;

  if (sbx_isolation_detect(&iso, &err) < 0)
    cJSON_AddStringToObject(doc, "isolationError", err.message);
  cJSON_AddStringToObject(doc, "isolation", sbx_isolation_name(iso));
  cJSON_AddBoolToObject(doc, "requireIsolation", sbx_registry_options(c->r)->require_isolation);
  cJSON_AddStringToObject(doc, "userNetwork",
                          sbx_registry_options(c->r)->user_network == SBX_NET_HOST ? "host" : "isolated");
  kernel = cJSON_AddObjectToObject(doc, "kernel");
  if (uname(&u) == 0)
    cJSON_AddStringToObject(kernel, "release", u.release);
  sbx_host_facts_to_json(kernel);
  respond(c->out, 200, doc);
  return 0;
}

static int h_put_sandbox(struct call *c)
{
  struct sbx_error err = { 0 };
  bool created = false;
  struct sbx_sandbox *sb;
  _cleanup_json_ cJSON *doc = NULL;

  sb = sbx_registry_ensure(c->r, c->q->sandbox_id, &c->q->sandbox, &created, &err);
  if (sb == NULL)
    return fail(c, &err);
  doc = success_doc();
  cJSON_AddStringToObject(doc, "id", c->q->sandbox_id);
  cJSON_AddBoolToObject(doc, "created", created);
  cJSON_AddStringToObject(doc, "isolation", sbx_isolation_name(sbx_sandbox_isolation(sb)));
  cJSON_AddStringToObject(doc, "sharedPath", sbx_sandbox_shared_path(sb, SBX_CTX_USER));
  cJSON_AddStringToObject(doc, "platformPath", sbx_sandbox_platform_path(sb));
  sbx_registry_put(c->r, sb);
  respond(c->out, created ? 201 : 200, doc);
  return 0;
}

static int h_list_sandboxes(struct call *c)
{
  _cleanup_json_ cJSON *doc = success_doc();
  cJSON *list = cJSON_AddArrayToObject(doc, "sandboxes");
  char **ids = sbx_registry_ids(c->r);

  if (ids == NULL)
    {
      struct sbx_error err = { 0 };
      sbx_error_errno(&err, ENOMEM, SBX_E_INTERNAL, "list the sandboxes");
      return fail(c, &err);
    }
  for (char **id = ids; *id != NULL; id++)
    {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "id", *id);
      cJSON_AddItemToArray(list, o);
      free(*id);
    }
  free(ids);
  respond(c->out, 200, doc);
  return 0;
}

static int h_delete_sandbox(struct call *c)
{
  struct sbx_error err = { 0 };
  _cleanup_json_ cJSON *doc = NULL;

  if (sbx_registry_delete(c->r, c->q->sandbox_id, &err) < 0)
    return fail(c, &err);
  doc = success_doc();
  cJSON_AddStringToObject(doc, "id", c->q->sandbox_id);
  respond(c->out, 200, doc);
  return 0;
}

/* ---- execute ---- */

static void kill_answer(struct sbx_api_response *out, struct sbx_sandbox *sb, enum sbx_context ctx, const char *id);

/* An execute or execute/stream in flight: the command runs while the server
 * watches its fds from one event loop (no thread of its own); the server
 * calls finish when it is over. Two references: the runner's (released by
 * finish) and the connection's (released when the response is done). */
struct sbx_api_job
{
  struct sbx_registry *r;
  struct sbx_sandbox *sb; /* a reference of the job's own */
  struct sbx_exec_job *ej; /* NULL once the command could not start or has been ended */
  struct sbx_exec_result res;
  struct sbx_error err;
  int begin_rc;
  bool stream;
  pthread_mutex_t lock;
  int refs;
  /* stream: the events not yet sent, and whether the last one is in */
  char *buf;
  size_t len, off;
  bool ended, overflow, waiting;
  void (*wake)(void *arg), (*park)(void *arg);
  void *wake_arg;
  /* A process DELETE with waitMs: the answer waits, in the same loop, for the
   * process's end (its status pipe) or the deadline; no thread, no polling. */
  bool kill_wait;
  int end_fd;
  double wait_until;
  bool wait_cancelled; /* atomic: set from the server's threads */
  enum sbx_context ctx;
  char process_id[65];
};

/* The most a stream may hold unsent for a client that does not read. */
#define STREAM_BACKLOG_MAX (16u * 1024 * 1024)

/* Under j->lock: a reader parked for want of events goes on. */
static void wake_reader(struct sbx_api_job *j)
{
  if (j->waiting && j->wake != NULL)
    {
      j->waiting = false;
      j->wake(j->wake_arg);
    }
}

static void job_append(struct sbx_api_job *j, const char *event, cJSON *data, bool last)
{
  char *text = data != NULL ? cJSON_PrintUnformatted(data) : NULL;
  char *frame = NULL;
  int n = text != NULL ? asprintf(&frame, "event: %s\ndata: %s\n\n", event, text) : -1;

  pthread_mutex_lock(&j->lock);
  if (n > 0 && !j->overflow)
    {
      if (j->off > 0 && j->off == j->len)
        j->off = j->len = 0;
      if (j->len - j->off + (size_t)n > STREAM_BACKLOG_MAX)
        j->overflow = true; /* the client is not reading: the command still runs to its end */
      else
        {
          char *grown = realloc(j->buf, j->len + (size_t)n);
          if (grown != NULL)
            {
              memcpy(grown + j->len, frame, (size_t)n);
              j->buf = grown;
              j->len += (size_t)n;
            }
        }
    }
  if (last)
    j->ended = true;
  wake_reader(j);
  pthread_mutex_unlock(&j->lock);
  free(frame);
  free(text);
}

static void on_output(void *arg, int stream, const char *data, size_t len)
{
  struct sbx_api_job *j = arg;
  _cleanup_free_ char *clean = sbx_utf8_sanitize(data, len);
  _cleanup_json_ cJSON *doc = cJSON_CreateObject();

  cJSON_AddStringToObject(doc, "type", stream == 1 ? "stdout" : "stderr");
  cJSON_AddStringToObject(doc, "data", clean != NULL ? clean : "");
  job_append(j, stream == 1 ? "stdout" : "stderr", doc, false);
}

static int start_job(struct call *c, bool stream)
{
  struct sbx_api_job *j = calloc(1, sizeof *j);
  struct sbx_error err = { 0 };

  if (j == NULL)
    {
      sbx_error_errno(&err, ENOMEM, SBX_E_INTERNAL, "could not start the command");
      return fail(c, &err);
    }
  pthread_mutex_init(&j->lock, NULL);
  j->refs = 2;
  j->r = c->r;
  j->stream = stream;
  sbx_registry_ref(c->r, c->sb);
  j->sb = c->sb;
  if (stream)
    {
      cJSON *start = cJSON_CreateObject();
      char ts[40];
      sbx_iso8601(sbx_wall_seconds(), ts, sizeof ts);
      cJSON_AddStringToObject(start, "type", "start");
      cJSON_AddStringToObject(start, "command", c->q->exec.command);
      cJSON_AddStringToObject(start, "timestamp", ts);
      job_append(j, "start", start, false);
      cJSON_Delete(start);
      c->q->exec.on_output = on_output;
      c->q->exec.on_output_arg = j;
    }
  /* The launch does not wait for the command's end (nor, for a user command, for its start). */
  j->begin_rc = sbx_exec_begin(c->sb, &c->q->exec, &j->res, &j->ej, &j->err);
  c->out->status = 200;
  c->out->job = j;
  return 0;
}

static int h_execute(struct call *c)
{
  return start_job(c, false);
}

static int h_execute_stream(struct call *c)
{
  return start_job(c, true);
}

void sbx_api_job_pollfds(const struct sbx_api_job *j, struct pollfd *pfd, double *wake_ms)
{
  if (j->kill_wait)
    {
      pfd[0] = (struct pollfd){ .fd = j->end_fd, .events = POLLIN };
      pfd[1].fd = pfd[2].fd = -1;
      *wake_ms = j->end_fd < 0 || __atomic_load_n(&j->wait_cancelled, __ATOMIC_RELAXED) ? 0 : j->wait_until;
      return;
    }
  if (j->ej == NULL)
    {
      pfd[0].fd = pfd[1].fd = pfd[2].fd = -1;
      *wake_ms = 0;
      return;
    }
  sbx_exec_job_pollfds(j->ej, pfd, wake_ms);
}

bool sbx_api_job_advance(struct sbx_api_job *j, const struct pollfd *pfd)
{
  if (j->kill_wait)
    return j->end_fd < 0 || pfd[0].revents != 0 || __atomic_load_n(&j->wait_cancelled, __ATOMIC_RELAXED)
           || sbx_now_ms() >= j->wait_until;
  return j->ej == NULL || sbx_exec_job_advance(j->ej, pfd);
}

/* Under the lock: a client leaving (the server's thread) may race the
 * worker that ends the job. */
void sbx_api_job_cancel(struct sbx_api_job *j)
{
  if (j->kill_wait)
    __atomic_store_n(&j->wait_cancelled, true, __ATOMIC_RELAXED);
  pthread_mutex_lock(&j->lock);
  if (j->ej != NULL)
    sbx_exec_job_cancel(j->ej);
  pthread_mutex_unlock(&j->lock);
}

void sbx_api_job_set_wake(struct sbx_api_job *j, void (*park)(void *arg), void (*wake)(void *arg), void *arg)
{
  pthread_mutex_lock(&j->lock);
  j->park = park;
  j->wake = wake;
  j->wake_arg = arg;
  j->waiting = false;
  pthread_mutex_unlock(&j->lock);
}

static void job_release_maybe_blocking(struct sbx_api_job *j, bool may_block)
{
  int left;

  pthread_mutex_lock(&j->lock);
  left = --j->refs;
  pthread_mutex_unlock(&j->lock);
  if (left > 0)
    return;
  if (j->kill_wait && j->end_fd >= 0)
    close(j->end_fd);
  sbx_exec_result_clear(&j->res);
  if (may_block)
    sbx_registry_put(j->r, j->sb);
  else
    sbx_registry_put_nonblocking(j->r, j->sb);
  free(j->buf);
  pthread_mutex_destroy(&j->lock);
  free(j);
}

static void job_release(struct sbx_api_job *j)
{
  job_release_maybe_blocking(j, true);
}

void sbx_api_job_release(struct sbx_api_job *j)
{
  if (j != NULL)
    job_release(j);
}

void sbx_api_job_finish(struct sbx_api_job *j, struct sbx_api_response *out)
{
  _cleanup_json_ cJSON *doc = NULL;
  struct sbx_exec_job *ej;
  int r = j->begin_rc;

  if (j->kill_wait)
    {
      kill_answer(out, j->sb, j->ctx, j->process_id);
      job_release(j);
      return;
    }
  pthread_mutex_lock(&j->lock);
  ej = j->ej;
  j->ej = NULL;
  pthread_mutex_unlock(&j->lock);
  if (ej != NULL)
    r = sbx_exec_end(ej, &j->res, &j->err);
  if (j->stream)
    {
      const char *kind = r < 0 && j->res.command == NULL ? "error" : "complete";
      cJSON *done = j->res.command != NULL ? sbx_exec_result_to_json(&j->res) : cJSON_CreateObject();
      cJSON_AddStringToObject(done, "type", kind);
      if (r < 0)
        {
          cJSON_AddStringToObject(done, "code", j->err.code);
          add_message(done, j->err.message);
        }
      job_append(j, kind, done, true);
      cJSON_Delete(done);
    }
  else if (r < 0 && j->res.command == NULL)
    sbx_api_error(out, j->err.code[0] ? j->err.code : SBX_E_INTERNAL, j->err.message);
  else
    {
      doc = sbx_exec_result_to_json(&j->res);
      if (r < 0 && doc != NULL)
        {
          cJSON_AddStringToObject(doc, "code", j->err.code);
          add_message(doc, j->err.message);
          cJSON_AddNumberToObject(doc, "httpStatus", status_for(j->err.code));
        }
      respond(out, r < 0 ? status_for(j->err.code) : 200, doc);
    }
  job_release(j);
}

bool sbx_api_job_finish_nonblocking(struct sbx_api_job *j, struct sbx_api_response *out)
{
  bool quick;

  if (j->stream || j->kill_wait)
    return false;
  pthread_mutex_lock(&j->lock);
  quick = j->ej == NULL || sbx_exec_job_end_is_quick(j->ej);
  pthread_mutex_unlock(&j->lock);
  if (!quick)
    return false;
  /* The runner's reference goes in finish; the connection's is the last. */
  sbx_api_job_finish(j, out);
  job_release_maybe_blocking(j, false);
  return true;
}

ssize_t sbx_api_job_read(struct sbx_api_job *j, char *buf, size_t max, bool *end)
{
  size_t n;

  pthread_mutex_lock(&j->lock);
  n = j->len - j->off;
  if (n > max)
    n = max;
  memcpy(buf, j->buf + j->off, n);
  j->off += n;
  *end = j->ended && j->off == j->len;
  /* Parked and woken under the same lock: no wake is lost between them. */
  if (n == 0 && !*end && j->park != NULL)
    {
      j->waiting = true;
      j->park(j->wake_arg);
    }
  pthread_mutex_unlock(&j->lock);
  return (ssize_t)n;
}

bool sbx_api_job_is_stream(const struct sbx_api_job *j)
{
  return j->stream;
}

/* ---- processes ---- */

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
  struct sbx_process_info info;
  struct sbx_error err = { 0 };
  _cleanup_json_ cJSON *doc = NULL;

  if (sbx_process_start(c->sb, &c->q->exec, &info, &err) < 0)
    return fail(c, &err);
  doc = success_doc();
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

  if (sbx_process_list(c->sb, c->q->ctx, &list, &n, &err) < 0)
    return fail(c, &err);
  doc = success_doc();
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

  if (sbx_process_get(c->sb, c->q->ctx, c->q->process_id, &info, &err) < 0)
    return fail(c, &err);
  doc = success_doc();
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

  if (sbx_process_logs(c->sb, c->q->ctx, c->q->process_id, &out, &out_len, &errout, &err_len, &err) < 0)
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
      static const char *const unused[] = { "exitCode", "command", "duration", "timestamp", "isolation" };
      for (size_t i = 0; i < sizeof unused / sizeof unused[0]; i++)
        cJSON_DeleteItemFromObject(doc, unused[i]);
      cJSON_ReplaceItemInObject(doc, "success", cJSON_CreateTrue());
      cJSON_ReplaceItemInObject(doc, "context", cJSON_CreateString(sbx_context_name(c->q->ctx)));
      cJSON_AddStringToObject(doc, "processId", c->q->process_id);
    }
  respond(c->out, 200, doc);
  return 0;
}

/* With waitMs, the answer says the process's state after the wait (a
 * process forgotten meanwhile has ended: the answer has no "process" then). */
static void kill_answer(struct sbx_api_response *out, struct sbx_sandbox *sb, enum sbx_context ctx, const char *id)
{
  _cleanup_json_ cJSON *doc = success_doc();
  struct sbx_process_info info;
  struct sbx_error err = { 0 };

  cJSON_AddStringToObject(doc, "processId", id);
  if (sb != NULL && sbx_process_get(sb, ctx, id, &info, &err) == 0)
    {
      cJSON_AddItemToObject(doc, "process", process_json(&info));
      sbx_process_info_clear(&info);
    }
  respond(out, 200, doc);
}

static int h_process_kill(struct call *c)
{
  struct sbx_error err = { 0 };
  _cleanup_json_ cJSON *doc = NULL;
  struct sbx_api_job *j;
  int fd = -1;

  if (sbx_process_kill(c->sb, c->q->ctx, c->q->process_id, c->q->signo, &err) < 0)
    return fail(c, &err);
  if (c->q->wait_ms == 0)
    {
      doc = success_doc();
      cJSON_AddStringToObject(doc, "processId", c->q->process_id);
      respond(c->out, 200, doc);
      return 0;
    }
  if (sbx_process_end_fd(c->sb, c->q->ctx, c->q->process_id, &fd, &err) < 0 || fd < 0)
    {
      /* Ended already, forgotten, or nothing to wait on: the answer says the status as it is. */
      kill_answer(c->out, c->sb, c->q->ctx, c->q->process_id);
      return 0;
    }
  if ((j = calloc(1, sizeof *j)) == NULL)
    {
      close(fd);
      sbx_error_errno(&err, ENOMEM, SBX_E_INTERNAL, "wait for process");
      return fail(c, &err);
    }
  pthread_mutex_init(&j->lock, NULL);
  j->refs = 2;
  j->r = c->r;
  sbx_registry_ref(c->r, c->sb);
  j->sb = c->sb;
  j->kill_wait = true;
  j->end_fd = fd;
  j->wait_until = sbx_now_ms() + c->q->wait_ms;
  j->ctx = c->q->ctx;
  snprintf(j->process_id, sizeof j->process_id, "%s", c->q->process_id);
  c->out->status = 200;
  c->out->job = j;
  return 0;
}

/* ---- files ---- */

static int h_write(struct call *c)
{
  struct sbx_error err = { 0 };
  _cleanup_json_ cJSON *doc = NULL;

  if (sbx_file_write(c->sb, c->q->scope, c->q->path, c->q->content, c->q->content_len, &err) < 0)
    return fail(c, &err);
  doc = success_doc();
  cJSON_AddStringToObject(doc, "path", c->q->path);
  cJSON_AddNumberToObject(doc, "size", (double)c->q->content_len);
  respond(c->out, 200, doc);
  return 0;
}

static int h_read(struct call *c)
{
  _cleanup_free_ char *data = NULL, *encoded = NULL;
  size_t len = 0;
  bool base64;
  struct sbx_error err = { 0 };
  _cleanup_json_ cJSON *doc = NULL;

  if (sbx_file_read(c->sb, c->q->scope, c->q->path, &data, &len, &err) < 0)
    return fail(c, &err);
  /* Text that is not UTF-8 cannot travel as a JSON string: it goes as base64. */
  base64 = c->q->base64 || !sbx_utf8_valid(data, len);
  if (base64 && (encoded = sbx_base64_encode(data, len)) == NULL)
    {
      sbx_error_errno(&err, ENOMEM, SBX_E_INTERNAL, "read");
      return fail(c, &err);
    }
  doc = success_doc();
  cJSON_AddStringToObject(doc, "path", c->q->path);
  cJSON_AddStringToObject(doc, "content", base64 ? encoded : data);
  cJSON_AddStringToObject(doc, "encoding", base64 ? "base64" : "utf-8");
  cJSON_AddNumberToObject(doc, "size", (double)len);
  respond(c->out, 200, doc);
  return 0;
}

/* Raw bytes: the body is the content, up to the file cap. */
static int h_file_put(struct call *c)
{
  return h_write(c);
}

static int h_file_get(struct call *c)
{
  char *data = NULL;
  size_t len = 0;
  struct sbx_error err = { 0 };

  if (sbx_file_read(c->sb, c->q->scope, c->q->path, &data, &len, &err) < 0)
    return fail(c, &err);
  c->out->status = 200;
  c->out->body = data;
  c->out->body_len = len;
  c->out->content_type = "application/octet-stream";
  return 0;
}

static int h_exists(struct call *c)
{
  bool exists = false;
  struct sbx_error err = { 0 };
  _cleanup_json_ cJSON *doc = NULL;

  if (sbx_file_exists(c->sb, c->q->scope, c->q->path, &exists, &err) < 0)
    return fail(c, &err);
  doc = success_doc();
  cJSON_AddStringToObject(doc, "path", c->q->path);
  cJSON_AddBoolToObject(doc, "exists", exists);
  respond(c->out, 200, doc);
  return 0;
}

static int h_list(struct call *c)
{
  struct sbx_dirent *list = NULL;
  size_t n = 0;
  struct sbx_error err = { 0 };
  _cleanup_json_ cJSON *doc = NULL;
  cJSON *files;

  if (sbx_file_list(c->sb, c->q->scope, c->q->path, &list, &n, &err) < 0)
    return fail(c, &err);
  doc = success_doc();
  cJSON_AddStringToObject(doc, "path", c->q->path);
  files = cJSON_AddArrayToObject(doc, "files");
  for (size_t i = 0; i < n; i++)
    {
      cJSON *f = cJSON_CreateObject();
      /* User code names its files: a name that is not UTF-8 cannot travel
       * as a JSON string, and goes with U+FFFD for its bad bytes. */
      _cleanup_free_ char *name = sbx_utf8_sanitize(list[i].name, strlen(list[i].name));
      cJSON_AddItemToArray(files, f);
      cJSON_AddStringToObject(f, "name", name != NULL ? name : "");
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

/* ---- operations ---- */

static int h_operation_register(struct call *c)
{
  struct sbx_error err = { 0 };
  _cleanup_json_ cJSON *doc = NULL;

  if (sbx_operations_register(sbx_registry_operations(c->r, c->sb), c->q->operation, c->q->callback_socket,
                              c->q->callback_url, c->q->timeout_ms, &err) < 0)
    return fail(c, &err);
  doc = success_doc();
  cJSON_AddStringToObject(doc, "operation", c->q->operation);
  respond(c->out, 200, doc);
  return 0;
}

static int h_operation_delete(struct call *c)
{
  struct sbx_error err = { 0 };
  _cleanup_json_ cJSON *doc = NULL;

  if (sbx_operations_unregister(sbx_registry_operations(c->r, c->sb), c->q->operation, &err) < 0)
    return fail(c, &err);
  doc = success_doc();
  cJSON_AddStringToObject(doc, "operation", c->q->operation);
  respond(c->out, 200, doc);
  return 0;
}

/* The handler's JSON, as it is: the design's callPlatformOperation returns it. */
static int call_operation(struct sbx_operations *ops, const char *sandbox_id, const struct sbx_request *q,
                          struct sbx_api_response *out)
{
  struct sbx_error err = { 0 };
  char *result = NULL;

  if (sbx_operations_call(ops, sandbox_id, q->operation, q->params, &result, &err) < 0)
    {
      sbx_api_error(out, err.code, err.message);
      return -1;
    }
  out->status = 200;
  out->body = result;
  return 0;
}

static int h_operation_call(struct call *c)
{
  return call_operation(sbx_registry_operations(c->r, c->sb), c->q->sandbox_id, c->q, c->out);
}

/* ---- dispatch ---- */

static int (*const handlers[])(struct call *c) = {
  [SBX_R_PING] = h_ping,
  [SBX_R_CAPABILITIES] = h_capabilities,
  [SBX_R_SANDBOX_PUT] = h_put_sandbox,
  [SBX_R_SANDBOX_DELETE] = h_delete_sandbox,
  [SBX_R_SANDBOX_LIST] = h_list_sandboxes,
  [SBX_R_EXECUTE] = h_execute,
  [SBX_R_EXECUTE_STREAM] = h_execute_stream,
  [SBX_R_PROCESS_START] = h_process_start,
  [SBX_R_PROCESS_LIST] = h_process_list,
  [SBX_R_PROCESS_GET] = h_process_get,
  [SBX_R_PROCESS_LOGS] = h_process_logs,
  [SBX_R_PROCESS_KILL] = h_process_kill,
  [SBX_R_WRITE] = h_write,
  [SBX_R_READ] = h_read,
  [SBX_R_EXISTS] = h_exists,
  [SBX_R_LIST] = h_list,
  [SBX_R_FILE_PUT] = h_file_put,
  [SBX_R_FILE_GET] = h_file_get,
  [SBX_R_OPERATION_REGISTER] = h_operation_register,
  [SBX_R_OPERATION_DELETE] = h_operation_delete,
  [SBX_R_OPERATION_CALL] = h_operation_call,
};

static void init_response(struct sbx_api_response *out)
{
  memset(out, 0, sizeof *out);
}

void sbx_api_handle(struct sbx_registry *r, const char *method, const char *path, const char *body, size_t len,
                    struct sbx_api_response *out)
{
  struct sbx_request q;
  struct sbx_error err = { 0 };
  struct call c = { .r = r, .q = &q, .out = out };

  init_response(out);
  if (sbx_request_parse(method, path, body, len, &q, &err) < 0)
    {
      sbx_request_clear(&q);
      sbx_api_error(out, err.code, err.message);
      return;
    }
  if (q.sandbox_scoped)
    {
      bool created;
      /* The compatibility routes' "default" sandbox is made on first use. */
      c.sb = strcmp(q.sandbox_id, "default") == 0 ? sbx_registry_ensure(r, q.sandbox_id, NULL, &created, &err)
                                                   : sbx_registry_get(r, q.sandbox_id);
      if (c.sb == NULL)
        {
          if (err.code[0] == '\0')
            sbx_error_set(&err, ENOENT, SBX_E_SANDBOX_NOT_FOUND,
                          "no sandbox \"%s\"; create it with PUT /api/sandboxes/%s", q.sandbox_id, q.sandbox_id);
          sbx_request_clear(&q);
          sbx_api_error(out, err.code, err.message);
          return;
        }
    }
  handlers[q.kind](&c);
  if (c.sb != NULL)
    sbx_registry_put(r, c.sb);
  sbx_request_clear(&q);
}

void sbx_api_handle_operations(struct sbx_operations *ops, const char *sandbox_id, const char *method,
                               const char *path, const char *body, size_t len, struct sbx_api_response *out)
{
  struct sbx_request q;
  struct sbx_error err = { 0 };
  int r;

  init_response(out);
  r = sbx_request_parse(method, path, body, len, &q, &err);
  /* This socket reaches its own sandbox's operations, and nothing else: the
   * route is checked before anything else of the request. */
  if (q.kind != SBX_R_OPERATION_CALL || strcmp(err.code, SBX_E_NOT_FOUND) == 0
      || strcmp(err.code, SBX_E_METHOD_NOT_ALLOWED) == 0
      || (strncmp(path, "/api/operations/", 16) != 0 && strcmp(q.sandbox_id, sandbox_id) != 0))
    sbx_api_error(out, SBX_E_NOT_FOUND, "the operations socket serves POST /api/operations/{name}/call only");
  else if (r < 0)
    sbx_api_error(out, err.code, err.message);
  else
    call_operation(ops, sandbox_id, &q, out);
  sbx_request_clear(&q);
}
