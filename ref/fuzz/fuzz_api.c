/* libFuzzer target for the daemon past its parser: whole requests through the
 * server's own answer (sbx_http_authorized, sbx_http_announced_too_large,
 * sbx_http_answer: what http_server.c calls), routing, the handlers on a real
 * registry with real sandboxes, the commands in flight as the job loop drives
 * them, and the encoding of every answer. The input is a request:
 *
 *   METHOD SP PATH LF
 *   (NAME ": " VALUE LF)*     Authorization, Content-Length, X-Fuzz-Socket: unix|tcp|ops
 *   LF
 *   BODY
 *
 * X-Fuzz-Socket picks the listener: the daemon's unix socket (the default), its
 * TCP port (the token is "fuzz-token"), or sandbox fz's operations socket. In
 * the body, @OPS@ stands for this run's operations callback socket and @PORT@
 * for its loopback port (the seeds cannot know them).
 *
 * Every answer must have a status the API documents; a JSON body in strict
 * UTF-8 (each event's data, for a stream); on an error, a typed code whose
 * status it is. After each input, nothing may have appeared in or changed in
 * the canary dir outside the sandboxes (which planted symlinks in the shared
 * dirs point at), no answer may hold the canary, and the fds and child
 * processes stay bounded. A failed check aborts: libFuzzer keeps the input.
 *
 * What runs for real, and what is held back (docs/RELIABILITY.md):
 * - commands (execute, execute/stream, process/start) run only when the
 *   command is one of `allowed` below and no env variable changes what runs
 *   (PATH, LD_*, ...): the fuzzer must stay harmless, and platform commands
 *   run as root. Other exec requests are parsed and stop there;
 * - operations reach only this run's callback (a socket and a port of its
 *   own, answered by a thread here); other callbacks are held back likewise;
 * - new sandboxes (PUT) are made for real and deleted after the input;
 *   fz and default are remade (and their plants with them) if an input
 *   deleted them; started processes are killed after each input. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base64.h"
#include "clock.h"
#include "daemon/api.h"
#include "daemon/http_server.h"
#include "daemon/operations.h"
#include "daemon/registry.h"
#include "daemon/request.h"
#include "remove_tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TOKEN "fuzz-token"
#define CANARY_TAG "7f3a9c"
#define CANARY "sbx-fuzz-canary-" CANARY_TAG
#define FD_SLACK 32
#define CHILD_SLACK 16

static const char *const fixtures[] = { "fz", "default" };
#define N_FIXTURES (sizeof fixtures / sizeof fixtures[0])

/* The commands the fuzzer runs: quick, harmless in either context. */
static const char *const allowed[] = {
  "true", "echo fz", "exit 3", "echo err >&2", "printf '\\377\\376x'", "pwd", "ls /app", "cat /app/d/f",
  "sleep 0.2", "printf '\\355\\240\\200'",
};

static struct
{
  char dir[200], outside[256], state[256], ops_sock[256];
  int port;
  struct sbx_registry *reg;
  char *planted[N_FIXTURES]; /* the shared dir planted in, per fixture */
  int fds, children;
  unsigned long long runs, answered, held_back, jobs;
} fz;

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
  va_list ap;

  fprintf(stderr, "fuzz-api: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  abort();
}

/* ---- the oracle: strict UTF-8 (RFC 3629), written apart from ref/utf8.c ---- */

static bool strict_utf8(const unsigned char *s, size_t len)
{
  for (size_t i = 0; i < len;)
    {
      unsigned c = s[i], n, cp;
      if (c == 0)
        return false;
      if (c < 0x80)
        {
          i++;
          continue;
        }
      if (c >= 0xc2 && c <= 0xdf)
        n = 1, cp = c & 0x1f;
      else if (c >= 0xe0 && c <= 0xef)
        n = 2, cp = c & 0x0f;
      else if (c >= 0xf0 && c <= 0xf4)
        n = 3, cp = c & 0x07;
      else
        return false;
      if (i + n >= len)
        return false;
      for (unsigned k = 1; k <= n; k++)
        {
          if ((s[i + k] & 0xc0) != 0x80)
            return false;
          cp = (cp << 6) | (s[i + k] & 0x3f);
        }
      if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
        return false;
      i += n + 1;
    }
  return true;
}

/* ---- the operations callback: answers with the request's body ---- */

static int listen_unix(const char *path)
{
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0)
    die("operations callback socket %s", path);
  return fd;
}

static int listen_tcp(int *port)
{
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t len = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0
      || getsockname(fd, (struct sockaddr *)&a, &len) != 0)
    die("operations callback port");
  *port = ntohs(a.sin_port);
  return fd;
}

static void answer_one(int c)
{
  char buf[65536], *end, *cl, reply[256];
  size_t len = 0, want;
  ssize_t n;
  const char *body;

  while (len < sizeof buf - 1 && (n = read(c, buf + len, sizeof buf - 1 - len)) > 0)
    {
      len += (size_t)n;
      buf[len] = '\0';
      if ((end = strstr(buf, "\r\n\r\n")) == NULL)
        continue;
      if (strcasestr(buf, "Expect: 100-continue") != NULL && end + 4 == buf + len)
        (void)!send(c, "HTTP/1.1 100 Continue\r\n\r\n", 25, MSG_NOSIGNAL);
      cl = strcasestr(buf, "Content-Length:");
      want = (size_t)(end + 4 - buf) + (cl != NULL ? strtoul(cl + 15, NULL, 10) : 0);
      if (len >= want)
        break;
    }
  buf[len] = '\0';
  end = strstr(buf, "\r\n\r\n");
  body = end != NULL ? end + 4 : "null";
  /* "hostile" in the params: an answer that is not UTF-8, as a broken
   * callback might give; the daemon must not pass it on as it is. */
  if (strstr(body, "hostile") != NULL)
    body = "\"\xff\xfe\"";
  if (body[0] == '\0')
    body = "null";
  snprintf(reply, sizeof reply,
           "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
           strlen(body));
  (void)!send(c, reply, strlen(reply), MSG_NOSIGNAL);
  (void)!send(c, body, strlen(body), MSG_NOSIGNAL);
}

static void *callback_main(void *arg)
{
  int *fds = arg;

  for (;;)
    {
      struct pollfd p[2] = { { .fd = fds[0], .events = POLLIN }, { .fd = fds[1], .events = POLLIN } };
      if (poll(p, 2, -1) < 0)
        continue;
      for (int i = 0; i < 2; i++)
        if (p[i].revents & POLLIN)
          {
            int c = accept4(fds[i], NULL, NULL, SOCK_CLOEXEC);
            if (c >= 0)
              {
                answer_one(c);
                close(c);
              }
          }
    }
  return NULL;
}

/* ---- the registry, as the daemon's main makes it ---- */

/* The operations sockets are not served here: the fuzzer calls their
 * handler (sbx_api_handle_operations) itself, with X-Fuzz-Socket: ops. */
static void *ops_start(void *ctx, const char *id, struct sbx_operations *ops, const char *path,
                       struct sbx_error *err)
{
  (void)ctx, (void)id, (void)ops, (void)err;
  return strdup(path);
}

static void ops_stop(void *handle)
{
  free(handle);
}

/* What cli/daemon.c gives the server: the API on the registry. */
static void serve_api(void *registry, const char *method, const char *path, const char *body, size_t len,
                      struct sbx_api_response *out)
{
  sbx_api_handle(registry, method, path, body, len, out);
}

struct ops_arg
{
  struct sbx_operations *ops;
  const char *id;
};

static void serve_operations(void *arg, const char *method, const char *path, const char *body, size_t len,
                             struct sbx_api_response *out)
{
  struct ops_arg *o = arg;
  sbx_api_handle_operations(o->ops, o->id, method, path, body, len, out);
}

static void write_file(const char *path, const char *text)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) != 0)
    die("write %s", path);
}

/* What hostile user code leaves in a shared dir: symlinks out of it, a name
 * that is not UTF-8, a fifo, a nested file. */
static void plant(const char *shared)
{
  static const char *const links[][2] = { { "out", NULL }, { "sec", NULL }, { "up", "../../../../../../.." },
                                          { "root", "/" }, { "self", "/proc/self/root" } };
  char p[4096], target[4096];

  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
    {
      snprintf(p, sizeof p, "%s/%s", shared, links[i][0]);
      if (i == 0)
        snprintf(target, sizeof target, "%s", fz.outside);
      else if (i == 1)
        snprintf(target, sizeof target, "%s/secret", fz.outside);
      else
        snprintf(target, sizeof target, "%s", links[i][1]);
      unlink(p);
      if (symlink(target, p) != 0)
        die("plant %s", p);
    }
  snprintf(p, sizeof p, "%s/d", shared);
  (void)mkdir(p, 0755);
  snprintf(p, sizeof p, "%s/d/f", shared);
  write_file(p, "in the shared dir\n");
  snprintf(p, sizeof p, "%s/bad\xff\xfe-name", shared);
  write_file(p, "x");
  /* A surrogate, which is not UTF-8 but passes a loose check. */
  snprintf(p, sizeof p, "%s/surrogate.txt", shared);
  write_file(p, "\xed\xa0\x80");
  snprintf(p, sizeof p, "%s/fifo", shared);
  if (mkfifo(p, 0644) != 0 && errno != EEXIST)
    die("plant %s", p);
}

static void ensure_fixtures(void)
{
  for (size_t i = 0; i < N_FIXTURES; i++)
    {
      struct sbx_error err = { 0 };
      bool created;
      struct sbx_sandbox *sb = sbx_registry_ensure(fz.reg, fixtures[i], NULL, &created, &err);
      const char *shared;

      if (sb == NULL)
        die("cannot make the fixture sandbox: %s", err.message);
      shared = sbx_sandbox_shared_host_dir(sb);
      if (fz.planted[i] == NULL || strcmp(fz.planted[i], shared) != 0)
        {
          free(fz.planted[i]);
          fz.planted[i] = strdup(shared);
          plant(shared);
        }
      sbx_registry_put(fz.reg, sb);
    }
}

static int count_fds(void)
{
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  int n = 0;

  while (d != NULL && (e = readdir(d)) != NULL)
    n += e->d_name[0] != '.';
  if (d != NULL)
    closedir(d);
  return n;
}

static int count_children(void)
{
  DIR *d = opendir("/proc");
  struct dirent *e;
  int n = 0;
  char path[64], stat[512];

  while (d != NULL && (e = readdir(d)) != NULL)
    {
      int fd, ppid = 0;
      ssize_t len;
      char *close_paren;
      if (e->d_name[0] < '0' || e->d_name[0] > '9')
        continue;
      snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
      if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        continue;
      len = read(fd, stat, sizeof stat - 1);
      close(fd);
      if (len <= 0)
        continue;
      stat[len] = '\0';
      if ((close_paren = strrchr(stat, ')')) != NULL && sscanf(close_paren + 1, " %*c %d", &ppid) == 1
          && ppid == getpid())
        n++;
    }
  if (d != NULL)
    closedir(d);
  return n;
}

/* ---- the checks ---- */

/* The canary dir holds its one file, unchanged. */
static const char *outside_changed(void)
{
  DIR *d = opendir(fz.outside);
  struct dirent *e;
  char p[256], buf[128] = "";
  int fd, n = 0;
  ssize_t len;

  if (d == NULL)
    return "the canary dir is gone";
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      n += strcmp(e->d_name, "secret") == 0 ? 1 : 100;
  closedir(d);
  if (n != 1)
    return "an entry appeared in (or left) the canary dir outside the sandboxes";
  snprintf(p, sizeof p, "%s/secret", fz.outside);
  if ((fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
    return "the canary file is gone";
  len = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (len != (ssize_t)strlen(CANARY) || memcmp(buf, CANARY, strlen(CANARY)) != 0)
    return "the canary file was changed";
  return NULL;
}

static bool known_code(const char *code, unsigned status)
{
  static const struct
  {
    const char *code;
    unsigned status;
  } codes[] = {
    { "VALIDATION_FAILED", 400 },    { "PATH_OUTSIDE_ROOT", 400 },       { "IS_DIRECTORY", 400 },
    { "NOT_REGULAR_FILE", 400 },     { "UNAUTHORIZED", 401 },            { "PERMISSION_DENIED", 403 },
    { "READ_ONLY", 403 },            { "FILE_NOT_FOUND", 404 },          { "PROCESS_NOT_FOUND", 404 },
    { "SANDBOX_NOT_FOUND", 404 },    { "OPERATION_NOT_FOUND", 404 },     { "NOT_FOUND", 404 },
    { "METHOD_NOT_ALLOWED", 405 },   { "COMMAND_TIMEOUT", 408 },         { "PAYLOAD_TOO_LARGE", 413 },
    { "FILE_TOO_LARGE", 413 },       { "OPERATION_FAILED", 502 },        { "NAMESPACE_NOT_SUPPORTED", 503 },
    { "TOO_MANY_SANDBOXES", 503 },   { "INTERNAL_ERROR", 500 },          { "SANDBOX_ERROR", 500 },
  };

  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
    if (strcmp(codes[i].code, code) == 0)
      return codes[i].status == status;
  return false;
}

/* NULL, or what is wrong with one JSON document of an answer. */
static const char *json_wrong(const char *text, size_t len, unsigned status, bool is_error_doc)
{
  cJSON *doc;
  const cJSON *code, *enc, *content;
  const char *wrong = NULL;

  if (!strict_utf8((const unsigned char *)text, len))
    return "an answer is not strict UTF-8";
  if (memmem(text, len, CANARY, strlen(CANARY)) != NULL)
    return "an answer holds the canary";
  if ((doc = cJSON_ParseWithLengthOpts(text, len, NULL, false)) == NULL)
    return "an answer is not JSON";
  code = cJSON_GetObjectItemCaseSensitive(doc, "code");
  if (is_error_doc
      && (!cJSON_IsString(code) || !known_code(code->valuestring, status)
          || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(doc, "message"))))
    wrong = "an error answer has no typed code of its status, or no message";
  /* base64 content is looked into too: the canary must not hide there. */
  enc = cJSON_GetObjectItemCaseSensitive(doc, "encoding");
  content = cJSON_GetObjectItemCaseSensitive(doc, "content");
  if (wrong == NULL && cJSON_IsString(enc) && strcmp(enc->valuestring, "base64") == 0 && cJSON_IsString(content))
    {
      char *raw = NULL;
      size_t n = 0;
      if (sbx_base64_decode(content->valuestring, &raw, &n) < 0)
        wrong = "an answer's base64 content does not decode";
      else if (memmem(raw, n, CANARY, strlen(CANARY)) != NULL)
        wrong = "an answer holds the canary (in base64)";
      free(raw);
    }
  cJSON_Delete(doc);
  return wrong;
}

static bool status_known(unsigned s)
{
  static const unsigned ok[] = { 200, 201, 400, 401, 403, 404, 405, 408, 413, 500, 502, 503 };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
    if (ok[i] == s)
      return true;
  return false;
}

/* A stream: "event: NAME\ndata: JSON\n\n" frames, ending with complete or error. */
static const char *stream_wrong(const char *text, size_t len)
{
  const char *p = text, *end = text + len, *last = NULL;

  if (!strict_utf8((const unsigned char *)text, len))
    return "a stream is not strict UTF-8";
  while (p < end)
    {
      const char *nl = memchr(p, '\n', (size_t)(end - p)), *data, *dend, *wrong;
      if (nl == NULL || strncmp(p, "event: ", 7) != 0 || strncmp(nl + 1, "data: ", 6) != 0)
        return "a stream frame is malformed";
      last = p + 7;
      data = nl + 7;
      if ((dend = memmem(data, (size_t)(end - data), "\n\n", 2)) == NULL)
        return "a stream frame is not ended";
      if ((wrong = json_wrong(data, (size_t)(dend - data), 200, false)) != NULL)
        return wrong;
      p = dend + 2;
    }
  if (last == NULL || (strncmp(last, "complete\n", 9) != 0 && strncmp(last, "error\n", 6) != 0))
    return "a stream does not end with complete or error";
  return NULL;
}

static const char *response_wrong(const struct sbx_api_response *out)
{
  if (!status_known(out->status))
    return "an answer's HTTP status is not one the API gives";
  if (out->body == NULL)
    return "an answer has no body";
  return json_wrong(out->body, strlen(out->body), out->status, out->status >= 400);
}

/* ---- a command in flight, driven as the job loop and the workers do ---- */

static void run_job(struct sbx_api_job *job, struct sbx_api_response *out)
{
  char *events = NULL, buf[16384];
  size_t len = 0;
  bool end = false, stream = sbx_api_job_is_stream(job);
  const char *wrong;
  double deadline = sbx_now_ms() + 30000;

  for (;;)
    {
      struct pollfd pfd[3];
      double wake, now = sbx_now_ms();
      sbx_api_job_pollfds(job, pfd, &wake);
      if (now > deadline)
        die("a command ran past 30 s");
      if (poll(pfd, 3, wake < 0 ? 1000 : wake <= now ? 0 : (int)(wake - now) + 1) < 0 && errno != EINTR)
        die("poll");
      if (sbx_api_job_advance(job, pfd))
        break;
    }
  if (!stream)
    {
      sbx_api_job_finish(job, out);
      sbx_api_job_release(job);
      return;
    }
  sbx_api_job_finish(job, NULL);
  while (!end)
    {
      ssize_t n = sbx_api_job_read(job, buf, sizeof buf, &end);
      char *grown = n > 0 ? realloc(events, len + (size_t)n) : events;
      if (n > 0 && grown == NULL)
        die("out of memory");
      if (n > 0)
        memcpy(grown + len, buf, (size_t)n), len += (size_t)n;
      events = grown;
    }
  sbx_api_job_release(job);
  if ((wrong = stream_wrong(events != NULL ? events : "", len)) != NULL)
    die("%s", wrong);
  free(events);
  out->status = 200;
  out->body = strdup("{\"success\":true}");
}

/* ---- one input ---- */

struct input
{
  char *method, *path, *auth, *length, *socket;
  char *body;
  size_t len;
};

/* @OPS@ and @PORT@ in the body: this run's callback socket and port. */
static char *expand(const char *body, size_t len, size_t *out_len)
{
  char port[16];
  size_t o = 0;
  char *out;

  snprintf(port, sizeof port, "%d", fz.port);
  /* Each 5-byte token may grow to the longer of the two. */
  out = malloc(len + (len / 5 + 1) * (strlen(fz.ops_sock) + strlen(port)) + 1);
  for (size_t i = 0; out != NULL && i < len;)
    {
      const char *with = NULL;
      size_t skip = 0;
      if (len - i >= 5 && memcmp(body + i, "@OPS@", 5) == 0)
        with = fz.ops_sock, skip = 5;
      else if (len - i >= 6 && memcmp(body + i, "@PORT@", 6) == 0)
        with = port, skip = 6;
      if (with != NULL)
        {
          memcpy(out + o, with, strlen(with));
          o += strlen(with);
          i += skip;
        }
      else
        out[o++] = body[i++];
    }
  if (out != NULL)
    out[o] = '\0';
  *out_len = o;
  return out;
}

static bool split_input(char *copy, size_t size, struct input *in)
{
  char *p = copy, *end = copy + size, *nl;

  memset(in, 0, sizeof *in);
  if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
    return false;
  *nl = '\0';
  in->method = p;
  if ((in->path = strchr(p, ' ')) == NULL)
    return false;
  *in->path++ = '\0';
  for (p = nl + 1; p < end && *p != '\n';)
    {
      char *colon;
      if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
        nl = end;
      *nl = '\0';
      if ((colon = strstr(p, ": ")) != NULL)
        {
          *colon = '\0';
          if (strcasecmp(p, "Authorization") == 0)
            in->auth = colon + 2;
          else if (strcasecmp(p, "Content-Length") == 0)
            in->length = colon + 2;
          else if (strcasecmp(p, "X-Fuzz-Socket") == 0)
            in->socket = colon + 2;
        }
      p = nl + 1;
    }
  in->body = expand(p < end ? p + 1 : end, p + 1 < end ? (size_t)(end - p - 1) : 0, &in->len);
  return in->body != NULL;
}

static bool env_changes_what_runs(const char *const *env)
{
  static const char *const names[] = { "PATH=", "LD_", "ENV=", "BASH_ENV=", "GCONV_PATH=", "LOCPATH=",
                                       "NLSPATH=", "HOSTALIASES=", "IFS=", "SHELL=" };
  for (; env != NULL && *env != NULL; env++)
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
      if (strncmp(*env, names[i], strlen(names[i])) == 0)
        return true;
  return false;
}

static bool callback_ours(const struct sbx_request *q)
{
  char url[64];
  size_t n = (size_t)snprintf(url, sizeof url, "http://127.0.0.1:%d", fz.port);

  if (q->callback_socket != NULL)
    return strncmp(q->callback_socket, fz.dir, strlen(fz.dir)) == 0 && q->callback_socket[strlen(fz.dir)] == '/'
           && strstr(q->callback_socket, "..") == NULL;
  return q->callback_url != NULL && strncmp(q->callback_url, url, n) == 0
         && (q->callback_url[n] == '\0' || q->callback_url[n] == '/');
}

/* What an input may have left behind, for tidy: new or deleted sandboxes,
 * started processes. Only what it could leave is tidied: a per-input round
 * of every sandbox's processes costs a third of the executions. */
enum
{
  TIDY_SANDBOXES = 1,
  TIDY_PROCESSES = 2,
  TIDY_ALL = 3,
};

/* The bounded subset: whether the handler may run this request for real;
 * *tidy: what it may leave. */
static bool may_run(const struct input *in, unsigned *tidy)
{
  struct sbx_request q;
  struct sbx_error err = { 0 };
  bool ok = true;

  *tidy = 0;
  if (sbx_request_parse(in->method, in->path, in->body, in->len, &q, &err) == 0)
    {
      if (q.kind == SBX_R_SANDBOX_PUT || q.kind == SBX_R_SANDBOX_DELETE)
        *tidy |= TIDY_SANDBOXES;
      if (q.kind == SBX_R_PROCESS_START || q.kind == SBX_R_PROCESS_KILL)
        *tidy |= TIDY_PROCESSES;
      if (q.kind == SBX_R_EXECUTE || q.kind == SBX_R_EXECUTE_STREAM || q.kind == SBX_R_PROCESS_START)
        {
          ok = false;
          for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
            ok = ok || strcmp(q.exec.command, allowed[i]) == 0;
          ok = ok && !env_changes_what_runs(q.exec.env);
        }
      else if (q.kind == SBX_R_OPERATION_REGISTER)
        ok = callback_ours(&q);
    }
  sbx_request_clear(&q);
  return ok;
}

/* After an input: extra sandboxes deleted and fixtures back, processes
 * killed (as what says), fz's operations registered. */
static void tidy(unsigned what)
{
  char **ids = (what & TIDY_SANDBOXES) ? sbx_registry_ids(fz.reg) : NULL;
  double deadline = sbx_now_ms() + 10000;

  for (char **id = ids; id != NULL && *id != NULL; id++)
    {
      bool fixture = false;
      for (size_t i = 0; i < N_FIXTURES; i++)
        fixture = fixture || strcmp(*id, fixtures[i]) == 0;
      if (!fixture)
        {
          struct sbx_error err = { 0 };
          (void)sbx_registry_delete(fz.reg, *id, &err);
        }
      free(*id);
    }
  free(ids);
  if (what & TIDY_SANDBOXES)
    ensure_fixtures();
  for (size_t i = 0; i < N_FIXTURES; i++)
    {
      struct sbx_sandbox *sb = sbx_registry_get(fz.reg, fixtures[i]);
      if (sb == NULL)
        die("the fixture sandbox %s is gone", fixtures[i]);
      for (int ctx = 0; (what & TIDY_PROCESSES) && ctx < 2; ctx++)
        for (;;)
          {
            struct sbx_process_info *list = NULL;
            struct sbx_error err = { 0 };
            size_t n = 0, running = 0;
            enum sbx_context c = ctx == 0 ? SBX_CTX_USER : SBX_CTX_PLATFORM;
            sbx_process_sweep(sb);
            if (sbx_process_list(sb, c, &list, &n, &err) < 0)
              break;
            for (size_t k = 0; k < n; k++)
              if (list[k].status == SBX_PROC_RUNNING)
                {
                  running++;
                  if (sbx_process_kill(sb, c, list[k].id, 9, &err) < 0 || sbx_now_ms() > deadline)
                    fprintf(stderr, "fuzz-api: %s %s (pid %d, %s): kill: %s %s\n", fixtures[i], list[k].id,
                            (int)list[k].pid, list[k].command, err.code, err.message);
                }
            sbx_process_list_free(list, n);
            if (running == 0)
              break;
            if (sbx_now_ms() > deadline)
              die("a started process outlived SIGKILL");
            usleep(2000);
          }
      /* fz's operations: "echo" on the callback socket, "web" on its port,
       * registered whatever the input unregistered, so that a call seed
       * reaches a callback from the first run. */
      if (strcmp(fixtures[i], "fz") == 0)
        {
          struct sbx_operations *ops = sbx_registry_operations(fz.reg, sb);
          struct sbx_error err = { 0 };
          char url[64];
          snprintf(url, sizeof url, "http://127.0.0.1:%d/web", fz.port);
          if (sbx_operations_register(ops, "echo", fz.ops_sock, NULL, 5000, &err) < 0
              || sbx_operations_register(ops, "web", NULL, url, 5000, &err) < 0)
            die("register the fixture's operations: %s", err.message);
        }
      sbx_registry_put(fz.reg, sb);
    }
}

static void answer(const struct input *in, struct sbx_api_response *out)
{
  bool tcp = in->socket != NULL && strcmp(in->socket, "tcp") == 0;
  bool ops = in->socket != NULL && strcmp(in->socket, "ops") == 0;
  size_t prealloc;
  bool too_large;

  memset(out, 0, sizeof *out);
  if (!sbx_http_authorized(tcp ? TOKEN : NULL, in->auth, out))
    return;
  too_large = sbx_http_announced_too_large(in->length, sbx_request_body_max(in->method, in->path), &prealloc);
  if (ops)
    {
      struct sbx_sandbox *sb = sbx_registry_get(fz.reg, "fz");
      struct ops_arg o = { .ops = sb != NULL ? sbx_registry_operations(fz.reg, sb) : NULL, .id = "fz" };
      if (sb == NULL)
        die("the fixture sandbox fz is gone");
      sbx_http_answer(serve_operations, &o, in->method, in->path, in->body, in->len, too_large, out);
      sbx_registry_put(fz.reg, sb);
    }
  else
    sbx_http_answer(serve_api, fz.reg, in->method, in->path, in->body, in->len, too_large, out);
  if (out->job != NULL)
    {
      struct sbx_api_job *job = out->job;
      out->job = NULL;
      fz.jobs++;
      run_job(job, out);
    }
}

static void check_leaks(void)
{
  const char *wrong = outside_changed();
  int fds = count_fds(), children;

  if (wrong != NULL)
    die("%s", wrong);
  if (fds > fz.fds + FD_SLACK)
    die("fds grow with the inputs");
  if (fz.runs % 64 == 0 && (children = count_children()) > fz.children + CHILD_SLACK)
    die("child processes grow with the inputs");
}

/* ---- setup, and the controls that show each check can fail ---- */

static void controls(void)
{
  char p[4096];
  int fd;

  /* The canary check sees a file made through a planted link... */
  snprintf(p, sizeof p, "%s/out/control", fz.planted[0]);
  if ((fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0)
    die("control: cannot write through the planted link %s", p);
  close(fd);
  if (outside_changed() == NULL)
    die("control: the canary check missed a file in the canary dir");
  unlink(p);
  if (outside_changed() != NULL)
    die("control: %s", outside_changed());
  /* ...the leak checks see fds and children that stay... */
  {
    int fds[FD_SLACK + 1], base = count_fds(), pipefd[2];
    pid_t pid;
    for (int i = 0; i <= FD_SLACK; i++)
      if ((fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
        die("control: open /dev/null");
    if (count_fds() <= base + FD_SLACK)
      die("control: the fd count missed %d new fds", FD_SLACK + 1);
    for (int i = 0; i <= FD_SLACK; i++)
      close(fds[i]);
    /* Sandboxes' spare inits come and go beside it: a few tries. */
    for (int tries = 0, seen = 0; !seen; tries++)
      {
        int with;
        if (tries == 5)
          die("control: the child count missed a child");
        if (pipe2(pipefd, O_CLOEXEC) != 0 || (pid = fork()) < 0)
          die("control: fork");
        if (pid == 0)
          {
            char c;
            close(pipefd[1]);
            (void)!read(pipefd[0], &c, 1);
            _exit(0);
          }
        close(pipefd[0]);
        with = count_children();
        close(pipefd[1]);
        waitpid(pid, NULL, 0);
        seen = with == count_children() + 1;
      }
  }
  /* ...and the answer checks see the canary, bytes that are not strict
   * UTF-8 (a surrogate, which a loose check passes), a bad document, an
   * untyped error. */
  if (json_wrong("{\"content\":\"" CANARY "\"}", strlen(CANARY) + 14, 200, false) == NULL
      || json_wrong("{\"a\":\"\xed\xa0\x80\"}", 12, 200, false) == NULL
      || json_wrong("{\"a\":", 5, 200, false) == NULL
      || json_wrong("{\"code\":\"NOPE\",\"message\":\"\"}", 28, 400, true) == NULL
      || json_wrong("{\"code\":\"NOT_FOUND\",\"message\":\"\"}", 33, 400, true) == NULL
      || json_wrong("{\"code\":\"NOT_FOUND\",\"message\":\"\"}", 33, 404, true) != NULL)
    die("control: an answer check does not fail where it must");
}

/* The fixture is alive: a command runs in it and a planted file is seen. */
static void alive(void)
{
  static const char *const probes[][3] = {
    { "POST", "/api/sandboxes/fz/user/execute", "{\"command\":\"echo fz\"}" },
    { "POST", "/api/execute", "{\"command\":\"cat /app/d/f\"}" },
    { "POST", "/api/sandboxes/fz/shared/read", "{\"path\":\"d/f\"}" },
  };
  static const char *const want[] = { "\"stdout\":\"fz\\n\"", "in the shared dir", "in the shared dir" };

  for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++)
    {
      struct input in = { .method = (char *)probes[i][0], .path = (char *)probes[i][1],
                          .body = (char *)probes[i][2], .len = strlen(probes[i][2]) };
      struct sbx_api_response out;
      answer(&in, &out);
      if (out.status != 200 || out.body == NULL || strstr(out.body, want[i]) == NULL)
        die("the fixture is not alive: %s", out.body != NULL ? out.body : "no answer");
      free(out.body);
    }
}

static void teardown(void)
{
  fprintf(stderr, "fuzz-api: %llu inputs: %llu answered (%llu of them commands run), %llu held back, %llu not a request\n",
          fz.runs, fz.answered, fz.jobs, fz.held_back, fz.runs - fz.answered - fz.held_back);
  sbx_registry_free(fz.reg);
  for (size_t i = 0; i < N_FIXTURES; i++)
    free(fz.planted[i]);
  sbx_remove_tree(fz.dir);
}

static void setup(void)
{
  static int cb_fds[2];
  struct sbx_registry_options o = { .user_network = SBX_NET_ISOLATED, .require_isolation = true,
                                    .ops_server = { .start = ops_start, .stop = ops_stop } };
  struct sbx_error err = { 0 };
  pthread_t t;
  char p[256];

  /* As the daemon's main does: a client or callback that hung up is an error, not a signal. */
  signal(SIGPIPE, SIG_IGN);
  if (getenv("SPLITBOX_INIT") == NULL)
    die("set SPLITBOX_INIT to the splitbox-init binary");
  /* fuzz.sh gives a scratch dir that it removes, even after a crash. */
  snprintf(fz.dir, sizeof fz.dir, "%s/sbx-fuzz-api.XXXXXX", getenv("SBX_FUZZ_TMP") ? getenv("SBX_FUZZ_TMP") : "/tmp");
  if (mkdtemp(fz.dir) == NULL)
    die("mkdtemp %s", fz.dir);
  snprintf(fz.outside, sizeof fz.outside, "%s/outside", fz.dir);
  snprintf(fz.state, sizeof fz.state, "%s/state", fz.dir);
  snprintf(fz.ops_sock, sizeof fz.ops_sock, "%s/ops.sock", fz.dir);
  if (mkdir(fz.outside, 0755) != 0)
    die("mkdir %s", fz.outside);
  snprintf(p, sizeof p, "%s/secret", fz.outside);
  write_file(p, CANARY);
  cb_fds[0] = listen_unix(fz.ops_sock);
  cb_fds[1] = listen_tcp(&fz.port);
  if (pthread_create(&t, NULL, callback_main, cb_fds) != 0)
    die("callback thread");
  o.state_dir = fz.state;
  o.init_path = getenv("SPLITBOX_INIT");
  if ((fz.reg = sbx_registry_new(&o, &err)) == NULL)
    die("registry: %s", err.message);
  atexit(teardown);
  ensure_fixtures();
  controls();
  alive();
  tidy(TIDY_ALL);
  fz.fds = count_fds();
  fz.children = count_children();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *copy;
  struct input in;
  struct sbx_api_response out;
  const char *wrong;
  unsigned what = 0;

  if (fz.reg == NULL)
    setup();
  fz.runs++;
  if ((copy = malloc(size + 1)) == NULL)
    return 0;
  memcpy(copy, data, size);
  copy[size] = '\0';
  /* The fuzzer learns the canary from the checks' own comparisons: an input
   * that names it would be echoed back (a path in an error) or written and
   * read back, which is no leak. Such an input is held back. */
  if (!split_input(copy, size, &in) || memmem(data, size, CANARY_TAG, strlen(CANARY_TAG)) != NULL
      || !may_run(&in, &what))
    {
      fz.held_back += in.body != NULL;
      free(in.body);
      free(copy);
      return 0;
    }
  fz.answered++;
  answer(&in, &out);
  if ((wrong = response_wrong(&out)) != NULL)
    {
      fprintf(stderr, "fuzz-api: %u %s\n", out.status, out.body != NULL ? out.body : "(no body)");
      die("%s", wrong);
    }
  free(out.body);
  free(in.body);
  free(copy);
  tidy(what);
  check_leaks();
  return 0;
}
