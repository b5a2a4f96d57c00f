/* Userns mode: user code as one of the caller's subordinate ids (subids.c). */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "uid_pool.h"

struct sbx_subids
{
  char newuidmap[PATH_MAX], newgidmap[PATH_MAX];
  struct sbx_uid_range range; /* the caller's, uids and gids: count is the smaller of the two */
};

/* One line of a uid_map or gid_map. */
struct sbx_id_map
{
  unsigned inside, outside, count;
};

/* Fills s when the caller has subordinate uids and gids and the setuid (or
 * file-capability) newuidmap and newgidmap exist; else -1 and why. */
int sbx_subids_find(struct sbx_subids *s, struct sbx_error *why);
/* A subordinate uid and its gid of their own, held by *lock_fd (an flock in
 * a directory of the caller's) until that fd is closed. */
int sbx_subids_take(const struct sbx_subids *s, uid_t *uid, gid_t *gid, int *lock_fd, struct sbx_error *err);
/* Writes pid's uid_map and gid_map through newuidmap and newgidmap. Not in a
 * child of a threaded process: it spawns them. */
int sbx_subids_write_maps(const struct sbx_subids *s, pid_t pid, const struct sbx_id_map *uids, size_t n_uids,
                          const struct sbx_id_map *gids, size_t n_gids, struct sbx_error *err);
/* Removes path as sbx_remove_tree does, and what the caller's subordinate ids
 * own below it too, from a user namespace that maps them all (a crashed
 * executor's sandboxes). Without subordinate ids, sbx_remove_tree alone. */
void sbx_subids_remove_tree(const char *path);
