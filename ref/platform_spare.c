/* The spare platform init: one set of fresh platform namespaces, made ahead
 * of the next platform command by a small pool of maker threads shared by
 * every sandbox (not a thread per sandbox: a daemon holds thousands), so
 * that making them (the largest cost of a platform exec,
 * docs/PERFORMANCE.md) is paid while the sandbox is idle. A spare holds nothing secret until its command
 * arrives, and serves that one command only; the next gets a new spare. */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "contexts.h"
#include "error.h"
#include "executor.h"
#include "sandbox.h"

/* How long a platform command waits for a spare being made before it makes
 * its own namespaces: about what making them costs. */
#define SPARE_WAIT_MS 20

static void end_spare(pid_t pid, int job_fd)
{
  close(job_fd);
  sbx_kill_reap(pid);
}

#define MAKERS 2

/* The sandboxes that want a spare, in order; and the makers' threads. */
static pthread_mutex_t makers_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t makers_cond = PTHREAD_COND_INITIALIZER, makers_idle = PTHREAD_COND_INITIALIZER;
static struct sbx_sandbox *queue_head, *queue_tail;
static pthread_once_t makers_once = PTHREAD_ONCE_INIT;
static int makers_started;

/* Under sb->spare_lock (the only nesting: a sandbox's lock, then the makers'). */
static void want_spare(struct sbx_sandbox *sb)
{
  pthread_mutex_lock(&makers_lock);
  if (!sb->spare_queued && !sb->spare_stop)
    {
      sb->spare_queued = true;
      sb->spare_next = NULL;
      if (queue_tail != NULL)
        queue_tail->spare_next = sb;
      else
        queue_head = sb;
      queue_tail = sb;
      pthread_cond_signal(&makers_cond);
    }
  pthread_mutex_unlock(&makers_lock);
}

static void make_one(struct sbx_sandbox *sb)
{
  pid_t pid;
  int job_fd, r;

  pthread_mutex_lock(&sb->spare_lock);
  if (sb->spare_stop || sb->spare_pid > 0 || sb->spare_broken || !sb->spare_wanted)
    {
      pthread_mutex_unlock(&sb->spare_lock);
      return;
    }
  sb->spare_making = true;
  pthread_mutex_unlock(&sb->spare_lock);
  r = sb->spare_make(sb, &pid, &job_fd);
  pthread_mutex_lock(&sb->spare_lock);
  sb->spare_making = false;
  /* Commands make their own namespaces meanwhile (and say why they
   * could not); the next one to find no spare asks for another try. */
  if (r < 0)
    sb->spare_broken = true;
  else if (sb->spare_stop)
    end_spare(pid, job_fd);
  else
    {
      sb->spare_pid = pid;
      sb->spare_fd = job_fd;
    }
  pthread_cond_broadcast(&sb->spare_cond);
  pthread_mutex_unlock(&sb->spare_lock);
}

static void *spare_maker(void *arg)
{
  (void)arg;
  for (;;)
    {
      struct sbx_sandbox *sb;

      pthread_mutex_lock(&makers_lock);
      while (queue_head == NULL)
        pthread_cond_wait(&makers_cond, &makers_lock);
      sb = queue_head;
      queue_head = sb->spare_next;
      if (queue_head == NULL)
        queue_tail = NULL;
      sb->spare_queued = false;
      sb->spare_in_maker = true; /* stop waits for this before the sandbox goes */
      pthread_mutex_unlock(&makers_lock);
      make_one(sb);
      pthread_mutex_lock(&makers_lock);
      sb->spare_in_maker = false;
      pthread_cond_broadcast(&makers_idle);
      pthread_mutex_unlock(&makers_lock);
    }
  return NULL;
}

/* Detached, for the process's life: they hold nothing but the queue. */
static void start_makers(void)
{
  pthread_attr_t attr;

  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  for (int i = 0; i < MAKERS; i++)
    {
      pthread_t t;
      if (pthread_create(&t, &attr, spare_maker, NULL) == 0)
        makers_started++;
    }
  pthread_attr_destroy(&attr);
}

void sbx_platform_spare_init(struct sbx_sandbox *sb)
{
  pthread_condattr_t attr;

  pthread_mutex_init(&sb->spare_lock, NULL);
  pthread_mutex_init(&sb->spare_stop_lock, NULL);
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&sb->spare_cond, &attr);
  pthread_condattr_destroy(&attr);
  sb->spare_pid = -1;
  sb->spare_fd = -1;
  sb->spare_wanted = true;
}

int sbx_platform_spare_start(struct sbx_sandbox *sb, sbx_spare_make_fn *make, struct sbx_error *err)
{
  sigset_t all, old;

  if (!sb->warm_platform || sb->isolation == SBX_ISO_FALLBACK)
    return 0;
  sb->spare_make = make;
  /* The makers' children inherit no handler of ours to run. */
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_once(&makers_once, start_makers);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (makers_started == 0)
    return sbx_error_errno(err, EAGAIN, SBX_E_INTERNAL, "start the platform spare makers");
  pthread_mutex_lock(&sb->spare_lock);
  sb->spare_thread_running = true;
  want_spare(sb);
  pthread_mutex_unlock(&sb->spare_lock);
  return 0;
}

bool sbx_platform_spare_take(struct sbx_sandbox *sb, pid_t *pid, int *job_fd)
{
  struct timespec until;
  bool got = false;

  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_nsec += SPARE_WAIT_MS * 1000000L;
  if (until.tv_nsec >= 1000000000L)
    {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
  pthread_mutex_lock(&sb->spare_lock);
  while (sb->spare_thread_running && sb->spare_pid <= 0 && sb->spare_making && !sb->spare_stop)
    if (pthread_cond_timedwait(&sb->spare_cond, &sb->spare_lock, &until) == ETIMEDOUT)
      break;
  if (sb->spare_thread_running && sb->spare_pid > 0 && !sb->spare_stop)
    {
      *pid = sb->spare_pid;
      *job_fd = sb->spare_fd;
      sb->spare_pid = -1;
      sb->spare_fd = -1;
      got = true;
      /* The maker makes the next now, beside this command: cheap where it is
       * a vfork-style clone. Where it is a fork of the daemon, that would slow
       * this command down more than it saves: after it, then. */
      sb->spare_wanted = sb->platform_userns_fd < 0;
      if (sb->spare_wanted)
        want_spare(sb);
    }
  else if (sb->spare_broken)
    {
      sb->spare_broken = false;
      sb->spare_wanted = true;
      want_spare(sb);
    }
  pthread_mutex_unlock(&sb->spare_lock);
  return got;
}

void sbx_platform_spare_refill(struct sbx_sandbox *sb)
{
  pthread_mutex_lock(&sb->spare_lock);
  if (!sb->spare_wanted && sb->spare_thread_running)
    {
      sb->spare_wanted = true;
      want_spare(sb);
    }
  pthread_mutex_unlock(&sb->spare_lock);
}

void sbx_platform_spare_stop(struct sbx_sandbox *sb)
{
  pid_t pid;
  int job_fd;

  /* Two stops at once: the second returns only once the first is done. */
  pthread_mutex_lock(&sb->spare_stop_lock);
  pthread_mutex_lock(&sb->spare_lock);
  sb->spare_stop = true;
  sb->spare_thread_running = false;
  pthread_cond_broadcast(&sb->spare_cond);
  pthread_mutex_unlock(&sb->spare_lock);
  /* Out of the queue, and out of a maker's hands, before the sandbox goes. */
  pthread_mutex_lock(&makers_lock);
  if (sb->spare_queued)
    {
      struct sbx_sandbox **pp = &queue_head, *prev = NULL;
      while (*pp != NULL && *pp != sb)
        {
          prev = *pp;
          pp = &(*pp)->spare_next;
        }
      if (*pp == sb)
        {
          *pp = sb->spare_next;
          if (queue_tail == sb)
            queue_tail = prev;
        }
      sb->spare_queued = false;
    }
  while (sb->spare_in_maker)
    pthread_cond_wait(&makers_idle, &makers_lock);
  pthread_mutex_unlock(&makers_lock);
  pthread_mutex_lock(&sb->spare_lock);
  pid = sb->spare_pid;
  job_fd = sb->spare_fd;
  sb->spare_pid = -1;
  sb->spare_fd = -1;
  pthread_mutex_unlock(&sb->spare_lock);
  if (pid > 0)
    end_spare(pid, job_fd);
  pthread_mutex_unlock(&sb->spare_stop_lock);
}
