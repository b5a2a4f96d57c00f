/* Cleanup attributes for locals, in the style of bubblewrap and systemd. */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void sbx_freep(void *p)
{
  free(*(void **)p);
}

static inline void sbx_closep(int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close(*fd);
      errno = saved;
    }
}

static inline void sbx_strvfreep(char ***v)
{
  if (*v == NULL)
    return;
  for (char **p = *v; *p != NULL; p++)
    free(*p);
  free(*v);
}

/* A copy of a NULL-terminated list of strings; NULL on ENOMEM (or for NULL). */
static inline char **sbx_strv_dup(const char *const *v)
{
  size_t n = 0;
  char **copy;

  while (v != NULL && v[n] != NULL)
    n++;
  if (v == NULL || (copy = calloc(n + 1, sizeof(char *))) == NULL)
    return NULL;
  for (size_t i = 0; i < n; i++)
    if ((copy[i] = strdup(v[i])) == NULL)
      {
        sbx_strvfreep(&copy);
        return NULL;
      }
  return copy;
}

/* A cJSON root (CONVENTIONS: delete only the root). Declared, not included:
 * the core library and splitbox-init build without cJSON's headers, and an
 * unused static inline leaves no reference for the linker. */
struct cJSON;
void cJSON_Delete(struct cJSON *item);

static inline void sbx_json_deletep(struct cJSON **p)
{
  cJSON_Delete(*p);
}

#define _cleanup_free_ _cleanup_(sbx_freep)
#define _cleanup_close_ _cleanup_(sbx_closep)
#define _cleanup_strv_ _cleanup_(sbx_strvfreep)
#define _cleanup_json_ _cleanup_(sbx_json_deletep)

static inline void *sbx_steal_pointer(void *pp)
{
  void **p = pp;
  void *ret = *p;
  *p = NULL;
  return ret;
}
#define steal_pointer(pp) ((__typeof__(*(pp)))sbx_steal_pointer(pp))

static inline int sbx_steal_fd(int *fd)
{
  int ret = *fd;
  *fd = -1;
  return ret;
}
