/* sbx-session-server: a stand-in for Cloudflare's container server, for the
 * tests. Every /api/execute runs in one long-lived bash per session (the
 * body's sessionId, else a default one): the command is written to the
 * shell's stdin, then a sentinel echo of $?, and the answer waits for that
 * sentinel. A command that ends the shell (exec, exit) ends the session:
 * HTTP 410, then and for every later call to it. No contexts, no isolation:
 * plain processes of the server's own uid.
 *
 *   sbx-session-server --port N [--root DIR]
 *
 * Routes: GET /api/ping; POST /api/execute {command, env?, cwd?, timeoutMs?,
 * sessionId?}; POST /api/process/start {command, env?, cwd?}; GET and DELETE
 * /api/process/ID; POST /api/write {path, content, encoding}; POST /api/read
 * {path, encoding}. $SESSION_SERVER_TOKEN, when set, is the bearer token
 * every route but ping needs. SIGTERM ends the server and all it started. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"

#define BODY_MAX (64 << 20)

struct session
{
  char id[128];
  pid_t pid;
  int in, out; /* the shell's stdin and stdout */
  bool dead;
  char nonce[40];
  pthread_mutex_t lock;
  struct session *next;
};

struct proc
{
  char id[32];
  pid_t pid;
  int status;
  bool done;
  struct proc *next;
};

static pthread_mutex_t table = PTHREAD_MUTEX_INITIALIZER;
static struct session *sessions;
static struct proc *procs;
static unsigned next_proc;
static const char *root = "/";
static char tmpdir[] = "/tmp/sbx-session-server-XXXXXX";

static char *quote(const char *s)
{
  char *out = malloc(strlen(s) * 4 + 3), *o = out;

  if (out == NULL)
    return NULL;
  *o++ = '\'';
  for (; *s != '\0'; s++)
    if (*s == '\'')
      o = stpcpy(o, "'\\''");
    else
      *o++ = *s;
  *o++ = '\'';
  *o = '\0';
  return out;
}

static void child_setup(void)
{
  sigset_t none;

  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  setsid();
}

static struct session *session_get(const char *id)
{
  struct session *s;
  int in[2], out[2];
  unsigned char rnd[16];

  pthread_mutex_lock(&table);
  for (s = sessions; s != NULL; s = s->next)
    if (strcmp(s->id, id) == 0)
      break;
  if (s == NULL && (s = calloc(1, sizeof *s)) != NULL)
    {
      snprintf(s->id, sizeof s->id, "%s", id);
      pthread_mutex_init(&s->lock, NULL);
      if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd || pipe2(in, O_CLOEXEC) < 0)
        s->dead = true;
      else if (pipe2(out, O_CLOEXEC) < 0)
        {
          close(in[0]);
          close(in[1]);
          s->dead = true;
        }
      else
        {
          for (size_t i = 0; i < sizeof rnd; i++)
            snprintf(s->nonce + 2 * i, 3, "%02x", rnd[i]);
          s->pid = fork();
          if (s->pid == 0)
            {
              int null = open("/dev/null", O_WRONLY);
              child_setup();
              if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(null, 2) < 0 || chdir(root) < 0)
                _exit(127);
              execl("/bin/bash", "bash", "--norc", "--noprofile", (char *)NULL);
              _exit(127);
            }
          close(in[0]);
          close(out[1]);
          s->in = in[1];
          s->out = out[0];
          s->dead = s->pid < 0;
        }
      s->next = sessions;
      sessions = s;
    }
  pthread_mutex_unlock(&table);
  return s;
}

static void session_end(struct session *s)
{
  if (s->pid > 0)
    {
      kill(-s->pid, SIGKILL);
      waitpid(s->pid, NULL, 0);
      s->pid = 0;
    }
  if (s->in >= 0)
    close(s->in);
  if (s->out >= 0)
    close(s->out);
  s->in = s->out = -1;
  s->dead = true;
}

/* A regular file's content; a FIFO or a device that user code planted must not hang the server. */
static char *slurp(const char *path, size_t *len)
{
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  struct stat st;
  FILE *f;
  char *data = NULL;
  size_t cap = 0;

  *len = 0;
  if (fd < 0)
    return NULL;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (f = fdopen(fd, "r")) == NULL)
    {
      close(fd);
      errno = EINVAL;
      return NULL;
    }
  for (;;)
    {
      size_t n;
      char *grown = *len + 65536 + 1 > cap ? realloc(data, cap = (*len + 65536 + 1) * 2) : data;
      if (grown == NULL)
        {
          free(data);
          fclose(f);
          errno = ENOMEM;
          return NULL;
        }
      data = grown;
      n = fread(data + *len, 1, 65536, f);
      *len += n;
      data[*len] = '\0';
      if (n == 0)
        break;
    }
  fclose(f);
  return data;
}

static int write_all(int fd, const char *s, size_t n)
{
  while (n > 0)
    {
      ssize_t w = write(fd, s, n);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return -1;
      s += w;
      n -= (size_t)w;
    }
  return 0;
}

static double now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* The body's env as `export NAME='value';` statements. */
static char *exports(const cJSON *env)
{
  const cJSON *e;
  char *out = strdup("");

  cJSON_ArrayForEach(e, env)
    {
      char *q = cJSON_IsString(e) ? quote(e->valuestring) : NULL, *grown = NULL;
      if (q == NULL || out == NULL || asprintf(&grown, "%sexport %s=%s; ", out, e->string, q) < 0)
        grown = NULL;
      free(q);
      free(out);
      if ((out = grown) == NULL)
        return NULL;
    }
  return out;
}

static cJSON *error_doc(const char *code, const char *message)
{
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "code", code);
  cJSON_AddStringToObject(d, "message", message);
  return d;
}

static int execute(const cJSON *body, cJSON **answer)
{
  const char *command = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "command"));
  const char *cwd = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "cwd"));
  const char *sid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "sessionId"));
  const cJSON *timeout = cJSON_GetObjectItemCaseSensitive(body, "timeoutMs");
  const cJSON *env = cJSON_GetObjectItemCaseSensitive(body, "env");
  char out_path[96], err_path[96], line[256];
  char *script = NULL, *qcwd = NULL, *exp = NULL, *out = NULL, *err = NULL;
  size_t got = 0, out_len = 0, err_len = 0;
  double until = now_ms() + (cJSON_IsNumber(timeout) && timeout->valuedouble > 0 ? timeout->valuedouble : 600000);
  struct session *s;
  int status = 200, code = -1;

  if (command == NULL)
    {
      *answer = error_doc("VALIDATION_FAILED", "execute needs a command");
      return 400;
    }
  if ((s = session_get(sid != NULL ? sid : "default")) == NULL)
    {
      *answer = error_doc("INTERNAL_ERROR", "out of memory");
      return 500;
    }
  pthread_mutex_lock(&s->lock);
  if (s->dead)
    {
      pthread_mutex_unlock(&s->lock);
      *answer = error_doc("SESSION_TERMINATED", "the session's shell is gone (a command ended it: exec or exit?)");
      return 410;
    }
  snprintf(out_path, sizeof out_path, "%s/%d.out", tmpdir, (int)s->pid);
  snprintf(err_path, sizeof err_path, "%s/%d.err", tmpdir, (int)s->pid);
  qcwd = quote(cwd != NULL ? cwd : ".");
  exp = exports(env);
  /* With env, a subshell: the variables are this call's, not the session's. */
  if (qcwd == NULL || exp == NULL
      || asprintf(&script, "{ %scd -- %s && { %s%s\n}%s; } </dev/null >%s 2>%s\nprintf '%%s %%d\\n' %s \"$?\"\n",
                  cJSON_IsObject(env) ? "( " : "", qcwd, exp, command, cJSON_IsObject(env) ? ")" : "", out_path,
                  err_path, s->nonce)
           < 0)
    script = NULL;
  free(qcwd);
  free(exp);
  if (script == NULL || write_all(s->in, script, strlen(script)) < 0)
    {
      free(script);
      session_end(s);
      pthread_mutex_unlock(&s->lock);
      *answer = error_doc("SESSION_TERMINATED", "the session's shell is gone (a command ended it: exec or exit?)");
      return 410;
    }
  free(script);
  /* Until the sentinel line, the shell's end, or the deadline. */
  for (;;)
    {
      struct pollfd p = { .fd = s->out, .events = POLLIN };
      double left = until - now_ms();
      ssize_t n;
      char *nl;

      if (left <= 0)
        {
          /* Ended by the server, not by the command: the next call with this id gets a fresh shell. */
          session_end(s);
          pthread_mutex_lock(&table);
          s->id[0] = '\0';
          pthread_mutex_unlock(&table);
          status = 408;
          break;
        }
      if (poll(&p, 1, (int)(left < 1000 ? left + 1 : 1000)) <= 0)
        continue;
      n = read(s->out, line + got, sizeof line - 1 - got);
      if (n <= 0)
        {
          session_end(s);
          status = 410;
          break;
        }
      got += (size_t)n;
      line[got] = '\0';
      if ((nl = strchr(line, '\n')) != NULL)
        {
          if (strncmp(line, s->nonce, strlen(s->nonce)) == 0)
            code = atoi(line + strlen(s->nonce) + 1);
          break;
        }
      if (got == sizeof line - 1)
        got = 0;
    }
  /* Before the next command of the session truncates them. */
  out = slurp(out_path, &out_len);
  err = slurp(err_path, &err_len);
  pthread_mutex_unlock(&s->lock);
  if (status == 410)
    {
      free(out);
      free(err);
      *answer = error_doc("SESSION_TERMINATED", "the session's shell exited during the command (exec or exit?)");
      return 410;
    }
  *answer = status == 408 ? error_doc("COMMAND_TIMEOUT", "the command timed out; its session was ended")
                          : cJSON_CreateObject();
  cJSON_AddBoolToObject(*answer, "success", code == 0);
  cJSON_AddNumberToObject(*answer, "exitCode", code);
  {
    char *o = sbx_base64_encode(out != NULL ? out : "", out_len), *e = sbx_base64_encode(err != NULL ? err : "", err_len);
    cJSON_AddStringToObject(*answer, "stdout", o != NULL ? o : "");
    cJSON_AddStringToObject(*answer, "stdoutEncoding", "base64");
    cJSON_AddStringToObject(*answer, "stderr", e != NULL ? e : "");
    cJSON_AddStringToObject(*answer, "stderrEncoding", "base64");
    free(o);
    free(e);
  }
  free(out);
  free(err);
  return status;
}

static int process_start(const cJSON *body, cJSON **answer)
{
  const char *command = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "command"));
  const char *cwd = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "cwd"));
  const cJSON *env = cJSON_GetObjectItemCaseSensitive(body, "env"), *e;
  struct proc *p;
  char log[96];

  if (command == NULL || (p = calloc(1, sizeof *p)) == NULL)
    {
      *answer = error_doc("VALIDATION_FAILED", "process/start needs a command");
      return 400;
    }
  pthread_mutex_lock(&table);
  snprintf(p->id, sizeof p->id, "proc-%u", ++next_proc);
  snprintf(log, sizeof log, "%s/%s.log", tmpdir, p->id);
  p->pid = fork();
  if (p->pid == 0)
    {
      int null = open("/dev/null", O_RDONLY), fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
      child_setup();
      cJSON_ArrayForEach(e, env)
        if (cJSON_IsString(e))
          setenv(e->string, e->valuestring, 1);
      if (dup2(null, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 || chdir(cwd != NULL ? cwd : root) < 0)
        _exit(127);
      execl("/bin/bash", "bash", "-c", command, (char *)NULL);
      _exit(127);
    }
  p->next = procs;
  procs = p;
  pthread_mutex_unlock(&table);
  *answer = cJSON_CreateObject();
  cJSON_AddBoolToObject(*answer, "success", p->pid > 0);
  cJSON_AddStringToObject(*answer, "processId", p->id);
  return p->pid > 0 ? 200 : 500;
}

static int process_route(const char *method, const char *id, const cJSON *body, cJSON **answer)
{
  const char *sig = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "signal"));
  struct proc *p;
  int status = 404;

  pthread_mutex_lock(&table);
  for (p = procs; p != NULL && strcmp(p->id, id) != 0; p = p->next)
    ;
  if (p != NULL && !p->done && waitpid(p->pid, &p->status, WNOHANG) == p->pid)
    p->done = true;
  if (p == NULL)
    *answer = error_doc("PROCESS_NOT_FOUND", "no such process");
  else if (strcmp(method, "DELETE") == 0)
    {
      if (!p->done)
        kill(-p->pid, sig != NULL && strcmp(sig, "SIGKILL") == 0 ? SIGKILL : SIGTERM);
      *answer = cJSON_CreateObject();
      cJSON_AddBoolToObject(*answer, "success", true);
      status = 200;
    }
  else
    {
      cJSON *o = cJSON_CreateObject();
      *answer = cJSON_CreateObject();
      cJSON_AddItemToObject(*answer, "process", o);
      cJSON_AddStringToObject(o, "id", p->id);
      cJSON_AddStringToObject(o, "status", !p->done                ? "running"
                                           : WIFSIGNALED(p->status) ? "killed"
                                                                    : "completed");
      if (p->done)
        cJSON_AddNumberToObject(o, "exitCode", WIFEXITED(p->status) ? WEXITSTATUS(p->status) : 128 + WTERMSIG(p->status));
      status = 200;
    }
  pthread_mutex_unlock(&table);
  return status;
}

static int file_route(bool write_it, const cJSON *body, cJSON **answer)
{
  const char *path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "path"));
  const char *content = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "content"));
  const char *enc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "encoding"));
  bool b64 = enc != NULL && strcmp(enc, "base64") == 0;
  char *data = NULL;
  size_t len = 0;

  if (path == NULL || (write_it && content == NULL))
    {
      *answer = error_doc("VALIDATION_FAILED", "a file route needs a path (and content to write)");
      return 400;
    }
  if (write_it)
    {
      FILE *f;
      if (b64 ? sbx_base64_decode(content, &data, &len) < 0 : (data = strdup(content)) == NULL)
        {
          *answer = error_doc("VALIDATION_FAILED", "bad base64");
          return 400;
        }
      if (!b64)
        len = strlen(data);
      f = fopen(path, "we");
      if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        {
          free(data);
          *answer = error_doc(errno == ENOENT ? "FILE_NOT_FOUND" : "INTERNAL_ERROR", strerror(errno));
          return errno == ENOENT ? 404 : 500;
        }
      free(data);
      *answer = cJSON_CreateObject();
      cJSON_AddBoolToObject(*answer, "success", true);
      return 200;
    }
  if ((data = slurp(path, &len)) == NULL)
    {
      int e = errno;
      *answer = error_doc(e == ENOENT ? "FILE_NOT_FOUND" : "VALIDATION_FAILED",
                          e == EINVAL ? "not a regular file" : strerror(e));
      return e == ENOENT ? 404 : 400;
    }
  {
    /* Text unless base64 was asked for (or the content has a NUL). */
    bool as_b64 = b64 || memchr(data, '\0', len) != NULL;
    char *encoded = as_b64 ? sbx_base64_encode(data, len) : NULL;
    *answer = cJSON_CreateObject();
    cJSON_AddStringToObject(*answer, "content", as_b64 ? (encoded != NULL ? encoded : "") : data);
    cJSON_AddStringToObject(*answer, "encoding", as_b64 ? "base64" : "utf-8");
    free(encoded);
  }
  free(data);
  return 200;
}

static int route(const char *method, const char *url, const cJSON *body, cJSON **answer)
{
  bool post = strcmp(method, "POST") == 0;

  if (strcmp(method, "GET") == 0 && strcmp(url, "/api/ping") == 0)
    {
      *answer = cJSON_CreateObject();
      cJSON_AddStringToObject(*answer, "message", "pong");
      return 200;
    }
  if (post && strcmp(url, "/api/execute") == 0)
    return execute(body, answer);
  if (post && strcmp(url, "/api/process/start") == 0)
    return process_start(body, answer);
  if ((strcmp(method, "GET") == 0 || strcmp(method, "DELETE") == 0) && strncmp(url, "/api/process/", 13) == 0)
    return process_route(method, url + 13, body, answer);
  if (post && (strcmp(url, "/api/write") == 0 || strcmp(url, "/api/read") == 0))
    return file_route(strcmp(url, "/api/write") == 0, body, answer);
  *answer = error_doc("NOT_FOUND", "no such route on this server");
  return 404;
}

struct upload
{
  char *data;
  size_t len;
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *data, size_t *size, void **req_cls)
{
  struct upload *u = *req_cls;
  const char *token = getenv("SESSION_SERVER_TOKEN");
  cJSON *body = NULL, *answer = NULL;
  struct MHD_Response *resp;
  enum MHD_Result ret;
  char *text;
  int status;

  (void)cls;
  (void)version;
  if (u == NULL)
    {
      *req_cls = u = calloc(1, sizeof *u);
      return u != NULL ? MHD_YES : MHD_NO;
    }
  if (*size > 0)
    {
      char *grown = u->len + *size < BODY_MAX ? realloc(u->data, u->len + *size + 1) : NULL;
      if (grown == NULL)
        return MHD_NO;
      memcpy(grown + u->len, data, *size);
      u->data = grown;
      u->len += *size;
      u->data[u->len] = '\0';
      *size = 0;
      return MHD_YES;
    }
  if (token != NULL && token[0] != '\0' && strcmp(url, "/api/ping") != 0)
    {
      const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
      if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0 || strcmp(auth + 7, token) != 0)
        {
          answer = error_doc("UNAUTHORIZED", "a bearer token is needed");
          status = 401;
          goto send;
        }
    }
  body = u->data != NULL ? cJSON_ParseWithLength(u->data, u->len) : cJSON_CreateObject();
  if (body == NULL)
    {
      answer = error_doc("VALIDATION_FAILED", "the body is not JSON");
      status = 400;
    }
  else
    status = route(method, url, body, &answer);
send:
  text = cJSON_PrintUnformatted(answer);
  cJSON_Delete(answer);
  cJSON_Delete(body);
  resp = MHD_create_response_from_buffer(text != NULL ? strlen(text) : 0, text, MHD_RESPMEM_MUST_FREE);
  if (resp == NULL)
    return MHD_NO;
  MHD_add_response_header(resp, "Content-Type", "application/json");
  ret = MHD_queue_response(conn, (unsigned)status, resp);
  MHD_destroy_response(resp);
  return ret;
}

static void on_done(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode code)
{
  struct upload *u = *req_cls;

  (void)cls;
  (void)conn;
  (void)code;
  if (u != NULL)
    free(u->data);
  free(u);
  *req_cls = NULL;
}

int main(int argc, char **argv)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  struct MHD_Daemon *d;
  sigset_t stop;
  int sig, port = 0;

  for (int i = 1; i + 1 < argc; i += 2)
    if (strcmp(argv[i], "--port") == 0)
      port = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--root") == 0)
      root = argv[i + 1];
  if (port <= 0 || port > 65535)
    {
      fprintf(stderr, "usage: sbx-session-server --port N [--root DIR]\n");
      return 2;
    }
  if (mkdtemp(tmpdir) == NULL)
    {
      perror("sbx-session-server: mkdtemp");
      return 1;
    }
  /* Blocked in every thread; the main one waits for them. */
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigprocmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN);
  addr.sin_port = htons((uint16_t)port);
  d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, (uint16_t)port, NULL, NULL,
                       on_request, NULL, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
                       MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)3600, MHD_OPTION_END);
  if (d == NULL)
    {
      fprintf(stderr, "sbx-session-server: cannot listen on 127.0.0.1:%d\n", port);
      rmdir(tmpdir);
      return 1;
    }
  fprintf(stderr, "sbx-session-server: listening on 127.0.0.1:%d\n", port);
  while (sigwait(&stop, &sig) != 0)
    ;
  /* Everything it started goes with it: the sessions' shells and the processes, with their groups. */
  pthread_mutex_lock(&table);
  for (struct session *s = sessions; s != NULL; s = s->next)
    if (s->pid > 0)
      kill(-s->pid, SIGKILL);
  for (struct proc *p = procs; p != NULL; p = p->next)
    if (!p->done && p->pid > 0)
      kill(-p->pid, SIGKILL);
  pthread_mutex_unlock(&table);
  MHD_stop_daemon(d);
  {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", tmpdir);
    if (system(cmd) != 0)
      fprintf(stderr, "sbx-session-server: could not remove %s\n", tmpdir);
  }
  return 0;
}
