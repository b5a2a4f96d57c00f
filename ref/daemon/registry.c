#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "registry.h"

#define MAX_SANDBOXES 256

/* Requests hold a reference: a DELETE while an exec runs destroys the
 * sandbox when that exec lets go, never under it. */
struct entry
{
  char id[65];
  struct sbx_sandbox *sb;
  int refs;
  bool deleted;
};

struct sbx_registry
{
  struct sbx_registry_options opts;
  char *state_dir, *init_path;
  pthread_mutex_t lock;
  struct entry *entries[MAX_SANDBOXES];
  size_t n;
};

bool sbx_sandbox_id_valid(const char *id)
{
  size_t len = strlen(id);

  if (len == 0 || len > 64)
    return false;
  for (size_t i = 0; i < len; i++)
    if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9')
          || id[i] == '-' || id[i] == '_'))
      return false;
  return true;
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
  r->opts = *opts;
  r->state_dir = strdup(opts->state_dir);
  r->init_path = strdup(opts->init_path);
  r->opts.state_dir = r->state_dir;
  r->opts.init_path = r->init_path;
  pthread_mutex_init(&r->lock, NULL);
  snprintf(path, sizeof path, "%s/sandboxes", opts->state_dir);
  if (r->state_dir == NULL || r->init_path == NULL || (mkdir(opts->state_dir, 0711) != 0 && errno != EEXIST)
      || (mkdir(path, 0711) != 0 && errno != EEXIST))
    {
      sbx_error_errno(err, errno ? errno : ENOMEM, SBX_E_INTERNAL, "create state directory %s", path);
      sbx_registry_free(r);
      return NULL;
    }
  return r;
}

void sbx_registry_free(struct sbx_registry *r)
{
  if (r == NULL)
    return;
  for (size_t i = 0; i < r->n; i++)
    {
      sbx_sandbox_destroy(r->entries[i]->sb);
      free(r->entries[i]);
    }
  pthread_mutex_destroy(&r->lock);
  free(r->state_dir);
  free(r->init_path);
  free(r);
}

static size_t find(struct sbx_registry *r, const char *id)
{
  for (size_t i = 0; i < r->n; i++)
    if (strcmp(r->entries[i]->id, id) == 0)
      return i;
  return (size_t)-1;
}

struct sbx_sandbox *sbx_registry_ensure(struct sbx_registry *r, const char *id, const struct sbx_options *opts,
                                        bool *created, struct sbx_error *err)
{
  struct sbx_options o = { 0 };
  size_t i;
  char dir[4096];
  struct sbx_sandbox *sb;
  struct entry *e;

  *created = false;
  if (!sbx_sandbox_id_valid(id))
    {
      sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "sandbox id must be 1-64 of letters, digits, '-' and '_'");
      return NULL;
    }
  pthread_mutex_lock(&r->lock);
  if ((i = find(r, id)) != (size_t)-1)
    {
      r->entries[i]->refs++;
      pthread_mutex_unlock(&r->lock);
      return r->entries[i]->sb;
    }
  if (r->n == MAX_SANDBOXES)
    {
      pthread_mutex_unlock(&r->lock);
      sbx_error_set(err, ENOSPC, SBX_E_VALIDATION, "at most %d sandboxes", MAX_SANDBOXES);
      return NULL;
    }
  if (opts != NULL)
    o = *opts;
  snprintf(dir, sizeof dir, "%s/sandboxes/%s", r->state_dir, id);
  /* A fresh directory: never adopt what a crashed daemon left under that id. */
  if (mkdir(dir, 0711) != 0)
    {
      int e2 = errno;
      pthread_mutex_unlock(&r->lock);
      sbx_error_errno(err, e2, SBX_E_INTERNAL, "create %s (a leftover of a crash is removed at start)", dir);
      return NULL;
    }
  o.state_dir = dir;
  o.remove_state_dir = true;
  o.init_path = r->init_path;
  if (o.user_network == SBX_NET_DEFAULT)
    o.user_network = r->opts.user_network;
  o.require_isolation = o.require_isolation || r->opts.require_isolation;
  sb = sbx_sandbox_create(&o, err);
  e = sb != NULL ? calloc(1, sizeof *e) : NULL;
  if (e != NULL)
    {
      snprintf(e->id, sizeof e->id, "%s", id);
      e->sb = sb;
      e->refs = 1;
      r->entries[r->n++] = e;
      *created = true;
    }
  else if (sb != NULL)
    {
      sbx_sandbox_destroy(sb);
      sb = NULL;
      sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "registry");
    }
  pthread_mutex_unlock(&r->lock);
  return sb;
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

/* Entries deleted while in use wait here for their last reference. */
static struct entry *orphans[MAX_SANDBOXES * 4];
static size_t n_orphans;

void sbx_registry_put(struct sbx_registry *r, struct sbx_sandbox *sb)
{
  struct entry *done = NULL;

  if (sb == NULL)
    return;
  pthread_mutex_lock(&r->lock);
  for (size_t i = 0; i < r->n; i++)
    if (r->entries[i]->sb == sb)
      r->entries[i]->refs--;
  for (size_t i = 0; i < n_orphans; i++)
    if (orphans[i]->sb == sb && --orphans[i]->refs == 0)
      {
        done = orphans[i];
        orphans[i] = orphans[--n_orphans];
        break;
      }
  pthread_mutex_unlock(&r->lock);
  if (done != NULL)
    {
      sbx_sandbox_destroy(done->sb);
      free(done);
    }
}

int sbx_registry_delete(struct sbx_registry *r, const char *id, struct sbx_error *err)
{
  struct entry *e = NULL;
  size_t i;

  pthread_mutex_lock(&r->lock);
  if ((i = find(r, id)) == (size_t)-1)
    {
      pthread_mutex_unlock(&r->lock);
      return sbx_error_set(err, ENOENT, SBX_E_SANDBOX_NOT_FOUND, "no sandbox \"%s\"", id);
    }
  e = r->entries[i];
  r->entries[i] = r->entries[--r->n];
  if (e->refs > 0 && n_orphans < sizeof orphans / sizeof orphans[0])
    {
      orphans[n_orphans++] = e; /* the last request destroys it */
      e = NULL;
    }
  pthread_mutex_unlock(&r->lock);
  if (e != NULL)
    {
      sbx_sandbox_destroy(e->sb);
      free(e);
    }
  return 0;
}

const struct sbx_registry_options *sbx_registry_options(const struct sbx_registry *r)
{
  return &r->opts;
}
