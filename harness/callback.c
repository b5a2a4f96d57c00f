#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "callback.h"
#include "run.h"

/* Answers each request with {"handled":true,"request":BODY}. */
static void *serve(void *arg)
{
  struct sbx_callback *cb = arg;

  for (;;)
    {
      char req[65536], *body, resp[70000];
      size_t got = 0;
      int c = accept(cb->listener, NULL, NULL);
      if (c < 0)
        return NULL;
      for (;;)
        {
          struct pollfd pfd = { .fd = c, .events = POLLIN };
          ssize_t n;
          char *hdr_end, *cl;
          if (poll(&pfd, 1, 2000) != 1 || (n = sbx_read_retry(c, req + got, sizeof req - 1 - got)) <= 0)
            break;
          got += (size_t)n;
          req[got] = '\0';
          if ((hdr_end = strstr(req, "\r\n\r\n")) != NULL && (cl = strcasestr(req, "Content-Length:")) != NULL
              && got >= (size_t)(hdr_end + 4 - req) + (size_t)atol(cl + 15))
            break;
        }
      body = strstr(req, "\r\n\r\n");
      body = body != NULL ? body + 4 : (char *)"null";
      snprintf(resp, sizeof resp, "{\"handled\":true,\"request\":%s}", body);
      {
        char head[128];
        int hn = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                          strlen(resp));
        /* A client that left early is its own problem: nothing to report to. */
        if (sbx_send_all(c, head, (size_t)hn) == 0)
          (void)sbx_send_all(c, resp, strlen(resp));
      }
      close(c);
    }
}

int sbx_callback_start(struct sbx_callback *cb, const char *name)
{
  struct sockaddr_un a = { .sun_family = AF_UNIX };

  snprintf(cb->path, sizeof cb->path, "/tmp/sbx-%s-%d.sock", name, (int)getpid());
  unlink(cb->path);
  snprintf(a.sun_path, sizeof a.sun_path, "%s", cb->path);
  cb->listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (cb->listener < 0 || bind(cb->listener, (struct sockaddr *)&a, sizeof a) != 0 || chmod(cb->path, 0666) != 0
      || listen(cb->listener, 64) != 0 || pthread_create(&cb->thread, NULL, serve, cb) != 0)
    {
      if (cb->listener >= 0)
        close(cb->listener);
      cb->listener = -1;
      return -1;
    }
  return 0;
}

void sbx_callback_stop(struct sbx_callback *cb)
{
  if (cb->listener < 0)
    return;
  shutdown(cb->listener, SHUT_RDWR);
  close(cb->listener);
  unlink(cb->path);
  cb->listener = -1;
}
