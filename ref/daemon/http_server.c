/* The HTTP side of splitboxd: libmicrohttpd on a unix socket (mode 0600),
 * optionally on a loopback TCP port behind a bearer token, and on each
 * sandbox's operations socket. Never an abstract socket: those cross mount
 * namespaces.
 *
 * Threads are few and fixed, whatever the load: one accepts on every
 * listening socket (epoll) and hands connections to one libmicrohttpd daemon
 * (epoll, a small pool: no select(), so fds above 1023 work); a pool of
 * workers runs the handlers, while the connection is suspended, so that a
 * slow handler holds no I/O thread; a command in flight is watched by the
 * job loop (job_loop.c) and holds no thread at all. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api.h"
#include "request.h"
#include "executor.h"
#include "http_server.h"
#include "job_loop.h"

/* The most a request's announced length may reserve before its body arrives. */
#define BODY_PREALLOC_MAX (2u * 1024 * 1024)
#define MHD_THREADS 2
#define WORKERS 16
/* TCP connections that have not yet shown the token: past this many, the
 * oldest is closed for a new one, so that unauthenticated clients cannot
 * fill the server. */
#define UNAUTH_MAX 64
#define FD_TABLE_MAX (1u << 20)

enum listener_kind
{
  L_UNIX,
  L_TCP,
};

struct listener
{
  enum listener_kind kind;
  int fd;
  uint32_t slot, gen;
  sbx_http_handler handler;
  void *arg;
  char *path; /* unix: removed at stop */
  bool closed;
  int refs;  /* its slot, and each connection */
  int busy;  /* handlers running */
};

struct client
{
  uint64_t key; /* unix: uid + 1; TCP: the IPv4 address | 1 << 40 */
  unsigned count, refusing;
};

/* Connections past a client's limit that are still answered (503) rather
 * than cut: beyond these, a flood is closed at accept. */
#define REFUSING_MAX 64

/* One connection, from its accept to its close. */
struct conn
{
  struct listener *l;
  int fd;
  uint64_t key;
  bool authed;
  bool refused; /* over its client's limit: answered 503 and closed */
  struct conn *unauth_prev, *unauth_next; /* TCP, until the token is seen */
};

enum req_state
{
  R_NEW,
  R_QUEUED, /* suspended, its handler on a worker */
  R_JOB,    /* suspended, its command in the job loop */
  R_READY,  /* resp filled in */
};

struct request
{
  struct sbx_http_server *s;
  struct conn *c;
  struct MHD_Connection *mc;
  char *buf;
  size_t len, cap;
  bool too_large;
  size_t body_max; /* the route's: sbx_request_body_max */
  char *method, *url; /* url with its query, as the handler reads it */
  enum req_state state;
  struct sbx_api_response resp;
  struct sbx_api_job *job; /* the connection's reference */
  bool close;               /* the connection ends with this answer */
};

/* The work queue's: a request's handler to run, or a job to finish (r is
 * NULL for a stream's, whose connection may be gone by then). */
struct task
{
  struct task *next;
  struct request *r;
  struct sbx_api_job *finish;
  bool tick; /* the periodic reaping, on a worker: it takes sandboxes' locks */
};

struct sbx_http_server
{
  struct MHD_Daemon *mhd;
  char *token;
  unsigned per_client_max, connections_max;

  /* listeners, under llock */
  pthread_mutex_t llock;
  pthread_cond_t lidle;
  struct listener **slots;
  uint32_t n_slots, gen;
  int epfd, wakefd;
  pthread_t acceptor;
  bool acceptor_started;
  unsigned backoff_ms;

  /* connections, under clock */
  pthread_mutex_t clock;
  struct conn **by_fd;
  size_t by_fd_len;
  struct client *clients;
  size_t n_clients, cap_clients;
  struct conn *unauth_head, *unauth_tail;
  unsigned n_unauth;
  unsigned long long refused_per_client, evicted_unauth;

  /* the work queue, under qlock */
  pthread_mutex_t qlock;
  pthread_cond_t qcond;
  struct task *q_head, *q_tail;
  pthread_t workers[WORKERS];
  int n_workers;
  bool stopping, workers_stop;

  struct sbx_job_loop *loop;
  struct listener *main_unix;
  bool stopped;
  void (*tick)(void *arg);
  void *tick_arg;
  bool tick_queued; /* under qlock */
};

/* ---- responses ---- */

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
  struct request *r = cls;
  bool end = false;
  ssize_t n;

  (void)pos;
  /* Nothing yet: read parks the connection (stream_park) until the job loop
   * has more (stream_wake), so that no thread polls for it. */
  n = sbx_api_job_read(r->job, buf, max, &end);
  return n == 0 && end ? MHD_CONTENT_READER_END_OF_STREAM : n;
}

static void stream_park(void *arg)
{
  struct request *r = arg;
  MHD_suspend_connection(r->mc);
}

static void stream_wake(void *arg)
{
  struct request *r = arg;
  MHD_resume_connection(r->mc);
}

static enum MHD_Result send_response(struct MHD_Connection *mc, struct request *r)
{
  struct sbx_api_response *out = &r->resp;
  struct MHD_Response *resp;
  enum MHD_Result ret;

  if (r->job != NULL && sbx_api_job_is_stream(r->job))
    {
      resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_reader, r, NULL);
      if (resp == NULL)
        return MHD_NO;
      MHD_add_response_header(resp, "Content-Type", "text/event-stream");
      MHD_add_response_header(resp, "Cache-Control", "no-cache");
      ret = MHD_queue_response(mc, 200, resp);
      MHD_destroy_response(resp);
      return ret;
    }
  if (out->body == NULL)
    return MHD_NO;
  resp = MHD_create_response_from_buffer(out->content_type != NULL ? out->body_len : strlen(out->body), out->body,
                                         MHD_RESPMEM_MUST_FREE);
  if (resp == NULL)
    {
      free(out->body);
      out->body = NULL;
      return MHD_NO;
    }
  out->body = NULL;
  MHD_add_response_header(resp, "Content-Type", out->content_type != NULL ? out->content_type : "application/json");
  if (r->close)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
  ret = MHD_queue_response(mc, out->status, resp);
  MHD_destroy_response(resp);
  return ret;
}

bool sbx_http_authorized(const char *token, const char *authorization, struct sbx_api_response *out)
{
  size_t want, got;
  unsigned diff = 0;

  if (token == NULL)
    return true;
  if (authorization != NULL && strncmp(authorization, "Bearer ", 7) == 0)
    {
      const char *auth = authorization + 7;
      want = strlen(token);
      got = strlen(auth);
      /* Constant time in the token's length. */
      for (size_t i = 0; i < want; i++)
        diff |= (unsigned char)token[i] ^ (unsigned char)(i < got ? auth[i] : 0);
      if (diff == 0 && got == want)
        return true;
    }
  sbx_api_error(out, SBX_E_UNAUTHORIZED, "this port needs Authorization: Bearer <token>");
  return false;
}

bool sbx_http_announced_too_large(const char *content_length, size_t body_max, size_t *prealloc)
{
  char *end;
  unsigned long long n;

  *prealloc = 0;
  if (content_length == NULL)
    return false;
  errno = 0;
  n = strtoull(content_length, &end, 10);
  if (*end != '\0' || end == content_length)
    return false; /* not a length: the body's real size decides */
  if (n > body_max || errno == ERANGE)
    return true;
  /* Up to a bound, since nothing has arrived yet to back the claim; a wrong
   * announcement only costs regrowth. */
  if (n <= BODY_PREALLOC_MAX)
    *prealloc = (size_t)n;
  return false;
}

void sbx_http_answer(sbx_http_handler handler, void *arg, const char *method, const char *url, const char *body,
                     size_t len, bool too_large, struct sbx_api_response *out)
{
  if (too_large)
    {
      char msg[80];
      snprintf(msg, sizeof msg, "the body is larger than this route's %zu MiB", sbx_request_body_max(method, url) >> 20);
      sbx_api_error(out, SBX_E_TOO_LARGE_PAYLOAD, msg);
    }
  else
    handler(arg, method, url, body != NULL ? body : "", len, out);
}

/* ---- connections ---- */

static void unauth_unlink(struct sbx_http_server *s, struct conn *c)
{
  if (c->l->kind != L_TCP || c->authed)
    return;
  c->authed = true;
  if (c->unauth_prev != NULL)
    c->unauth_prev->unauth_next = c->unauth_next;
  else
    s->unauth_head = c->unauth_next;
  if (c->unauth_next != NULL)
    c->unauth_next->unauth_prev = c->unauth_prev;
  else
    s->unauth_tail = c->unauth_prev;
  c->unauth_prev = c->unauth_next = NULL;
  s->n_unauth--;
}

static struct client *client_find(struct sbx_http_server *s, uint64_t key, bool add)
{
  for (size_t i = 0; i < s->n_clients; i++)
    if (s->clients[i].key == key)
      return &s->clients[i];
  if (!add)
    return NULL;
  if (s->n_clients == s->cap_clients)
    {
      size_t cap = s->cap_clients ? s->cap_clients * 2 : 16;
      struct client *grown = realloc(s->clients, cap * sizeof *grown);
      if (grown == NULL)
        return NULL;
      s->clients = grown;
      s->cap_clients = cap;
    }
  s->clients[s->n_clients] = (struct client){ .key = key };
  return &s->clients[s->n_clients++];
}

static void listener_unref_locked(struct sbx_http_server *s, struct listener *l)
{
  (void)s;
  if (--l->refs > 0)
    return;
  free(l->path);
  free(l);
}

static void on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
  struct sbx_http_server *s = cls;
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
  struct conn *c;

  pthread_mutex_lock(&s->clock);
  if (code == MHD_CONNECTION_NOTIFY_STARTED)
    {
      /* Registered by the acceptor before it handed the fd over. */
      if (ci != NULL && (size_t)ci->connect_fd < s->by_fd_len)
        *socket_context = s->by_fd[ci->connect_fd];
      pthread_mutex_unlock(&s->clock);
      return;
    }
  c = *socket_context;
  *socket_context = NULL;
  if (c != NULL)
    {
      struct client *cl = client_find(s, c->key, false);
      if (cl != NULL && c->refused && cl->refusing > 0)
        cl->refusing--;
      else if (cl != NULL && cl->count > 0)
        cl->count--;
      unauth_unlink(s, c);
      if ((size_t)c->fd < s->by_fd_len && s->by_fd[c->fd] == c)
        s->by_fd[c->fd] = NULL;
    }
  pthread_mutex_unlock(&s->clock);
  if (c != NULL)
    {
      pthread_mutex_lock(&s->llock);
      listener_unref_locked(s, c->l);
      pthread_mutex_unlock(&s->llock);
      free(c);
    }
}

static uint64_t client_key(const struct listener *l, int fd, const struct sockaddr_storage *addr)
{
  if (l->kind == L_TCP)
    return ((const struct sockaddr_in *)addr)->sin_addr.s_addr | (1ull << 40);
  {
    struct ucred cred;
    socklen_t len = sizeof cred;
    /* Per uid: the socket's mode admits one user, but each sandbox's
     * operations socket is reached from its own platform commands. */
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
      return 0;
    return (uint64_t)cred.uid + 1;
  }
}

/* Far over the client's limit: a typed answer, without waiting for the
 * request (nothing is spent on it; the client may miss it), then the end. */
static void refuse(int fd)
{
  static const char body[] = "{\"success\":false,\"code\":\"" SBX_E_TOO_MANY_CONNECTIONS "\",\"message\":"
                             "\"this client has too many connections open to the daemon\",\"httpStatus\":503}";
  char msg[512];
  int n = snprintf(msg, sizeof msg,
                   "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
                   "Content-Length: %zu\r\n\r\n%s",
                   sizeof body - 1, body);

  if (send(fd, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
    (void)0; /* the client is gone already */
  shutdown(fd, SHUT_WR);
  close(fd);
}

/* Accepted on l: admitted within the limits, or refused at once. */
static void admit(struct sbx_http_server *s, struct listener *l, int fd, struct sockaddr_storage *addr,
                  socklen_t addrlen)
{
  struct conn *c = calloc(1, sizeof *c);
  struct client *cl;
  int evict = -1;

  if (c == NULL || (size_t)fd >= s->by_fd_len)
    {
      free(c);
      close(fd);
      return;
    }
  c->l = l;
  c->fd = fd;
  c->key = client_key(l, fd, addr);
  pthread_mutex_lock(&s->clock);
  cl = client_find(s, c->key, true);
  if (cl == NULL || (cl->count >= s->per_client_max && cl->refusing >= REFUSING_MAX))
    {
      s->refused_per_client++;
      pthread_mutex_unlock(&s->clock);
      free(c);
      refuse(fd);
      return;
    }
  if (cl->count >= s->per_client_max)
    {
      /* Admitted only to be told why, in answer to its request: a reply
       * sent before the request arrives may be lost to the client's write. */
      s->refused_per_client++;
      c->refused = true;
      cl->refusing++;
    }
  else
    cl->count++;
  if (l->kind == L_TCP)
    {
      if (s->n_unauth >= UNAUTH_MAX && s->unauth_head != NULL)
        {
          struct conn *old = s->unauth_head;
          /* Its fd is still its own while it is in the table. */
          if (s->by_fd[old->fd] == old)
            evict = old->fd;
          unauth_unlink(s, old);
          old->authed = false; /* unlinked, but it never showed the token */
          s->evicted_unauth++;
        }
      c->unauth_prev = s->unauth_tail;
      if (s->unauth_tail != NULL)
        s->unauth_tail->unauth_next = c;
      else
        s->unauth_head = c;
      s->unauth_tail = c;
      s->n_unauth++;
    }
  else
    c->authed = true;
  s->by_fd[fd] = c;
  if (evict >= 0)
    shutdown(evict, SHUT_RDWR); /* libmicrohttpd sees the end and closes it */
  pthread_mutex_unlock(&s->clock);
  pthread_mutex_lock(&s->llock);
  l->refs++;
  pthread_mutex_unlock(&s->llock);
  /* On failure libmicrohttpd closes fd and reports no connection: undo. */
  if (MHD_add_connection(s->mhd, fd, (struct sockaddr *)addr, addrlen) != MHD_YES)
    {
      pthread_mutex_lock(&s->clock);
      if (s->by_fd[fd] == c)
        {
          s->by_fd[fd] = NULL;
          if ((cl = client_find(s, c->key, false)) != NULL && c->refused && cl->refusing > 0)
            cl->refusing--;
          else if (cl != NULL && !c->refused && cl->count > 0)
            cl->count--;
          unauth_unlink(s, c);
          pthread_mutex_unlock(&s->clock);
          pthread_mutex_lock(&s->llock);
          listener_unref_locked(s, l);
          pthread_mutex_unlock(&s->llock);
          free(c);
        }
      else
        pthread_mutex_unlock(&s->clock);
    }
}

static void *acceptor_main(void *arg)
{
  struct sbx_http_server *s = arg;
  struct epoll_event ev[64];

  for (;;)
    {
      int n = epoll_wait(s->epfd, ev, 64, s->backoff_ms > 0 ? (int)s->backoff_ms : -1);
      s->backoff_ms = 0;
      if (n < 0 && errno != EINTR)
        return NULL;
      for (int i = 0; i < n; i++)
        {
          uint64_t v = ev[i].data.u64;
          uint32_t slot = (uint32_t)v, gen = (uint32_t)(v >> 32);
          struct listener *l;

          if (slot == UINT32_MAX)
            {
              uint64_t x;
              if (read(s->wakefd, &x, sizeof x) < 0)
                (void)0;
              pthread_mutex_lock(&s->qlock);
              bool stop = s->stopping;
              pthread_mutex_unlock(&s->qlock);
              if (stop)
                return NULL;
              continue;
            }
          /* Accepted under llock: a listener removed meanwhile is not
           * touched, and its fd number (maybe reused) is not accepted on. */
          for (int k = 0; k < 64; k++)
            {
              struct sockaddr_storage addr;
              socklen_t addrlen = sizeof addr;
              int fd;

              pthread_mutex_lock(&s->llock);
              l = slot < s->n_slots ? s->slots[slot] : NULL;
              if (l == NULL || l->gen != gen || l->closed)
                {
                  pthread_mutex_unlock(&s->llock);
                  break;
                }
              fd = accept4(l->fd, (struct sockaddr *)&addr, &addrlen, SOCK_CLOEXEC | SOCK_NONBLOCK);
              if (fd >= 0)
                l->refs++; /* held across admit */
              pthread_mutex_unlock(&s->llock);
              if (fd < 0)
                {
                  /* Out of fds: wait a little rather than spin on a ready listener. */
                  if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                    s->backoff_ms = 50;
                  break;
                }
              admit(s, l, fd, &addr, addrlen);
              pthread_mutex_lock(&s->llock);
              listener_unref_locked(s, l);
              pthread_mutex_unlock(&s->llock);
            }
        }
    }
}

/* ---- the work queue ---- */

/* At the back, and a worker woken; with qlock held, which this releases. */
static void append_and_unlock(struct sbx_http_server *s, struct task *t)
{
  if (s->q_tail != NULL)
    s->q_tail->next = t;
  else
    s->q_head = t;
  s->q_tail = t;
  pthread_cond_signal(&s->qcond);
  pthread_mutex_unlock(&s->qlock);
}

static void enqueue(struct sbx_http_server *s, struct request *r, struct sbx_api_job *finish)
{
  struct task *t = calloc(1, sizeof *t);

  /* Out of memory: a request is dropped (its client sees the connection
   * close once the server stops); a job is left unfinished. Neither blocks. */
  if (t == NULL)
    return;
  t->r = r;
  t->finish = finish;
  pthread_mutex_lock(&s->qlock);
  if (finish != NULL)
    {
      /* Ends first: a command that is over must not wait behind a queue of
       * launches to be answered (its result is ready). */
      t->next = s->q_head;
      s->q_head = t;
      if (s->q_tail == NULL)
        s->q_tail = t;
      pthread_cond_signal(&s->qcond);
      pthread_mutex_unlock(&s->qlock);
      return;
    }
  append_and_unlock(s, t);
}

/* From the job loop, once a second: one tick queued at most. */
static void queue_tick(void *arg)
{
  struct sbx_http_server *s = arg;
  struct task *t;

  pthread_mutex_lock(&s->qlock);
  if (s->tick == NULL || s->tick_queued || s->workers_stop || (t = calloc(1, sizeof *t)) == NULL)
    {
      pthread_mutex_unlock(&s->qlock);
      return;
    }
  s->tick_queued = true;
  t->tick = true;
  append_and_unlock(s, t);
}

/* The connection's answer is ready: libmicrohttpd sends it. */
static void answer_job(struct request *r)
{
  r->job = NULL;
  r->state = R_READY;
  MHD_resume_connection(r->mc);
}

/* From the job loop: answered here when nothing is left to wait for (a
 * hand-off to a worker is a thread wake-up more on every command's path);
 * otherwise sbx_api_job_finish reaps, which is a worker's job. */
static void exec_over(void *arg)
{
  struct request *r = arg;

  if (sbx_api_job_finish_nonblocking(r->job, &r->resp))
    answer_job(r);
  else
    enqueue(r->s, r, r->job);
}

struct stream_over_arg
{
  struct sbx_http_server *s;
  struct sbx_api_job *job;
};

static void stream_over(void *arg)
{
  struct stream_over_arg *a = arg;
  enqueue(a->s, NULL, a->job);
  free(a);
}

static void run_handler(struct sbx_http_server *s, struct request *r)
{
  struct listener *l = r->c != NULL ? r->c->l : s->main_unix;
  bool gone;

  memset(&r->resp, 0, sizeof r->resp);
  pthread_mutex_lock(&s->llock);
  gone = l->closed && l != s->main_unix;
  if (!gone)
    l->busy++;
  pthread_mutex_unlock(&s->llock);
  if (gone)
    sbx_api_error(&r->resp, SBX_E_NOT_FOUND, "this socket's sandbox is gone");
  else
    {
      sbx_http_answer(l->handler, l->arg, r->method, r->url, r->buf, r->len, r->too_large, &r->resp);
      pthread_mutex_lock(&s->llock);
      if (--l->busy == 0)
        pthread_cond_broadcast(&s->lidle);
      pthread_mutex_unlock(&s->llock);
    }
}

static void start_job(struct sbx_http_server *s, struct request *r)
{
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->mc, MHD_CONNECTION_INFO_CONNECTION_FD);
  struct sbx_api_job *job = r->resp.job;
  bool stream = sbx_api_job_is_stream(job);

  r->job = job;
  r->resp.job = NULL;
  if (stream)
    {
      /* The stream's end goes by the job, not the request: its client may
       * leave first, and the request with it. */
      struct stream_over_arg *a = malloc(sizeof *a);
      sbx_api_job_set_wake(job, stream_park, stream_wake, r);
      r->state = R_READY;
      if (a != NULL)
        *a = (struct stream_over_arg){ .s = s, .job = job };
      /* A client that leaves while its stream is parked is seen on its socket
       * too (a number the loop may still poll after the close: then the job
       * is cancelled already, by on_done). */
      if (a == NULL || sbx_job_loop_add(s->loop, job, ci != NULL ? ci->connect_fd : -1, stream_over, a) < 0)
        {
          free(a);
          sbx_api_job_cancel(job);
          enqueue(s, NULL, job);
        }
      MHD_resume_connection(r->mc);
      return;
    }
  r->state = R_JOB;
  /* An execute's client hanging up is seen by the loop, on its socket. */
  if (sbx_job_loop_add(s->loop, job, ci != NULL ? ci->connect_fd : -1, exec_over, r) < 0)
    {
      sbx_api_job_cancel(job);
      exec_over(r);
    }
}

static void *worker_main(void *arg)
{
  struct sbx_http_server *s = arg;

  for (;;)
    {
      struct task *t;
      struct request *r;

      pthread_mutex_lock(&s->qlock);
      while (s->q_head == NULL && !s->workers_stop)
        pthread_cond_wait(&s->qcond, &s->qlock);
      if (s->q_head == NULL)
        {
          pthread_mutex_unlock(&s->qlock);
          return NULL;
        }
      t = s->q_head;
      s->q_head = t->next;
      if (s->q_head == NULL)
        s->q_tail = NULL;
      pthread_mutex_unlock(&s->qlock);
      r = t->r;
      if (t->tick)
        {
          s->tick(s->tick_arg);
          pthread_mutex_lock(&s->qlock);
          s->tick_queued = false;
          pthread_mutex_unlock(&s->qlock);
        }
      else if (t->finish != NULL && r == NULL)
        sbx_api_job_finish(t->finish, NULL); /* a stream's last event; wakes its reader */
      else if (t->finish != NULL)
        {
          sbx_api_job_finish(r->job, &r->resp);
          sbx_api_job_release(r->job);
          answer_job(r);
        }
      else
        {
          run_handler(s, r);
          if (r->resp.job != NULL)
            start_job(s, r);
          else
            {
              r->state = R_READY;
              MHD_resume_connection(r->mc);
            }
        }
      free(t);
    }
}

/* ---- requests ---- */

struct query
{
  char *buf;
  size_t len, cap;
  unsigned args;
  bool failed;
};

static void query_add(struct query *q, const char *s, size_t n, bool escape)
{
  static const char hex[] = "0123456789ABCDEF";

  for (size_t i = 0; i < n && !q->failed; i++)
    {
      unsigned char c = (unsigned char)s[i];
      bool plain = !escape || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                   || c == '-' || c == '_' || c == '.' || c == '~' || c == '/';
      if (q->len + 4 > q->cap)
        {
          size_t cap = (q->len + 4) * 2;
          char *grown = realloc(q->buf, cap);
          if (grown == NULL)
            {
              q->failed = true;
              return;
            }
          q->buf = grown;
          q->cap = cap;
        }
      if (plain)
        q->buf[q->len++] = (char)c;
      else
        {
          q->buf[q->len++] = '%';
          q->buf[q->len++] = hex[c >> 4];
          q->buf[q->len++] = hex[c & 15];
        }
      q->buf[q->len] = '\0';
    }
}

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                 const char *value, size_t value_size)
{
  struct query *q = cls;

  (void)kind;
  query_add(q, q->args++ == 0 ? "?" : "&", 1, false);
  query_add(q, key, key_size, true);
  query_add(q, "=", 1, false);
  query_add(q, value != NULL ? value : "", value != NULL ? value_size : 0, true);
  return MHD_YES;
}

/* libmicrohttpd hands the path without its query, and the query's values
 * decoded: they are encoded again, lengths kept (a %00 stays one, for the
 * parser to refuse), so that the parser sees one string as a test or the
 * fuzzer gives it. */
static char *url_with_query(struct MHD_Connection *mc, const char *url)
{
  struct query q = { 0 };

  query_add(&q, url, strlen(url), false);
  if (!q.failed && q.buf != NULL)
    MHD_get_connection_values_n(mc, MHD_GET_ARGUMENT_KIND, query_arg, &q);
  if (q.failed || q.buf == NULL)
    {
      free(q.buf);
      return NULL;
    }
  return q.buf;
}

static bool is_ping(const char *method, const char *url)
{
  return strcmp(method, "GET") == 0 && strcmp(url, "/api/ping") == 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *mc, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **req_cls)
{
  struct sbx_http_server *s = cls;
  struct request *r = *req_cls;

  (void)version;
  if (r == NULL)
    {
      const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
      struct conn *c = ci != NULL ? ci->socket_context : NULL;

      if (c == NULL)
        return MHD_NO;
      r = calloc(1, sizeof *r);
      if (r == NULL)
        return MHD_NO;
      r->s = s;
      r->c = c;
      r->mc = mc;
      *req_cls = r;
      if (c->refused)
        {
          sbx_api_error(&r->resp, SBX_E_TOO_MANY_CONNECTIONS,
                        "this client has too many connections open to the daemon; close some and retry");
          r->state = R_READY;
          r->close = true;
          return send_response(mc, r);
        }
      /* Before any body is read: an unauthenticated client gets nothing buffered. */
      if (c->l->kind == L_TCP)
        {
          bool ok = sbx_http_authorized(s->token, MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Authorization"),
                                        &r->resp);
          pthread_mutex_lock(&s->clock);
          if (ok)
            unauth_unlink(s, c);
          pthread_mutex_unlock(&s->clock);
          if (!ok)
            {
              r->state = R_READY;
              return send_response(mc, r);
            }
        }
      if ((r->method = strdup(method)) == NULL || (r->url = url_with_query(mc, url)) == NULL)
        return MHD_NO;
      r->body_max = sbx_request_body_max(method, r->url);
      /* A buffer of the announced size: no regrowth and copy of a large
       * body. Over the cap, the answer is 413 and nothing is kept. */
      {
        size_t n = 0;
        r->too_large = sbx_http_announced_too_large(
            MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH), r->body_max, &n);
        /* To a client that waits for "100 Continue": answered now, from the
         * first call (libmicrohttpd sends it only when the handler has queued
         * no response by then), so it sends none of the body, and the
         * connection closes. Any other client is sending the body already: it
         * is read and dropped, then answered, since a close with unread data
         * resets the connection and the client would never see the 413. */
        const char *expect = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
        if (r->too_large && expect != NULL && strcasestr(expect, "100-continue") != NULL)
          {
            sbx_http_answer(NULL, NULL, r->method, r->url, NULL, 0, true, &r->resp);
            r->state = R_READY;
            r->close = true;
            return send_response(mc, r);
          }
        if (n > 0 && (r->buf = malloc(n + 1)) != NULL)
          r->cap = n + 1;
      }
      return MHD_YES;
    }
  if (r->state == R_READY)
    return send_response(mc, r);
  if (r->state != R_NEW)
    return MHD_YES; /* resumed early: nothing to say yet */
  if (*upload_size > 0)
    {
      /* Past the cap, keep reading but keep nothing: the answer is 413. */
      if (!r->too_large && r->len + *upload_size > r->body_max)
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
  /* A health check is answered here: it must not wait behind slow handlers. */
  if (is_ping(method, url) && r->c->l == s->main_unix)
    {
      run_handler(s, r);
      r->state = R_READY;
      return send_response(mc, r);
    }
  r->state = R_QUEUED;
  MHD_suspend_connection(mc);
  enqueue(s, r, NULL);
  return MHD_YES;
}

static void on_done(void *cls, struct MHD_Connection *mc, void **req_cls, enum MHD_RequestTerminationCode code)
{
  struct request *r = *req_cls;

  (void)cls;
  (void)mc;
  (void)code;
  if (r == NULL)
    return;
  *req_cls = NULL;
  if (r->job != NULL)
    {
      /* A stream whose client left: its command ends now. */
      sbx_api_job_cancel(r->job);
      sbx_api_job_set_wake(r->job, NULL, NULL, NULL);
      sbx_api_job_release(r->job);
    }
  free(r->resp.body);
  free(r->buf);
  free(r->method);
  free(r->url);
  free(r);
}

/* ---- listening sockets ---- */

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
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return sbx_error_errno(err, errno, SBX_E_INTERNAL, "socket");
  /* Created 0600 from the start: no window in which another user may connect.
   * The mode of the socket's inode is the file's mode (less the umask), so no
   * process-wide umask change races the daemon's other threads. */
  if (fchmod(fd, 0600) != 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 4096) != 0)
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
  fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0
      || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 4096) != 0)
    {
      int e = errno;
      if (fd >= 0)
        close(fd);
      return sbx_error_errno(err, e, SBX_E_INTERNAL, "listen on %s", listen_addr);
    }
  return fd;
}

static struct listener *listener_add(struct sbx_http_server *s, enum listener_kind kind, int fd, const char *path,
                                     sbx_http_handler handler, void *arg, struct sbx_error *err)
{
  struct listener *l = calloc(1, sizeof *l);
  struct epoll_event ev = { .events = EPOLLIN };
  uint32_t slot;

  if (l == NULL || (path != NULL && (l->path = strdup(path)) == NULL))
    {
      free(l);
      close(fd);
      sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "listener");
      return NULL;
    }
  l->kind = kind;
  l->fd = fd;
  l->handler = handler;
  l->arg = arg;
  l->refs = 1;
  pthread_mutex_lock(&s->llock);
  for (slot = 0; slot < s->n_slots && s->slots[slot] != NULL; slot++)
    ;
  if (slot == s->n_slots)
    {
      struct listener **grown = realloc(s->slots, (s->n_slots + 64) * sizeof *grown);
      if (grown == NULL)
        {
          pthread_mutex_unlock(&s->llock);
          close(fd);
          free(l->path);
          free(l);
          sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "listener");
          return NULL;
        }
      memset(grown + s->n_slots, 0, 64 * sizeof *grown);
      s->slots = grown;
      s->n_slots += 64;
    }
  l->slot = slot;
  l->gen = ++s->gen;
  s->slots[slot] = l;
  ev.data.u64 = (uint64_t)l->gen << 32 | slot;
  if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
    {
      int e = errno;
      s->slots[slot] = NULL;
      pthread_mutex_unlock(&s->llock);
      close(fd);
      free(l->path);
      free(l);
      sbx_error_errno(err, e, SBX_E_INTERNAL, "watch a listening socket");
      return NULL;
    }
  pthread_mutex_unlock(&s->llock);
  return l;
}

/* No new connection, no handler of it running after this returns; its
 * connections still open get NOT_FOUND and go with their clients. */
static void listener_remove(struct sbx_http_server *s, struct listener *l)
{
  pthread_mutex_lock(&s->llock);
  l->closed = true;
  epoll_ctl(s->epfd, EPOLL_CTL_DEL, l->fd, NULL);
  close(l->fd);
  l->fd = -1;
  if (l->path != NULL)
    unlink(l->path);
  s->slots[l->slot] = NULL;
  while (l->busy > 0)
    pthread_cond_wait(&s->lidle, &s->llock);
  listener_unref_locked(s, l);
  pthread_mutex_unlock(&s->llock);
}

void *sbx_http_server_add_socket(struct sbx_http_server *s, sbx_http_handler handler, void *arg,
                                 const char *socket_path, struct sbx_error *err)
{
  int fd = unix_listener(socket_path, err);
  return fd < 0 ? NULL : listener_add(s, L_UNIX, fd, socket_path, handler, arg, err);
}

void sbx_http_server_remove_socket(struct sbx_http_server *s, void *handle)
{
  if (handle != NULL)
    listener_remove(s, handle);
}

/* ---- the server ---- */

struct sbx_http_server *sbx_http_server_start(sbx_http_handler handler, void *arg, const char *socket_path,
                                              const char *listen_addr, const char *token,
                                              const struct sbx_http_options *limits, struct sbx_error *err)
{
  struct sbx_http_server *s = calloc(1, sizeof *s);
  struct rlimit rl;
  struct epoll_event ev = { .events = EPOLLIN, .data.u64 = UINT32_MAX };
  int fd;

  if (s == NULL)
    {
      sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "server");
      return NULL;
    }
  pthread_mutex_init(&s->llock, NULL);
  pthread_cond_init(&s->lidle, NULL);
  pthread_mutex_init(&s->clock, NULL);
  pthread_mutex_init(&s->qlock, NULL);
  pthread_cond_init(&s->qcond, NULL);
  s->epfd = s->wakefd = -1;
  s->per_client_max = limits->per_client_max;
  s->connections_max = limits->connections_max;
  s->token = token != NULL ? strdup(token) : NULL;
  s->by_fd_len = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < FD_TABLE_MAX ? rl.rlim_cur : FD_TABLE_MAX;
  s->by_fd = calloc(s->by_fd_len, sizeof *s->by_fd);
  if (s->by_fd == NULL || (s->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0
      || (s->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0
      || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->wakefd, &ev) != 0)
    {
      sbx_error_errno(err, errno ? errno : ENOMEM, SBX_E_INTERNAL, "server");
      goto fail;
    }
  if (listen_addr != NULL && (s->token == NULL || s->token[0] == '\0'))
    {
      sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "--listen needs --token-file with a non-empty token");
      goto fail;
    }
  if ((fd = unix_listener(socket_path, err)) < 0)
    goto fail;
  /* Ours from now on, to remove at stop: not before, it may be another daemon's. */
  if ((s->main_unix = listener_add(s, L_UNIX, fd, socket_path, handler, arg, err)) == NULL)
    goto fail;
  if (listen_addr != NULL)
    {
      if ((fd = tcp_listener(listen_addr, err)) < 0 || listener_add(s, L_TCP, fd, NULL, handler, arg, err) == NULL)
        goto fail;
    }
  s->tick = limits->tick;
  s->tick_arg = limits->tick_arg;
  s->loop = sbx_job_loop_new(queue_tick, s, err);
  if (s->loop == NULL)
    goto fail;
  /* Idle and half-sent connections time out; a suspended one (a command in
   * flight) does not. */
  s->mhd = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_NO_LISTEN_SOCKET | MHD_ALLOW_SUSPEND_RESUME,
                            0, NULL, NULL, handle, s, MHD_OPTION_NOTIFY_COMPLETED, on_done, s,
                            MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_THREAD_POOL_SIZE,
                            (unsigned)MHD_THREADS, MHD_OPTION_CONNECTION_TIMEOUT, limits->idle_timeout_s,
                            MHD_OPTION_CONNECTION_LIMIT, s->connections_max, MHD_OPTION_END);
  if (s->mhd == NULL)
    {
      sbx_error_set(err, EIO, SBX_E_INTERNAL, "start the HTTP server on %s", socket_path);
      goto fail;
    }
  if (limits->self != NULL)
    *limits->self = s;
  for (; s->n_workers < WORKERS; s->n_workers++)
    if ((errno = pthread_create(&s->workers[s->n_workers], NULL, worker_main, s)) != 0)
      {
        sbx_error_errno(err, errno, SBX_E_INTERNAL, "start the server's workers");
        goto fail;
      }
  if ((errno = pthread_create(&s->acceptor, NULL, acceptor_main, s)) != 0)
    {
      sbx_error_errno(err, errno, SBX_E_INTERNAL, "start the server's acceptor");
      goto fail;
    }
  s->acceptor_started = true;
  return s;
fail:
  if (limits->self != NULL)
    *limits->self = NULL;
  sbx_http_server_free(s);
  return NULL;
}

void sbx_http_server_stop(struct sbx_http_server *s)
{
  uint64_t one = 1;

  if (s == NULL || s->stopped)
    return;
  s->stopped = true;
  pthread_mutex_lock(&s->qlock);
  s->stopping = true;
  pthread_mutex_unlock(&s->qlock);
  if (s->acceptor_started)
    {
      if (write(s->wakefd, &one, sizeof one) < 0)
        (void)0;
      pthread_join(s->acceptor, NULL);
    }
  /* Commands were killed by the caller: the loop hands their ends to the
   * workers, which resume the connections; then libmicrohttpd can stop. */
  sbx_job_loop_drain(s->loop, 10000);
  pthread_mutex_lock(&s->qlock);
  s->workers_stop = true;
  pthread_cond_broadcast(&s->qcond);
  pthread_mutex_unlock(&s->qlock);
  for (int i = 0; i < s->n_workers; i++)
    pthread_join(s->workers[i], NULL);
  /* The loop first: stopping libmicrohttpd frees the requests of jobs still
   * stuck past the drain, which the loop would otherwise answer. */
  sbx_job_loop_free(s->loop);
  s->loop = NULL;
  if (s->mhd != NULL)
    MHD_stop_daemon(s->mhd);
  s->mhd = NULL;
}

void sbx_http_server_free(struct sbx_http_server *s)
{
  if (s == NULL)
    return;
  sbx_http_server_stop(s);
  for (uint32_t i = 0; i < s->n_slots; i++)
    if (s->slots[i] != NULL)
      listener_remove(s, s->slots[i]);
  free(s->slots);
  if (s->epfd >= 0)
    close(s->epfd);
  if (s->wakefd >= 0)
    close(s->wakefd);
  free(s->by_fd);
  free(s->clients);
  while (s->q_head != NULL)
    {
      struct task *t = s->q_head;
      s->q_head = t->next;
      free(t);
    }
  if (s->token != NULL)
    explicit_bzero(s->token, strlen(s->token));
  free(s->token);
  free(s);
}
