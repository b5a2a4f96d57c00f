/* The daemon's sandboxes. Requests hold references: a sandbox is destroyed
 * when it has been deleted and its last request lets go, never under one.
 * A delete kills the sandbox's processes at once, so nothing it ran goes on. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "executor.h"
#include "remove_tree.h"
#include "operations.h"
#include "registry.h"
#include "request.h" /* sbx_sandbox_id_valid */

#define MAX_SANDBOXES 4096 /* each costs about two processes and a few fds (docs/RELIABILITY.md) */

struct entry
{
  char id[65];
  struct sbx_sandbox *sb;
  int refs;
  bool deleted;
  struct sbx_operations *ops;
  void *ops_server; /* on RUN/ops.sock, which platform views see at /run/splitbox */
  char run_dir[4096];
};

struct sbx_registry
{
  struct sbx_registry_options opts;
  char *state_dir, *init_path, *control_socket;
  const char *hidden[3]; /* from platform views: the state dir and the control socket */
  pthread_mutex_t lock;
  pthread_cond_t idle;
  /* Live entries first; deleted ones still referenced after them. */
  struct entry **entries;
  size_t n, n_deleted, cap;
  unsigned long long incarnation;
  int jobs; /* background jobs (streams) that still use the registry */
  /* References given back from threads that must not wait for lock (held
   * through a sandbox's creation): the next sweep puts them. */
  pthread_mutex_t pending_lock;
  struct pending_put *pending;
};

struct pending_put
{
  struct sbx_sandbox *sb;
  struct pending_put *next;
};

/* path made absolute without resolving it: the socket may not exist yet. */
static char *absolute(const char *path)
{
  char cwd[4096], *abs = NULL;

  if (path[0] == '/')
    return strdup(path);
  if (getcwd(cwd, sizeof cwd) == NULL || asprintf(&abs, "%s/%s", cwd, path) < 0)
    return NULL;
  return abs;
}

struct sbx_registry *sbx_registry_new(const struct sbx_registry_options *opts, struct sbx_error *err)
{
  struct sbx_registry *r = calloc(1, sizeof *r);
  char path[4096];

  if (r == NULL)
    {
      sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "registry");
      return NULL;
    }
  if (opts->ops_server.start == NULL || opts->ops_server.stop == NULL)
    {
      free(r);
      sbx_error_set(err, EINVAL, SBX_E_INTERNAL, "registry: no server for the operations sockets");
      return NULL;
    }
  r->opts = *opts;
  r->state_dir = strdup(opts->state_dir);
  r->init_path = strdup(opts->init_path);
  r->opts.state_dir = r->state_dir;
  r->opts.init_path = r->init_path;
  pthread_mutex_init(&r->lock, NULL);
  pthread_cond_init(&r->idle, NULL);
  pthread_mutex_init(&r->pending_lock, NULL);
  snprintf(path, sizeof path, "%s/sandboxes", opts->state_dir);
  if (r->state_dir == NULL || r->init_path == NULL || (mkdir(opts->state_dir, 0711) != 0 && errno != EEXIST)
      || (mkdir(path, 0711) != 0 && errno != EEXIST)
      || (snprintf(path, sizeof path, "%s/run", opts->state_dir), mkdir(path, 0700) != 0 && errno != EEXIST))
    {
      sbx_error_errno(err, errno ? errno : ENOMEM, SBX_E_INTERNAL, "create state directory %s", path);
      sbx_registry_free(r);
      return NULL;
    }
  /* Absolute: platform views hide it by path. */
  if (realpath(opts->state_dir, path) == NULL)
    {
      sbx_error_errno(err, errno, SBX_E_INTERNAL, "resolve %s", opts->state_dir);
      sbx_registry_free(r);
      return NULL;
    }
  free(r->state_dir);
  r->opts.state_dir = r->state_dir = strdup(path);
  r->hidden[0] = r->state_dir;
  r->hidden[1] = opts->control_socket != NULL ? (r->control_socket = absolute(opts->control_socket)) : NULL;
  /* STATE/run/N/ops.sock must fit a unix socket address (108 bytes). */
  if (r->state_dir == NULL || strlen(r->state_dir) + sizeof "/run/18446744073709551615/ops.sock" > 108)
    {
      sbx_error_set(err, ENAMETOOLONG, SBX_E_VALIDATION,
                    "the state directory %s is too long: its sockets' paths must fit in 108 bytes", opts->state_dir);
      sbx_registry_free(r);
      return NULL;
    }
  /* A mountpoint for the operations socket in platform views, where the host's
   * /run is bound whole. Only root can make it; without it the views build a
   * /run of their own (platform_root.c). */
  if (geteuid() == 0)
    (void)mkdir(SBX_PLATFORM_RUN_PATH, 0755);
  return r;
}

/* The sandbox's operations socket, in a directory of its own: it is bound
 * into every platform view, and into no user view. */
static int entry_open_operations(struct sbx_registry *r, struct entry *e, unsigned long long incarnation,
                                 struct sbx_error *err)
{
  char sock[4200];

  e->ops = sbx_operations_new();
  if (e->ops == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "operations");
  snprintf(e->run_dir, sizeof e->run_dir, "%s/run/%llu", r->state_dir, incarnation);
  if (mkdir(e->run_dir, 0700) != 0)
    {
      int e2 = errno;
      e->run_dir[0] = '\0';
      return sbx_error_errno(err, e2, SBX_E_INTERNAL, "create %s/run/%llu", r->state_dir, incarnation);
    }
  snprintf(sock, sizeof sock, "%s/ops.sock", e->run_dir);
  e->ops_server = r->opts.ops_server.start(r->opts.ops_server.ctx, e->id, e->ops, sock, err);
  return e->ops_server != NULL ? 0 : -1;
}

static void entry_free(struct sbx_registry *r, struct entry *e)
{
  if (e == NULL)
    return;
  /* The server first: its calls use the operations. Closing them first
   * ends calls in flight, so the stop does not wait for a callback. */
  sbx_operations_close(e->ops);
  if (e->ops_server != NULL)
    r->opts.ops_server.stop(e->ops_server);
  if (e->sb != NULL)
    sbx_sandbox_destroy(e->sb);
  sbx_operations_free(e->ops);
  if (e->run_dir[0] != '\0')
    sbx_remove_tree(e->run_dir);
  free(e);
}

struct sbx_operations *sbx_registry_operations(struct sbx_registry *r, struct sbx_sandbox *sb)
{
  struct sbx_operations *ops = NULL;

  pthread_mutex_lock(&r->lock);
  for (size_t i = 0; i < r->n + r->n_deleted; i++)
    if (r->entries[i]->sb == sb)
      ops = r->entries[i]->ops;
  pthread_mutex_unlock(&r->lock);
  return ops;
}

void sbx_registry_shutdown(struct sbx_registry *r)
{
  pthread_mutex_lock(&r->lock);
  for (size_t i = 0; i < r->n + r->n_deleted; i++)
    {
      sbx_operations_close(r->entries[i]->ops);
      sbx_sandbox_kill_all(r->entries[i]->sb);
    }
  pthread_mutex_unlock(&r->lock);
}

void sbx_registry_free(struct sbx_registry *r)
{
  struct timespec until;
  bool stuck;

  if (r == NULL)
    return;
  sbx_registry_shutdown(r);
  /* Background jobs end once their commands are dead; wait for them, a while. */
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 10;
  pthread_mutex_lock(&r->lock);
  while (r->jobs > 0 && pthread_cond_timedwait(&r->idle, &r->lock, &until) == 0)
    ;
  stuck = r->jobs > 0;
  pthread_mutex_unlock(&r->lock);
  /* A job is stuck: leaking the registry and its sandboxes beats freeing them under it. */
  if (stuck)
    return;
  /* Every entry goes below, referenced or not: what is pending only frees. */
  while (r->pending != NULL)
    {
      struct pending_put *next = r->pending->next;
      free(r->pending);
      r->pending = next;
    }
  for (size_t i = 0; i < r->n + r->n_deleted; i++)
    entry_free(r, r->entries[i]);
  free(r->entries);
  pthread_mutex_destroy(&r->pending_lock);
  pthread_cond_destroy(&r->idle);
  pthread_mutex_destroy(&r->lock);
  free(r->state_dir);
  free(r->init_path);
  free(r->control_socket);
  free(r);
}

static size_t find(struct sbx_registry *r, const char *id)
{
  for (size_t i = 0; i < r->n; i++)
    if (strcmp(r->entries[i]->id, id) == 0)
      return i;
  return (size_t)-1;
}

static int grow(struct sbx_registry *r)
{
  struct entry **grown;
  size_t cap;

  if (r->n + r->n_deleted < r->cap)
    return 0;
  cap = r->cap ? r->cap * 2 : 16;
  grown = realloc(r->entries, cap * sizeof *grown);
  if (grown == NULL)
    return -1;
  r->entries = grown;
  r->cap = cap;
  return 0;
}

struct sbx_sandbox *sbx_registry_ensure(struct sbx_registry *r, const char *id, const struct sbx_options *opts,
                                        bool *created, struct sbx_error *err)
{
  struct sbx_options o = { 0 };
  char dir[4096];
  struct sbx_sandbox *sb = NULL;
  struct entry *e;
  size_t i;
  unsigned long long incarnation;

  *created = false;
  if (!sbx_sandbox_id_valid(id))
    {
      sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "sandbox id must be 1-64 of letters, digits, '-' and '_'");
      return NULL;
    }
  pthread_mutex_lock(&r->lock);
  if ((i = find(r, id)) != (size_t)-1)
    {
      sb = r->entries[i]->sb; /* read before unlocking: a delete may move the slot */
      r->entries[i]->refs++;
      pthread_mutex_unlock(&r->lock);
      return sb;
    }
  if (r->n == MAX_SANDBOXES || grow(r) < 0)
    {
      pthread_mutex_unlock(&r->lock);
      sbx_error_set(err, ENOSPC, "TOO_MANY_SANDBOXES", "at most %d sandboxes", MAX_SANDBOXES);
      return NULL;
    }
  if (opts != NULL)
    o = *opts;
  /* A directory per incarnation: a deleted sandbox still in use keeps its own. */
  incarnation = ++r->incarnation;
  snprintf(dir, sizeof dir, "%s/sandboxes/%s.%llu", r->state_dir, id, incarnation);
  e = calloc(1, sizeof *e);
  if (e == NULL || mkdir(dir, 0711) != 0)
    {
      int e2 = e == NULL ? ENOMEM : errno;
      pthread_mutex_unlock(&r->lock);
      free(e);
      sbx_error_errno(err, e2, SBX_E_INTERNAL, "create %s", dir);
      return NULL;
    }
  snprintf(e->id, sizeof e->id, "%s", id);
  e->refs = 1;
  o.state_dir = dir;
  o.remove_state_dir = true;
  o.init_path = r->init_path;
  if (o.user_network == SBX_NET_DEFAULT)
    o.user_network = r->opts.user_network;
  o.require_isolation = o.require_isolation || r->opts.require_isolation;
  if (o.limits.pids == 0)
    o.limits.pids = r->opts.limits.pids;
  if (o.limits.memory == 0)
    o.limits.memory = r->opts.limits.memory;
  if (o.limits.cpu_weight == 0)
    o.limits.cpu_weight = r->opts.limits.cpu_weight;
  if (o.limits.shared_max == 0)
    o.limits.shared_max = r->opts.limits.shared_max;
  /* A daemon's sandboxes live long: their next platform command's namespaces are made ahead. */
  o.warm_platform = true;
  /* Under the lock: two creations of one id must not race. A slow create
   * holds up other sandbox lookups; a per-id placeholder would not. */
  if (entry_open_operations(r, e, incarnation, err) == 0)
    {
      o.platform_run_dir = e->run_dir;
      o.platform_hidden = r->hidden;
      o.platform_cli = r->opts.platform_cli;
      sb = e->sb = sbx_sandbox_create(&o, err);
    }
  if (sb != NULL)
    {
      /* Keep live entries in front of deleted ones. */
      r->entries[r->n + r->n_deleted] = r->n_deleted > 0 ? r->entries[r->n] : e;
      r->entries[r->n++] = e;
      *created = true;
    }
  else
    {
      entry_free(r, e);
      rmdir(dir);
    }
  pthread_mutex_unlock(&r->lock);
  return sb;
}

char **sbx_registry_ids(struct sbx_registry *r)
{
  char **ids;

  pthread_mutex_lock(&r->lock);
  ids = calloc(r->n + 1, sizeof *ids);
  for (size_t i = 0; ids != NULL && i < r->n; i++)
    if ((ids[i] = strdup(r->entries[i]->id)) == NULL)
      {
        for (size_t k = 0; k < i; k++)
          free(ids[k]);
        free(ids);
        ids = NULL;
      }
  pthread_mutex_unlock(&r->lock);
  return ids;
}

struct sbx_sandbox *sbx_registry_get(struct sbx_registry *r, const char *id)
{
  struct sbx_sandbox *sb = NULL;
  size_t i;

  pthread_mutex_lock(&r->lock);
  if ((i = find(r, id)) != (size_t)-1)
    {
      r->entries[i]->refs++;
      sb = r->entries[i]->sb;
    }
  pthread_mutex_unlock(&r->lock);
  return sb;
}

void sbx_registry_ref(struct sbx_registry *r, struct sbx_sandbox *sb)
{
  pthread_mutex_lock(&r->lock);
  for (size_t i = 0; i < r->n + r->n_deleted; i++)
    if (r->entries[i]->sb == sb)
      r->entries[i]->refs++;
  pthread_mutex_unlock(&r->lock);
}

/* Under the lock: entry i, deleted and unreferenced, out of the table. */
static struct entry *take_deleted(struct sbx_registry *r, size_t i)
{
  struct entry *e = r->entries[i];

  r->entries[i] = r->entries[r->n + r->n_deleted - 1];
  r->n_deleted--;
  return e;
}

/* For the next sweep: false without memory. */
static bool defer_put(struct sbx_registry *r, struct sbx_sandbox *sb)
{
  struct pending_put *p = malloc(sizeof *p);

  if (p == NULL)
    return false;
  pthread_mutex_lock(&r->pending_lock);
  *p = (struct pending_put){ .sb = sb, .next = r->pending };
  r->pending = p;
  pthread_mutex_unlock(&r->pending_lock);
  return true;
}

static void put(struct sbx_registry *r, struct sbx_sandbox *sb, bool may_block)
{
  struct entry *done = NULL;

  if (sb == NULL)
    return;
  if (may_block)
    pthread_mutex_lock(&r->lock);
  else if (pthread_mutex_trylock(&r->lock) != 0)
    {
      if (defer_put(r, sb))
        return;
      pthread_mutex_lock(&r->lock); /* no memory to defer it: wait, rather than lose the reference */
    }
  for (size_t i = 0; i < r->n + r->n_deleted; i++)
    if (r->entries[i]->sb == sb)
      {
        /* Left in the table at refs 0, when it may not block: the sweep ends it. */
        if (--r->entries[i]->refs == 0 && r->entries[i]->deleted && may_block)
          done = take_deleted(r, i);
        break;
      }
  pthread_mutex_unlock(&r->lock);
  entry_free(r, done);
}

void sbx_registry_put(struct sbx_registry *r, struct sbx_sandbox *sb)
{
  put(r, sb, true);
}

void sbx_registry_put_nonblocking(struct sbx_registry *r, struct sbx_sandbox *sb)
{
  put(r, sb, false);
}

int sbx_registry_delete(struct sbx_registry *r, const char *id, struct sbx_error *err)
{
  struct entry *e;
  size_t i, last;

  pthread_mutex_lock(&r->lock);
  if ((i = find(r, id)) == (size_t)-1)
    {
      pthread_mutex_unlock(&r->lock);
      return sbx_error_set(err, ENOENT, SBX_E_SANDBOX_NOT_FOUND, "no sandbox \"%s\"", id);
    }
  e = r->entries[i];
  /* Out of the live part: swap with the last live entry, then count it deleted. */
  last = r->n - 1;
  r->entries[i] = r->entries[last];
  r->entries[last] = e;
  r->n--;
  e->deleted = true;
  /* Its processes and operation calls end now, in use or not; the object goes with the last reference. */
  sbx_operations_close(e->ops);
  sbx_sandbox_kill_all(e->sb);
  if (e->refs > 0)
    {
      r->n_deleted++;
      e = NULL;
    }
  else
    r->entries[r->n] = r->entries[r->n + r->n_deleted];
  pthread_mutex_unlock(&r->lock);
  entry_free(r, e);
  return 0;
}

void sbx_registry_sweep(struct sbx_registry *r)
{
  struct sbx_sandbox **held = NULL;
  struct pending_put *pending;
  size_t n = 0;

  pthread_mutex_lock(&r->pending_lock);
  pending = r->pending;
  r->pending = NULL;
  pthread_mutex_unlock(&r->pending_lock);
  while (pending != NULL)
    {
      struct pending_put *next = pending->next;
      put(r, pending->sb, true);
      free(pending);
      pending = next;
    }
  for (;;)
    {
      struct entry *done = NULL;
      pthread_mutex_lock(&r->lock);
      for (size_t i = r->n; i < r->n + r->n_deleted && done == NULL; i++)
        if (r->entries[i]->refs == 0)
          done = take_deleted(r, i);
      pthread_mutex_unlock(&r->lock);
      if (done == NULL)
        break;
      entry_free(r, done);
    }
  pthread_mutex_lock(&r->lock);
  if (r->n > 0 && (held = calloc(r->n, sizeof *held)) != NULL)
    for (size_t i = 0; i < r->n; i++)
      {
        r->entries[i]->refs++;
        held[n++] = r->entries[i]->sb;
      }
  pthread_mutex_unlock(&r->lock);
  /* Outside the registry's lock: a sweep takes each sandbox's. */
  for (size_t i = 0; i < n; i++)
    {
      sbx_process_sweep(held[i]);
      sbx_registry_put(r, held[i]);
    }
  free(held);
}

const struct sbx_registry_options *sbx_registry_options(const struct sbx_registry *r)
{
  return &r->opts;
}
