/* A host uid per sandbox, from a range reserved for splitbox (uid_pool.c). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

#define SBX_UID_POOL_OWNER "splitbox"
#define SBX_SUBUID_FILE "/etc/subuid"
#define SBX_SUBGID_FILE "/etc/subgid"
#define SBX_UID_LOCK_DIR "/run/splitbox-uids"

struct sbx_uid_range
{
  uid_t start, count;
  gid_t gid_start; /* the gid of start + i is gid_start + i */
  char source[96];
};

/* The subordinate range of the `splitbox` user. -1 with err when there is none. */
int sbx_uid_range_default(struct sbx_uid_range *r, struct sbx_error *err);
/* Refuses a range holding an account's uid or gid, or another user's subordinate ids. */
int sbx_uid_range_check(const struct sbx_uid_range *r, struct sbx_error *err);
/* The owner's range in a subordinate-id file: 0, or -errno (-ENOENT: none). */
int sbx_subid_range(const char *file, const char *owner, struct sbx_uid_range *r);
/* A free id of the range, held (by *lock_fd, an flock on a file of lock_dir,
 * NULL for SBX_UID_LOCK_DIR) until that fd is closed. */
int sbx_uid_take(const struct sbx_uid_range *r, const char *lock_dir, uid_t *out, int *lock_fd,
                 struct sbx_error *err);
