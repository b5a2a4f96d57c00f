/* sbx-bystander STATUS UNIX_PATH...: a stranger's sandbox API on the host, for
 * the test that the audit sends it nothing. It listens on each unix path, on
 * a loopback TCP port and on an abstract socket, answers GET /api/ping with
 * 200 as a live daemon would, and keeps STATUS current (rewritten whole on
 * every event): one line per listener, "NAME connections=N bytes=N", after a
 * first line "tcp-port=P abstract=NAME". SIGTERM ends it and removes its
 * sockets. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_LISTENERS 8
#define MAX_CLIENTS 64

struct listener
{
  int fd;
  char name[108];
  unsigned long connections, bytes;
};

static struct listener listeners[MAX_LISTENERS];
static int n_listeners;
static volatile sig_atomic_t stop;
static char abstract_name[64];
static unsigned short tcp_port;

static void on_term(int sig)
{
  (void)sig;
  stop = 1;
}

static void write_status(const char *path)
{
  char tmp[4096];
  FILE *f;

  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  if ((f = fopen(tmp, "w")) == NULL)
    return;
  fprintf(f, "tcp-port=%u abstract=%s\n", tcp_port, abstract_name);
  for (int i = 0; i < n_listeners; i++)
    fprintf(f, "%s connections=%lu bytes=%lu\n", listeners[i].name, listeners[i].connections, listeners[i].bytes);
  if (fclose(f) == 0)
    rename(tmp, path);
}

/* What was sent, for the test's failure message: STATUS.log, the first line
 * of each request and the sender's pid where the kernel tells it. */
static void log_request(const char *status, const char *listener, int fd, const char *request)
{
  struct ucred cred = { .pid = 0 };
  socklen_t len = sizeof cred;
  char path[4096], cmdline[256] = "";
  FILE *f;

  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid > 0)
    {
      snprintf(path, sizeof path, "/proc/%d/cmdline", (int)cred.pid);
      if ((f = fopen(path, "r")) != NULL)
        {
          size_t n = fread(cmdline, 1, sizeof cmdline - 1, f);
          for (size_t i = 0; i < n; i++)
            if (cmdline[i] == '\0')
              cmdline[i] = ' ';
          cmdline[n] = '\0';
          fclose(f);
        }
    }
  snprintf(path, sizeof path, "%s.log", status);
  if ((f = fopen(path, "a")) == NULL)
    return;
  fprintf(f, "%s: %.*s (from pid %d: %s)\n", listener, (int)strcspn(request, "\r\n"), request, (int)cred.pid,
          cmdline);
  fclose(f);
}

static int add(int fd, const char *name)
{
  if (fd < 0 || listen(fd, 64) != 0 || n_listeners == MAX_LISTENERS)
    return -1;
  listeners[n_listeners].fd = fd;
  snprintf(listeners[n_listeners].name, sizeof listeners[0].name, "%s", name);
  n_listeners++;
  return 0;
}

static int listen_unix(const char *path, bool abstract)
{
  struct sockaddr_un u = { .sun_family = AF_UNIX };
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  socklen_t len;

  if (strlen(path) + 1 >= sizeof u.sun_path)
    return -1;
  if (abstract)
    {
      memcpy(u.sun_path + 1, path, strlen(path));
      len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(path));
    }
  else
    {
      strcpy(u.sun_path, path);
      len = sizeof u;
    }
  if (fd < 0 || bind(fd, (struct sockaddr *)&u, len) != 0)
    return -1;
  return fd;
}

int main(int argc, char **argv)
{
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t alen = sizeof a;
  struct pollfd pfd[MAX_LISTENERS + MAX_CLIENTS];
  int owner[MAX_CLIENTS], tcp;

  if (argc < 3)
    {
      fprintf(stderr, "usage: sbx-bystander STATUS UNIX_PATH...\n");
      return 2;
    }
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);
  signal(SIGPIPE, SIG_IGN);
  for (int i = 2; i < argc; i++)
    if (add(listen_unix(argv[i], false), argv[i]) < 0)
      {
        fprintf(stderr, "sbx-bystander: listen on %s: %s\n", argv[i], strerror(errno));
        return 1;
      }
  snprintf(abstract_name, sizeof abstract_name, "sbx-bystander-%d", (int)getpid());
  tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (add(listen_unix(abstract_name, true), "abstract") < 0 || tcp < 0
      || bind(tcp, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(tcp, (struct sockaddr *)&a, &alen) != 0
      || add(tcp, "tcp") < 0)
    {
      fprintf(stderr, "sbx-bystander: listen: %s\n", strerror(errno));
      return 1;
    }
  tcp_port = ntohs(a.sin_port);
  for (int i = 0; i < MAX_CLIENTS; i++)
    pfd[MAX_LISTENERS + i].fd = -1;
  write_status(argv[1]);
  while (!stop)
    {
      for (int i = 0; i < MAX_LISTENERS; i++)
        pfd[i] = (struct pollfd){ .fd = i < n_listeners ? listeners[i].fd : -1, .events = POLLIN };
      for (int i = 0; i < MAX_CLIENTS; i++)
        pfd[MAX_LISTENERS + i].events = POLLIN;
      if (poll(pfd, MAX_LISTENERS + MAX_CLIENTS, 1000) <= 0)
        continue;
      for (int i = 0; i < n_listeners; i++)
        if (pfd[i].revents & POLLIN)
          {
            int c = accept4(listeners[i].fd, NULL, NULL, SOCK_CLOEXEC);
            int slot = 0;
            while (slot < MAX_CLIENTS && pfd[MAX_LISTENERS + slot].fd >= 0)
              slot++;
            if (c < 0)
              continue;
            listeners[i].connections++;
            if (slot == MAX_CLIENTS)
              close(c);
            else
              {
                pfd[MAX_LISTENERS + slot].fd = c;
                owner[slot] = i;
              }
            write_status(argv[1]);
          }
      for (int i = 0; i < MAX_CLIENTS; i++)
        {
          struct pollfd *c = &pfd[MAX_LISTENERS + i];
          char buf[4096];
          ssize_t n;
          if (c->fd < 0 || !(c->revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
          n = read(c->fd, buf, sizeof buf - 1);
          if (n > 0)
            {
              static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n"
                                       "Connection: close\r\n\r\n{\"ok\":true}";
              listeners[owner[i]].bytes += (unsigned long)n;
              buf[n] = '\0';
              log_request(argv[1], listeners[owner[i]].name, c->fd, buf);
              if (strstr(buf, "GET /api/ping") != NULL)
                (void)!write(c->fd, ok, sizeof ok - 1);
              write_status(argv[1]);
            }
          close(c->fd);
          c->fd = -1;
        }
    }
  for (int i = 2; i < argc; i++)
    unlink(argv[i]);
  return 0;
}
