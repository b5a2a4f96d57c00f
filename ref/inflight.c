/* Launches in flight: the host pids sbx_sandbox_kill_all must reach while
 * their launch has not yet ended. Below launch.c, which registers them, and
 * beside sandbox.c, which owns the object: launch.c calls nothing above it. */
#include <signal.h>
#include <stdlib.h>

#include "contexts.h"
#include "sandbox.h"

int sbx_sandbox_track(struct sbx_sandbox *sb, pid_t host_pid)
{
  int r = 0;

  pthread_mutex_lock(&sb->active_lock);
  if (sb->killed)
    r = -1;
  else if (sb->n_active == sb->cap_active)
    {
      size_t cap = sb->cap_active ? sb->cap_active * 2 : 16;
      pid_t *grown = realloc(sb->active, cap * sizeof *grown);
      if (grown == NULL)
        r = -1;
      else
        {
          sb->active = grown;
          sb->cap_active = cap;
        }
    }
  if (r == 0)
    sb->active[sb->n_active++] = host_pid;
  pthread_mutex_unlock(&sb->active_lock);
  return r;
}

void sbx_sandbox_untrack(struct sbx_sandbox *sb, pid_t host_pid)
{
  pthread_mutex_lock(&sb->active_lock);
  for (size_t i = 0; i < sb->n_active; i++)
    if (sb->active[i] == host_pid)
      {
        sb->active[i] = sb->active[--sb->n_active];
        break;
      }
  pthread_mutex_unlock(&sb->active_lock);
}

void sbx_sandbox_kill_all(struct sbx_sandbox *sb)
{
  union sigval v = { .sival_int = SIGKILL };

  sbx_platform_spare_stop(sb);
  pthread_mutex_lock(&sb->active_lock);
  sb->killed = true;
  /* Unreaped children of ours: their pids cannot have been reused. */
  for (size_t i = 0; i < sb->n_active; i++)
    if (sb->isolation == SBX_ISO_FALLBACK)
      sigqueue(sb->active[i], SIGUSR1, v); /* the supervisor kills its tree */
    else
      kill(sb->active[i], SIGKILL); /* a PID namespace's init: the namespace dies */
  if (sb->user_init_pid > 0)
    kill(sb->user_init_pid, SIGKILL);
  pthread_mutex_unlock(&sb->active_lock);
}
