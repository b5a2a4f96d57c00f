/* sbx-op-echo SOCKET: a platform operation's callback for the tests. It
 * answers every POST with {"handledBy":"sbx-op-echo","request":BODY}, where
 * BODY is what the daemon sent, and serves until SIGTERM. Params "fail" get
 * HTTP 500, to test how failures come back; params "slow" an answer after
 * 30 s, to test that nothing waits for it. */
#include <microhttpd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct body
{
  char *buf;
  size_t len;
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **req_cls)
{
  struct body *b = *req_cls;
  struct MHD_Response *resp;
  char *text;
  enum MHD_Result ret;
  bool fail;

  (void)cls;
  (void)url;
  (void)method;
  (void)version;
  if (b == NULL)
    {
      *req_cls = calloc(1, sizeof *b);
      return *req_cls != NULL ? MHD_YES : MHD_NO;
    }
  if (*upload_size > 0)
    {
      char *grown = realloc(b->buf, b->len + *upload_size + 1);
      if (grown == NULL)
        return MHD_NO;
      b->buf = grown;
      memcpy(b->buf + b->len, upload, *upload_size);
      b->len += *upload_size;
      b->buf[b->len] = '\0';
      *upload_size = 0;
      return MHD_YES;
    }
  fail = b->buf != NULL && strstr(b->buf, "\"params\":\"fail\"") != NULL;
  if (b->buf != NULL && strstr(b->buf, "\"params\":\"slow\"") != NULL)
    {
      /* Tests wait for this line to know that a call is in flight. */
      fputs("sbx-op-echo: a slow call, answered in 30 s\n", stderr);
      fflush(stderr);
      sleep(30);
    }
  if (asprintf(&text, "{\"handledBy\":\"sbx-op-echo\",\"request\":%s}", b->buf != NULL ? b->buf : "null") < 0)
    return MHD_NO;
  resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
  MHD_add_response_header(resp, "Content-Type", "application/json");
  ret = MHD_queue_response(conn, fail ? 500 : 200, resp);
  MHD_destroy_response(resp);
  return ret;
}

static void done(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode code)
{
  struct body *b = *req_cls;

  (void)cls;
  (void)conn;
  (void)code;
  if (b != NULL)
    {
      free(b->buf);
      free(b);
      *req_cls = NULL;
    }
}

int main(int argc, char **argv)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct MHD_Daemon *d;
  sigset_t mask;
  int fd, sig;

  if (argc != 2 || strlen(argv[1]) >= sizeof addr.sun_path)
    {
      fprintf(stderr, "usage: sbx-op-echo SOCKET\n");
      return 2;
    }
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", argv[1]);
  unlink(argv[1]);
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 16) != 0)
    {
      perror("sbx-op-echo: listen");
      return 1;
    }
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, answer, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
                       MHD_OPTION_NOTIFY_COMPLETED, done, NULL, MHD_OPTION_END);
  if (d == NULL)
    {
      fprintf(stderr, "sbx-op-echo: cannot start\n");
      return 1;
    }
  sigwait(&mask, &sig);
  MHD_stop_daemon(d);
  unlink(argv[1]);
  return 0;
}
