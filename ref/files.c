/* File operations per scope. Every path is resolved beneath its root by the
 * kernel (openat2), never by string checks alone:
 * - user: opened by splitbox-init inside the sandbox, with the user's credentials;
 * - platform: the private dir /platform and the shared dir, nothing else:
 *   the rest of the platform view is the host's own filesystem (and /tmp and
 *   HOME are private to each command), so the root executor never writes it;
 * - shared: beneath the shared directory; an escape by "..", an absolute
 *   symlink or a magic link is refused. Under /app in any scope, the shared
 *   rules apply: user code plants symlinks there. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "contexts.h"
#include "error.h"
#include "executor.h"
#include "io.h"
#include "resolve.h"
#include "sandbox.h"

static int check_path(const char *path, struct sbx_error *err)
{
  if (path == NULL || path[0] == '\0')
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "path is empty");
  if (strlen(path) >= PATH_MAX)
    return sbx_error_set(err, ENAMETOOLONG, SBX_E_VALIDATION, "path is longer than %d bytes", PATH_MAX - 1);
  return 0;
}

/* For the shared scope: "/app/x" and "x" both name x in the shared dir. */
static int shared_relative(const struct sbx_sandbox *sb, const char *path, const char **rel, struct sbx_error *err)
{
  size_t plen = strlen(sb->shared_path);

  if (path[0] != '/')
    {
      *rel = path;
      return 0;
    }
  if (strncmp(path, sb->shared_path, plen) == 0 && (path[plen] == '/' || path[plen] == '\0'))
    {
      *rel = path[plen] == '\0' ? "." : path + plen + 1;
      if (**rel == '\0')
        *rel = ".";
      return 0;
    }
  return sbx_error_set(err, EXDEV, SBX_E_PATH_OUTSIDE_ROOT, "%s is outside the shared directory %s", path,
                       sb->shared_path);
}

static int open_beneath(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve,
                        struct sbx_error *err)
{
  struct open_how how = { .flags = (uint64_t)flags | O_CLOEXEC, .mode = sbx_open_creates(flags) ? mode : 0,
                          .resolve = resolve };
  int fd = sbx_openat2(dirfd, path, &how);

  if (fd < 0)
    {
      int e = errno;
      if (e == EXDEV || e == ELOOP)
        return sbx_error_errno(err, e, SBX_E_PATH_OUTSIDE_ROOT, "%s escapes its root (\"..\" or a symlink out of it)",
                               path);
      return sbx_error_errno(err, e, sbx_error_code_for_errno(e), "%s", path);
    }
  return fd;
}

static bool has_dotdot(const char *path)
{
  for (const char *p = path; (p = strstr(p, "..")) != NULL; p += 2)
    if ((p == path || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
      return true;
  return false;
}

/* The first component of an absolute path names a platform area. */
static bool under(const char *path, const char *area)
{
  size_t len = strlen(area);
  return strncmp(path, area, len) == 0 && (path[len] == '/' || path[len] == '\0');
}

static int platform_open(struct sbx_sandbox *sb, const char *path, int flags, mode_t mode, struct sbx_error *err)
{
  const char *rel;

  /* No "..": the area is decided by the first component, and must stay decided. */
  if (path[0] != '/' || has_dotdot(path))
    return sbx_error_set(err, EINVAL, SBX_E_PATH_OUTSIDE_ROOT, "platform paths are absolute, without \"..\": %s", path);
  if (under(path, sb->shared_path))
    return open_beneath(sb->shared_fd, path[strlen(sb->shared_path)] ? path + strlen(sb->shared_path) + 1 : ".",
                        flags, mode, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, err);
  if (!under(path, SBX_PLATFORM_PRIVATE_PATH))
    return sbx_error_set(err, EINVAL, SBX_E_PATH_OUTSIDE_ROOT,
                         "platform file operations reach %s and %s only (%s is the host's, or private to each "
                         "command)",
                         SBX_PLATFORM_PRIVATE_PATH, sb->shared_path, path);
  rel = path[sizeof SBX_PLATFORM_PRIVATE_PATH - 1] ? path + sizeof SBX_PLATFORM_PRIVATE_PATH : ".";
  return open_beneath(sb->platform_fd, rel, flags, mode, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, err);
}

static int scope_open(struct sbx_sandbox *sb, enum sbx_scope scope, const char *path, int flags, mode_t mode,
                      struct sbx_error *err)
{
  const char *rel = NULL;

  if (check_path(path, err) < 0)
    return -1;
  switch (scope)
    {
    case SBX_SCOPE_SHARED:
      if (shared_relative(sb, path, &rel, err) < 0)
        return -1;
      return open_beneath(sb->shared_fd, rel, flags, mode, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, err);
    case SBX_SCOPE_USER:
      if (sb->isolation == SBX_ISO_FALLBACK)
        return sbx_fallback_open_as_user(sb, -1, path, flags, mode, err);
      return sbx_user_open(sb, -1, path, flags, mode, err);
    case SBX_SCOPE_PLATFORM:
      return platform_open(sb, path, flags, mode, err);
    default:
      return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "unknown scope");
    }
}

/* name, an entry of dir_fd (which scope_open opened), with the scope's credentials. */
static int scope_open_at(struct sbx_sandbox *sb, enum sbx_scope scope, int dir_fd, const char *name, int flags,
                         mode_t mode, struct sbx_error *err)
{
  if (scope != SBX_SCOPE_USER)
    return open_beneath(dir_fd, name, flags, mode, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, err);
  if (sb->isolation == SBX_ISO_FALLBACK)
    return sbx_fallback_open_as_user(sb, dir_fd, name, flags, mode, err);
  return sbx_user_open(sb, dir_fd, name, flags, mode, err);
}

/* Renames from to to in dir_fd (to NULL: unlinks from), with the scope's credentials. */
static int scope_rename_at(struct sbx_sandbox *sb, enum sbx_scope scope, int dir_fd, const char *from,
                           const char *to, struct sbx_error *err)
{
  if (scope == SBX_SCOPE_USER)
    return sb->isolation == SBX_ISO_FALLBACK ? sbx_fallback_rename_as_user(sb, dir_fd, from, to, err)
                                             : sbx_user_rename(sb, dir_fd, from, to, err);
  if ((to != NULL ? renameat(dir_fd, from, dir_fd, to) : unlinkat(dir_fd, from, 0)) != 0)
    return sbx_error_errno(err, errno, sbx_error_code_for_errno(errno), "%s", from);
  return 0;
}

/* Writes to one file are serialized (in this process): the key is the
 * directory's inode and the name, which every spelling of a path shares. */
struct path_lock
{
  dev_t dev;
  ino_t ino;
  char *name;
  struct path_lock *next;
};

static pthread_mutex_t locks_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t locks_cond = PTHREAD_COND_INITIALIZER;
static struct path_lock *locks;

static bool path_busy(dev_t dev, ino_t ino, const char *name)
{
  for (struct path_lock *l = locks; l != NULL; l = l->next)
    if (l->dev == dev && l->ino == ino && strcmp(l->name, name) == 0)
      return true;
  return false;
}

static struct path_lock *path_lock(dev_t dev, ino_t ino, const char *name)
{
  struct path_lock *l = calloc(1, sizeof *l);

  if (l == NULL || (l->name = strdup(name)) == NULL)
    {
      free(l);
      return NULL;
    }
  l->dev = dev;
  l->ino = ino;
  pthread_mutex_lock(&locks_mutex);
  while (path_busy(dev, ino, name))
    pthread_cond_wait(&locks_cond, &locks_mutex);
  l->next = locks;
  locks = l;
  pthread_mutex_unlock(&locks_mutex);
  return l;
}

static void path_unlock(struct path_lock *l)
{
  pthread_mutex_lock(&locks_mutex);
  for (struct path_lock **p = &locks; *p != NULL; p = &(*p)->next)
    if (*p == l)
      {
        *p = l->next;
        break;
      }
  pthread_cond_broadcast(&locks_cond);
  pthread_mutex_unlock(&locks_mutex);
  free(l->name);
  free(l);
}

/* The temporary file beside name: hidden, and never a name the API writes
 * itself, so that one a killed writer left behind is never taken as a file. */
static void temp_name(char *buf, size_t size, const char *name)
{
  uint64_t r = 0;

  if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
    r = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)buf;
  snprintf(buf, size, ".%.200s.sbx-%016llx", name, (unsigned long long)r);
}

/* "a/b/c" is "a/b" and "c"; "c" is "." and "c"; "/c" is "/" and "c". */
static char *split_parent(const char *path, const char **name)
{
  const char *slash = strrchr(path, '/');

  *name = slash != NULL ? slash + 1 : path;
  if (slash == NULL)
    return strdup(".");
  if (slash == path)
    return strdup("/");
  return strndup(path, (size_t)(slash - path));
}

/* The target, if it exists, must be a regular file the scope could write. */
static int check_target(struct sbx_sandbox *sb, enum sbx_scope scope, int dir_fd, const char *name,
                        const char *path, struct stat *old, bool *exists, struct sbx_error *err)
{
  struct sbx_error local = { 0 };
  /* O_NONBLOCK: a FIFO planted by user code must not block the executor. */
  _cleanup_close_ int fd = scope_open_at(sb, scope, dir_fd, name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK, 0, &local);

  *exists = fd >= 0;
  if (fd < 0)
    {
      if (local.errno_ == ENOENT)
        return 0;
      *err = local;
      return -1;
    }
  if (fstat(fd, old) != 0)
    return sbx_error_errno(err, errno, SBX_E_INTERNAL, "stat %s", path);
  if (!S_ISREG(old->st_mode))
    return sbx_error_set(err, EINVAL, SBX_E_NOT_REGULAR, "%s is not a regular file", path);
  /* A second link may be one that user code made to a file it cannot write. */
  if (old->st_nlink > 1)
    return sbx_error_set(err, EPERM, SBX_E_PERMISSION, "%s has several hard links", path);
  return 0;
}

/* Gives fd, an unnamed file of dir_fd (O_TMPFILE), the name tmp there, with the scope's credentials. */
static bool name_unnamed(struct sbx_sandbox *sb, enum sbx_scope scope, int fd, int dir_fd, const char *tmp)
{
  struct sbx_error ignored = { 0 };

  if (scope != SBX_SCOPE_USER)
    return sbx_link_unnamed(fd, dir_fd, tmp) == 0;
  return (sb->isolation == SBX_ISO_FALLBACK ? sbx_fallback_link_as_user(sb, dir_fd, fd, tmp, &ignored)
                                            : sbx_user_link(sb, dir_fd, fd, tmp, &ignored))
         == 0;
}

/* The new content into fd, with the owner and mode the target keeps. */
static int fill(struct sbx_sandbox *sb, enum sbx_scope scope, int fd, const char *path, bool exists,
                const struct stat *old, const void *data, size_t len, struct sbx_error *err)
{
  if (geteuid() == 0 && scope != SBX_SCOPE_USER)
    {
      /* What root creates in the shared dir on the user's behalf, the user
       * owns; a file replaced keeps its owner. Only that. */
      bool in_shared = sb->shared_fd >= 0 && (scope == SBX_SCOPE_SHARED || under(path, sb->shared_path));
      if (exists ? fchown(fd, old->st_uid, old->st_gid) != 0
                 : in_shared && sb->isolation != SBX_ISO_USERNS
                     && fchown(fd, sb->user_host_uid, sb->user_host_gid) != 0)
        return sbx_error_errno(err, errno, SBX_E_INTERNAL, "chown %s", path);
    }
  /* The umask may have narrowed the old mode; where we cannot widen it back, the umask's is kept. */
  if (exists && fchmod(fd, old->st_mode & 0777) != 0 && errno != EPERM)
    return sbx_error_errno(err, errno, SBX_E_INTERNAL, "chmod %s", path);
  if (sbx_write_all(fd, data, len) != 0)
    return sbx_error_errno(err, errno, sbx_error_code_for_errno(errno), "%s", path);
  return 0;
}

/* tmp renamed over name; removed should that fail. */
static int replace(struct sbx_sandbox *sb, enum sbx_scope scope, int dir_fd, const char *tmp, const char *name,
                   struct sbx_error *err)
{
  struct sbx_error ignored = { 0 };

  if (scope_rename_at(sb, scope, dir_fd, tmp, name, err) == 0)
    return 0;
  scope_rename_at(sb, scope, dir_fd, tmp, NULL, &ignored);
  return -1;
}

/* The new content goes to a temporary file beside the target, which is then
 * renamed over it: a reader sees the old file or the new one, never a mix,
 * and a writer killed midway leaves the old file. The new content fills an
 * unnamed file (O_TMPFILE, opened and named with the scope's credentials),
 * named only just before the rename, so that a daemon killed midway leaves
 * nothing else; a filesystem without O_TMPFILE, or with no /proc to name it
 * through, gets a hidden named one, which such a kill leaves behind. */
static int write_atomic(struct sbx_sandbox *sb, enum sbx_scope scope, int dir_fd, const char *name,
                        const char *path, const void *data, size_t len, struct sbx_error *err)
{
  _cleanup_close_ int fd = -1, unnamed = -1;
  struct sbx_error ignored = { 0 };
  char tmp[256];
  struct stat old;
  bool exists = false;
  mode_t mode;

  if (check_target(sb, scope, dir_fd, name, path, &old, &exists, err) < 0)
    return -1;
  temp_name(tmp, sizeof tmp, name);
  mode = exists ? old.st_mode & 0777 : 0644;
  unnamed = scope_open_at(sb, scope, dir_fd, ".", O_WRONLY | O_TMPFILE, mode, &ignored);
  if (unnamed >= 0)
    {
      if (fill(sb, scope, unnamed, path, exists, &old, data, len, err) < 0)
        return -1;
      if (name_unnamed(sb, scope, unnamed, dir_fd, tmp))
        return replace(sb, scope, dir_fd, tmp, name, err);
      /* Not linkable here (no /proc, or the link refused): the named way. */
    }
  fd = scope_open_at(sb, scope, dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode, err);
  if (fd < 0)
    return -1;
  if (fill(sb, scope, fd, path, exists, &old, data, len, err) < 0)
    {
      scope_rename_at(sb, scope, dir_fd, tmp, NULL, &ignored);
      return -1;
    }
  return replace(sb, scope, dir_fd, tmp, name, err);
}

int sbx_file_write(struct sbx_sandbox *sb, enum sbx_scope scope, const char *path, const void *data, size_t len,
                   struct sbx_error *err)
{
  _cleanup_free_ char *parent = NULL;
  _cleanup_close_ int dir_fd = -1;
  const char *name;
  struct path_lock *lock;
  struct stat st;
  int r;

  if (len > SBX_FILE_MAX)
    return sbx_error_set(err, EFBIG, SBX_E_TOO_LARGE, "content is larger than %u bytes", SBX_FILE_MAX);
  if (check_path(path, err) < 0)
    return sbx_error_prefix(err, "write file");
  if ((parent = split_parent(path, &name)) == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "write file");
  if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
    {
      /* Not a file's name: the same answer as opening it (a directory, or out of the root). */
      _cleanup_close_ int fd = scope_open(sb, scope, path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK, 0, err);
      if (fd >= 0)
        sbx_error_set(err, EISDIR, SBX_E_IS_DIRECTORY, "%s is a directory", path);
      return sbx_error_prefix(err, "write file");
    }
  dir_fd = scope_open(sb, scope, parent, O_PATH | O_DIRECTORY, 0, err);
  if (dir_fd < 0)
    return sbx_error_prefix(err, "write file");
  if (fstat(dir_fd, &st) != 0)
    return sbx_error_errno(err, errno, SBX_E_INTERNAL, "write file: stat %s", parent);
  if ((lock = path_lock(st.st_dev, st.st_ino, name)) == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "write file");
  r = write_atomic(sb, scope, dir_fd, name, path, data, len, err);
  path_unlock(lock);
  return r < 0 ? sbx_error_prefix(err, "write file") : 0;
}

int sbx_file_read(struct sbx_sandbox *sb, enum sbx_scope scope, const char *path, char **data, size_t *len,
                  struct sbx_error *err)
{
  _cleanup_close_ int fd = -1;
  _cleanup_free_ char *buf = NULL;
  struct stat st;
  size_t got = 0;

  fd = scope_open(sb, scope, path, O_RDONLY | O_NONBLOCK, 0, err);
  if (fd < 0)
    return sbx_error_prefix(err, "read file");
  if (fstat(fd, &st) != 0)
    return sbx_error_errno(err, errno, SBX_E_INTERNAL, "read file: stat %s", path);
  if (S_ISDIR(st.st_mode))
    return sbx_error_set(err, EISDIR, SBX_E_IS_DIRECTORY, "read file: %s is a directory", path);
  if (!S_ISREG(st.st_mode))
    return sbx_error_set(err, EINVAL, SBX_E_NOT_REGULAR, "read file: %s is not a regular file", path);
  if ((uint64_t)st.st_size > SBX_FILE_MAX)
    return sbx_error_set(err, EFBIG, SBX_E_TOO_LARGE, "read file: %s is larger than %u bytes", path,
                         SBX_FILE_MAX);
  buf = malloc((size_t)st.st_size + 1);
  if (buf == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "read file");
  while (got < (size_t)st.st_size)
    {
      ssize_t n = sbx_read_retry(fd, buf + got, (size_t)st.st_size - got);
      if (n < 0)
        return sbx_error_errno(err, errno, SBX_E_INTERNAL, "read file: %s", path);
      if (n == 0)
        break;
      got += (size_t)n;
    }
  buf[got] = '\0';
  *data = steal_pointer(&buf);
  *len = got;
  return 0;
}

int sbx_file_exists(struct sbx_sandbox *sb, enum sbx_scope scope, const char *path, bool *exists,
                    struct sbx_error *err)
{
  struct sbx_error local = { 0 };
  int fd = scope_open(sb, scope, path, O_PATH | O_NOFOLLOW, 0, &local);

  if (fd >= 0)
    {
      close(fd);
      *exists = true;
      return 0;
    }
  if (local.errno_ == ENOENT || local.errno_ == ENOTDIR)
    {
      *exists = false;
      return 0;
    }
  *err = local;
  return sbx_error_prefix(err, "exists");
}

static char type_of(mode_t m)
{
  return S_ISREG(m) ? 'f' : S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : 'o';
}

int sbx_file_list(struct sbx_sandbox *sb, enum sbx_scope scope, const char *path, struct sbx_dirent **out,
                  size_t *n, struct sbx_error *err)
{
  int fd = scope_open(sb, scope, path, O_RDONLY | O_DIRECTORY, 0, err);
  struct sbx_dirent *list = NULL;
  size_t count = 0, cap = 0;
  struct dirent *de;
  DIR *d;

  if (fd < 0)
    return sbx_error_prefix(err, "list files");
  d = fdopendir(fd);
  if (d == NULL)
    {
      close(fd);
      return sbx_error_errno(err, errno, SBX_E_INTERNAL, "list files: %s", path);
    }
  while ((de = readdir(d)) != NULL)
    {
      struct stat st;
      if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
        continue;
      if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        continue; /* removed meanwhile */
      if (count == cap)
        {
          struct sbx_dirent *grown = realloc(list, (cap = cap ? cap * 2 : 32) * sizeof *list);
          if (grown == NULL)
            goto oom;
          list = grown;
        }
      list[count].name = strdup(de->d_name);
      if (list[count].name == NULL)
        goto oom;
      list[count].type = type_of(st.st_mode);
      list[count].size = (uint64_t)st.st_size;
      count++;
    }
  closedir(d);
  *out = list;
  *n = count;
  return 0;
oom:
  closedir(d);
  sbx_dirent_list_free(list, count);
  return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "list files");
}

void sbx_dirent_list_free(struct sbx_dirent *list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(list[i].name);
  free(list);
}
