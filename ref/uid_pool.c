/* Host uids for user code, one per sandbox, from a range reserved for
 * splitbox: the subordinate range of the `splitbox` system user in
 * /etc/subuid (scripts/bootstrap makes both), or a range the caller gives. A
 * sandbox holds its id by an flock on a file named for it, so that two
 * executors on one host never hand out the same id, and an id is reused only
 * once the sandbox (or its executor) is gone. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "uid_pool.h"

static bool overlaps(unsigned long a, unsigned long an, unsigned long b, unsigned long bn)
{
  return a < b + bn && b < a + an;
}

/* The owner's range in a subordinate-id file ("name:start:count" lines). */
int sbx_subid_range(const char *file, const char *owner, struct sbx_uid_range *r)
{
  FILE *f = fopen(file, "re");
  char line[512];
  int found = -ENOENT;

  if (f == NULL)
    return -errno;
  while (fgets(line, sizeof line, f) != NULL)
    {
      char name[256];
      unsigned long start, count;
      if (sscanf(line, "%255[^:]:%lu:%lu", name, &start, &count) == 3 && strcmp(name, owner) == 0 && count > 0)
        {
          r->start = (uid_t)start;
          r->count = (uid_t)count;
          found = 0;
          break;
        }
    }
  fclose(f);
  return found;
}

int sbx_uid_range_default(struct sbx_uid_range *r, struct sbx_error *err)
{
  int e = sbx_subid_range(SBX_SUBUID_FILE, SBX_UID_POOL_OWNER, r);

  if (e < 0)
    return sbx_error_set(err, -e, SBX_E_SANDBOX,
                         "no uid range for sandboxes: %s has no range for the user \"%s\" (scripts/bootstrap makes one)",
                         SBX_SUBUID_FILE, SBX_UID_POOL_OWNER);
  {
    struct sbx_uid_range g = { 0 };
    if (sbx_subid_range(SBX_SUBGID_FILE, SBX_UID_POOL_OWNER, &g) < 0 || g.count < r->count)
      return sbx_error_set(err, ENOENT, SBX_E_SANDBOX,
                           "no gid range for sandboxes: %s has no range of %lu ids for the user \"%s\"",
                           SBX_SUBGID_FILE, (unsigned long)r->count, SBX_UID_POOL_OWNER);
    r->gid_start = g.start;
  }
  snprintf(r->source, sizeof r->source, "%s (%s)", SBX_SUBUID_FILE, SBX_UID_POOL_OWNER);
  return 0;
}

int sbx_uid_range_check(const struct sbx_uid_range *r, struct sbx_error *err)
{
  static const char *const subid_files[] = { SBX_SUBUID_FILE, SBX_SUBGID_FILE };
  FILE *f;
  char line[512];

  if (r->count == 0 || (unsigned long)r->start + r->count > 0xfffffffeUL || r->start == 0)
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "uid range %lu+%lu is empty or out of bounds",
                         (unsigned long)r->start, (unsigned long)r->count);
  /* Accounts (the files, not NSS: a directory service's ids are the admin's to keep out of the range). */
  if ((f = fopen("/etc/passwd", "re")) != NULL)
    {
      struct passwd pw, *res;
      char buf[1024];
      while (fgetpwent_r(f, &pw, buf, sizeof buf, &res) == 0)
        if (overlaps(r->start, r->count, pw.pw_uid, 1) || overlaps(r->gid_start, r->count, pw.pw_gid, 1))
          {
            fclose(f);
            return sbx_error_set(err, EEXIST, SBX_E_VALIDATION,
                                 "uid range %lu+%lu holds the ids of the account \"%s\": choose another range",
                                 (unsigned long)r->start, (unsigned long)r->count, pw.pw_name);
          }
      fclose(f);
    }
  if ((f = fopen("/etc/group", "re")) != NULL)
    {
      struct group gr, *res;
      char buf[4096];
      while (fgetgrent_r(f, &gr, buf, sizeof buf, &res) == 0)
        if (overlaps(r->gid_start, r->count, gr.gr_gid, 1))
          {
            fclose(f);
            return sbx_error_set(err, EEXIST, SBX_E_VALIDATION,
                                 "uid range %lu+%lu holds the gid of the group \"%s\": choose another range",
                                 (unsigned long)r->start, (unsigned long)r->count, gr.gr_name);
          }
      fclose(f);
    }
  /* Other users' subordinate ids: their rootless containers run as those. */
  for (size_t i = 0; i < sizeof subid_files / sizeof subid_files[0]; i++)
    {
      if ((f = fopen(subid_files[i], "re")) == NULL)
        continue;
      while (fgets(line, sizeof line, f) != NULL)
        {
          char name[256];
          unsigned long start, count;
          if (sscanf(line, "%255[^:]:%lu:%lu", name, &start, &count) == 3
              && strcmp(name, SBX_UID_POOL_OWNER) != 0
              && overlaps(i == 0 ? r->start : r->gid_start, r->count, start, count))
            {
              fclose(f);
              return sbx_error_set(err, EEXIST, SBX_E_VALIDATION,
                                   "uid range %lu+%lu overlaps the subordinate ids of \"%s\" in %s: choose another range",
                                   (unsigned long)r->start, (unsigned long)r->count, name, subid_files[i]);
            }
        }
      fclose(f);
    }
  return 0;
}

int sbx_uid_take(const struct sbx_uid_range *r, const char *lock_dir, uid_t *out, int *lock_fd, struct sbx_error *err)
{
  /* Start where a scan would rarely collide: different executors spread out. */
  uid_t first = (uid_t)((unsigned)getpid() * 2654435761u % r->count);

  if (lock_dir == NULL)
    lock_dir = SBX_UID_LOCK_DIR;
  if (mkdir(lock_dir, 0700) != 0 && errno != EEXIST)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "create %s", lock_dir);
  for (uid_t i = 0; i < r->count; i++)
    {
      uid_t id = r->start + (first + i) % r->count;
      char path[4200];
      int fd;

      if (id == getuid())
        continue; /* a misconfigured range holding the caller's own uid */
      snprintf(path, sizeof path, "%s/%lu", lock_dir, (unsigned long)id);
      fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
      if (fd < 0)
        return sbx_error_errno(err, errno, SBX_E_SANDBOX, "open %s", path);
      if (flock(fd, LOCK_EX | LOCK_NB) == 0)
        {
          *out = id;
          *lock_fd = fd;
          return 0;
        }
      close(fd);
      if (errno != EWOULDBLOCK)
        return sbx_error_errno(err, errno, SBX_E_SANDBOX, "lock %s", path);
    }
  return sbx_error_set(err, EAGAIN, SBX_E_SANDBOX, "every uid of the range %lu+%lu is in use by a sandbox",
                       (unsigned long)r->start, (unsigned long)r->count);
}
