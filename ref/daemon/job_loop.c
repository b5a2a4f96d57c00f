/* One thread for every command in flight: poll() over their pipes (and
 * their clients' sockets, for a hang-up), advancing each job as its fds
 * become ready or its deadline passes. A command holds fds, not a thread. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "job_loop.h"

#define TICK_MS 1000

struct item
{
  struct sbx_api_job *job;
  int conn_fd;
  void (*over)(void *arg);
  void *arg;
};

struct sbx_job_loop
{
  pthread_mutex_t lock;
  pthread_cond_t empty;
  struct item **items;
  size_t n, cap;
  int wakefd;
  bool stop;
  pthread_t thread;
  bool started;
  void (*tick)(void *arg);
  void *tick_arg;
};

static void loop_wake(struct sbx_job_loop *l)
{
  uint64_t one = 1;
  if (write(l->wakefd, &one, sizeof one) < 0)
    (void)0; /* the counter is full: the loop is awake anyway */
}

static void remove_item(struct sbx_job_loop *l, struct item *it)
{
  pthread_mutex_lock(&l->lock);
  for (size_t i = 0; i < l->n; i++)
    if (l->items[i] == it)
      {
        l->items[i] = l->items[--l->n];
        break;
      }
  if (l->n == 0)
    pthread_cond_broadcast(&l->empty);
  pthread_mutex_unlock(&l->lock);
}

static void *loop_main(void *arg)
{
  struct sbx_job_loop *l = arg;
  struct item **snap = NULL;
  struct pollfd *pfd = NULL;
  size_t snap_cap = 0;
  double next_tick = sbx_now_ms() + TICK_MS;

  for (;;)
    {
      size_t n;
      double wake = next_tick, now;
      int timeout;

      pthread_mutex_lock(&l->lock);
      if (l->stop)
        {
          pthread_mutex_unlock(&l->lock);
          break;
        }
      n = l->n;
      if (n > snap_cap)
        {
          struct item **s2 = realloc(snap, n * sizeof *s2);
          struct pollfd *p2 = realloc(pfd, (1 + 4 * n) * sizeof *p2);
          if (s2 != NULL)
            snap = s2;
          if (p2 != NULL)
            pfd = p2;
          if (s2 == NULL || p2 == NULL)
            {
              pthread_mutex_unlock(&l->lock);
              usleep(10000);
              continue;
            }
          snap_cap = n;
        }
      if (n > 0)
        memcpy(snap, l->items, n * sizeof *snap);
      pthread_mutex_unlock(&l->lock);
      if (pfd == NULL && (pfd = malloc(sizeof *pfd)) == NULL)
        {
          usleep(10000);
          continue;
        }
      pfd[0] = (struct pollfd){ .fd = l->wakefd, .events = POLLIN };
      for (size_t i = 0; i < n; i++)
        {
          double w;
          sbx_api_job_pollfds(snap[i]->job, &pfd[1 + 4 * i], &w);
          pfd[4 + 4 * i] = (struct pollfd){ .fd = snap[i]->conn_fd, .events = POLLRDHUP };
          if (w >= 0 && w < wake)
            wake = w;
        }
      now = sbx_now_ms();
      timeout = wake <= now ? 0 : (int)(wake - now) + 1;
      if (poll(pfd, 1 + 4 * n, timeout) < 0 && errno != EINTR)
        continue;
      if (pfd[0].revents & POLLIN)
        {
          uint64_t x;
          if (read(l->wakefd, &x, sizeof x) < 0)
            (void)0;
        }
      for (size_t i = 0; i < n; i++)
        {
          struct item *it = snap[i];
          /* The client hung up while its command runs: the command's tree goes. */
          if (it->conn_fd >= 0 && (pfd[4 + 4 * i].revents & (POLLRDHUP | POLLHUP | POLLERR)))
            {
              sbx_api_job_cancel(it->job);
              it->conn_fd = -1;
            }
          if (sbx_api_job_advance(it->job, &pfd[1 + 4 * i]))
            {
              remove_item(l, it);
              it->over(it->arg);
              free(it);
            }
        }
      if (sbx_now_ms() >= next_tick)
        {
          if (l->tick != NULL)
            l->tick(l->tick_arg);
          next_tick = sbx_now_ms() + TICK_MS;
        }
    }
  free(snap);
  free(pfd);
  return NULL;
}

struct sbx_job_loop *sbx_job_loop_new(void (*tick)(void *arg), void *arg, struct sbx_error *err)
{
  struct sbx_job_loop *l = calloc(1, sizeof *l);

  if (l == NULL)
    {
      sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "job loop");
      return NULL;
    }
  pthread_mutex_init(&l->lock, NULL);
  pthread_cond_init(&l->empty, NULL);
  l->tick = tick;
  l->tick_arg = arg;
  l->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (l->wakefd < 0 || (errno = pthread_create(&l->thread, NULL, loop_main, l)) != 0)
    {
      sbx_error_errno(err, errno, SBX_E_INTERNAL, "start the job loop");
      sbx_job_loop_free(l);
      return NULL;
    }
  l->started = true;
  return l;
}

int sbx_job_loop_add(struct sbx_job_loop *l, struct sbx_api_job *job, int conn_fd, void (*over)(void *arg),
                     void *arg)
{
  struct item *it = calloc(1, sizeof *it);

  if (it == NULL)
    return -1;
  *it = (struct item){ .job = job, .conn_fd = conn_fd, .over = over, .arg = arg };
  pthread_mutex_lock(&l->lock);
  if (l->n == l->cap)
    {
      size_t cap = l->cap ? l->cap * 2 : 64;
      struct item **grown = realloc(l->items, cap * sizeof *grown);
      if (grown == NULL)
        {
          pthread_mutex_unlock(&l->lock);
          free(it);
          return -1;
        }
      l->items = grown;
      l->cap = cap;
    }
  l->items[l->n++] = it;
  pthread_mutex_unlock(&l->lock);
  loop_wake(l);
  return 0;
}

void sbx_job_loop_drain(struct sbx_job_loop *l, int timeout_ms)
{
  struct timespec until;

  if (l == NULL)
    return;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += timeout_ms / 1000;
  until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L)
    {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
  pthread_mutex_lock(&l->lock);
  while (l->n > 0 && pthread_cond_timedwait(&l->empty, &l->lock, &until) == 0)
    ;
  pthread_mutex_unlock(&l->lock);
}

void sbx_job_loop_free(struct sbx_job_loop *l)
{
  if (l == NULL)
    return;
  if (l->started)
    {
      pthread_mutex_lock(&l->lock);
      l->stop = true;
      pthread_mutex_unlock(&l->lock);
      loop_wake(l);
      pthread_join(l->thread, NULL);
    }
  /* Jobs still here were stuck past the drain: left as they are. */
  for (size_t i = 0; i < l->n; i++)
    free(l->items[i]);
  free(l->items);
  if (l->wakefd >= 0)
    close(l->wakefd);
  pthread_cond_destroy(&l->empty);
  pthread_mutex_destroy(&l->lock);
  free(l);
}
