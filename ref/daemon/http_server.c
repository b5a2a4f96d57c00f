/* The HTTP side of splitboxd: libmicrohttpd on a unix socket (mode 0600),
 * optionally on a loopback TCP port behind a bearer token. Never an abstract
 * socket: those cross mount namespaces. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api.h"
#include "http_server.h"
#include "executor.h"

/* The most a request's announced length may reserve before its body arrives. */
#define BODY_PREALLOC_MAX (2u * 1024 * 1024)

struct sbx_http_server
{
  sbx_http_handler handler;
  void *arg;
  struct MHD_Daemon *unix_daemon, *tcp_daemon;
  char *socket_path;
  char *token;
};

struct request
{
  char *buf;
  size_t len, cap;
  bool too_large;
};

static enum MHD_Result send_json(struct MHD_Connection *conn, struct sbx_api_response *r)
{
  struct MHD_Response *resp;
  enum MHD_Result ret;

  if (r->stream_fd >= 0)
    {
      /* MHD reads the pipe until its writer (the exec's thread) closes it. */
      resp = MHD_create_response_from_pipe(r->stream_fd);
      if (resp == NULL)
        {
          close(r->stream_fd);
          return MHD_NO;
        }
      MHD_add_response_header(resp, "Content-Type", "text/event-stream");
      MHD_add_response_header(resp, "Cache-Control", "no-cache");
      ret = MHD_queue_response(conn, r->status, resp);
      MHD_destroy_response(resp);
      return ret;
    }
  resp = MHD_create_response_from_buffer(strlen(r->body), r->body, MHD_RESPMEM_MUST_FREE);
  if (resp == NULL)
    {
      free(r->body);
      return MHD_NO;
    }
  MHD_add_response_header(resp, "Content-Type", "application/json");
  ret = MHD_queue_response(conn, r->status, resp);
  MHD_destroy_response(resp);
  return ret;
}

static bool authorized(const struct sbx_http_server *s, struct MHD_Connection *conn, bool tcp)
{
  const char *auth;
  size_t want, got;
  unsigned diff = 0;

  if (!tcp)
    return true; /* the unix socket's mode is the access check */
  auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
  if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0)
    return false;
  auth += 7;
  want = strlen(s->token);
  got = strlen(auth);
  /* Constant time in the token's length. */
  for (size_t i = 0; i < want; i++)
    diff |= (unsigned char)s->token[i] ^ (unsigned char)(i < got ? auth[i] : 0);
  return diff == 0 && got == want;
}

static enum MHD_Result handle(struct sbx_http_server *s, bool tcp, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *upload, size_t *upload_size, void **req_cls)
{
  struct request *r = *req_cls;
  struct sbx_api_response resp;

  if (r == NULL)
    {
      /* Before any body is read: an unauthenticated client gets nothing buffered. */
      if (!authorized(s, conn, tcp))
        {
          memset(&resp, 0, sizeof resp);
          resp.stream_fd = -1;
          sbx_api_error(&resp, SBX_E_UNAUTHORIZED, "this port needs Authorization: Bearer <token>");
          return send_json(conn, &resp);
        }
      r = calloc(1, sizeof *r);
      *req_cls = r;
      if (r == NULL)
        return MHD_NO;
      /* A buffer of the announced size: no regrowth and copy of a large
       * body. Up to a bound, since nothing has arrived yet to back the
       * claim; a wrong announcement only costs regrowth. Over the cap, the
       * answer is 413 and nothing is kept. */
      {
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        char *end;
        unsigned long long n = cl != NULL ? strtoull(cl, &end, 10) : 0;
        if (cl != NULL && *end == '\0' && n > SBX_API_BODY_MAX)
          r->too_large = true;
        else if (cl != NULL && *end == '\0' && n > 0 && n <= BODY_PREALLOC_MAX && (r->buf = malloc(n + 1)) != NULL)
          r->cap = n + 1;
      }
      return MHD_YES;
    }
  if (*upload_size > 0)
    {
      /* Past the cap, keep reading but keep nothing: the answer is 413. */
      if (!r->too_large && r->len + *upload_size > SBX_API_BODY_MAX)
        {
          r->too_large = true;
          free(r->buf);
          r->buf = NULL;
          r->len = 0;
        }
      if (!r->too_large)
        {
          if (r->len + *upload_size + 1 > r->cap)
            {
              size_t cap = (r->len + *upload_size + 1) * 2;
              char *grown = realloc(r->buf, cap);
              if (grown == NULL)
                return MHD_NO;
              r->buf = grown;
              r->cap = cap;
            }
          memcpy(r->buf + r->len, upload, *upload_size);
          r->len += *upload_size;
        }
      *upload_size = 0;
      return MHD_YES;
    }
  memset(&resp, 0, sizeof resp);
  resp.stream_fd = -1;
  if (r->too_large)
    sbx_api_error(&resp, SBX_E_TOO_LARGE_PAYLOAD, "the body is larger than 8 MiB");
  else
    s->handler(s->arg, method, url, r->buf != NULL ? r->buf : "", r->len, &resp);
  return send_json(conn, &resp);
}

static enum MHD_Result on_unix(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                               const char *version, const char *upload, size_t *upload_size, void **req_cls)
{
  (void)version;
  return handle(cls, false, conn, url, method, upload, upload_size, req_cls);
}

static enum MHD_Result on_tcp(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **req_cls)
{
  (void)version;
  return handle(cls, true, conn, url, method, upload, upload_size, req_cls);
}

static void on_done(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode code)
{
  struct request *r = *req_cls;

  (void)cls;
  (void)conn;
  (void)code;
  if (r != NULL)
    {
      free(r->buf);
      free(r);
      *req_cls = NULL;
    }
}

/* A live socket answers a connect; a crashed daemon's refuses it. */
static bool socket_alive(const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bool alive;

  if (fd < 0)
    return false;
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
  alive = connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0 || errno == EAGAIN;
  close(fd);
  return alive;
}

static int unix_listener(const char *path, struct sbx_error *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct stat st;
  int fd;

  if (strlen(path) >= sizeof addr.sun_path)
    return sbx_error_set(err, ENAMETOOLONG, SBX_E_VALIDATION, "socket path %s is too long", path);
  /* A stale socket of a crashed daemon is replaced; anything else is not ours to remove. */
  if (lstat(path, &st) == 0)
    {
      if (!S_ISSOCK(st.st_mode))
        return sbx_error_set(err, EEXIST, SBX_E_VALIDATION, "%s exists and is not a socket", path);
      if (socket_alive(path))
        return sbx_error_set(err, EADDRINUSE, SBX_E_VALIDATION,
                             "another daemon serves %s; stop it first or choose another --socket", path);
      unlink(path);
    }
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return sbx_error_errno(err, errno, SBX_E_INTERNAL, "socket");
  /* Created 0600 from the start: no window in which another user may connect.
   * The mode of the socket's inode is the file's mode (less the umask), so no
   * process-wide umask change races the daemon's other threads. */
  if (fchmod(fd, 0600) != 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 64) != 0)
    {
      int e = errno;
      close(fd);
      return sbx_error_errno(err, e, SBX_E_INTERNAL, "listen on %s", path);
    }
  return fd;
}

static int tcp_listener(const char *listen_addr, struct sbx_error *err)
{
  char host[64];
  const char *colon = strrchr(listen_addr, ':');
  struct sockaddr_in a = { .sin_family = AF_INET };
  int fd, one = 1;
  long port;

  if (colon == NULL || (size_t)(colon - listen_addr) >= sizeof host)
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "--listen takes 127.0.0.1:PORT");
  snprintf(host, sizeof host, "%.*s", (int)(colon - listen_addr), listen_addr);
  port = strtol(colon + 1, NULL, 10);
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1 || (ntohl(a.sin_addr.s_addr) >> 24) != 127 || port < 1
      || port > 65535)
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "--listen takes a loopback address, 127.x.x.x:PORT");
  a.sin_port = htons((uint16_t)port);
  fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0
      || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0)
    {
      int e = errno;
      if (fd >= 0)
        close(fd);
      return sbx_error_errno(err, e, SBX_E_INTERNAL, "listen on %s", listen_addr);
    }
  return fd;
}

static struct MHD_Daemon *start(int fd, MHD_AccessHandlerCallback cb, struct sbx_http_server *s)
{
  /* A thread per connection: an exec blocks its request for as long as it runs. */
  return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, cb, s,
                          MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED, on_done, s,
                          MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)3600, MHD_OPTION_CONNECTION_LIMIT,
                          (unsigned)256, MHD_OPTION_END);
}

struct sbx_http_server *sbx_http_server_start(sbx_http_handler handler, void *arg, const char *socket_path,
                                              const char *listen_addr, const char *token, struct sbx_error *err)
{
  struct sbx_http_server *s = calloc(1, sizeof *s);
  int fd;

  if (s == NULL)
    {
      sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "server");
      return NULL;
    }
  s->handler = handler;
  s->arg = arg;
  s->token = token != NULL ? strdup(token) : NULL;
  if ((fd = unix_listener(socket_path, err)) < 0)
    goto fail;
  /* Ours from now on, to remove at stop: not before, it may be another daemon's. */
  s->socket_path = strdup(socket_path);
  if ((s->unix_daemon = start(fd, on_unix, s)) == NULL)
    {
      close(fd);
      sbx_error_set(err, EIO, SBX_E_INTERNAL, "start the HTTP server on %s", socket_path);
      goto fail;
    }
  if (listen_addr != NULL)
    {
      if (s->token == NULL || s->token[0] == '\0')
        {
          sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "--listen needs --token-file with a non-empty token");
          goto fail;
        }
      if ((fd = tcp_listener(listen_addr, err)) < 0)
        goto fail;
      if ((s->tcp_daemon = start(fd, on_tcp, s)) == NULL)
        {
          close(fd);
          sbx_error_set(err, EIO, SBX_E_INTERNAL, "start the HTTP server on %s", listen_addr);
          goto fail;
        }
    }
  return s;
fail:
  sbx_http_server_stop(s);
  return NULL;
}

void sbx_http_server_stop(struct sbx_http_server *s)
{
  if (s == NULL)
    return;
  if (s->unix_daemon != NULL)
    MHD_stop_daemon(s->unix_daemon);
  if (s->tcp_daemon != NULL)
    MHD_stop_daemon(s->tcp_daemon);
  if (s->socket_path != NULL)
    unlink(s->socket_path);
  free(s->socket_path);
  if (s->token != NULL)
    explicit_bzero(s->token, strlen(s->token));
  free(s->token);
  free(s);
}
