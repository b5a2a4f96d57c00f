/* A bounded, physical, breadth-first walk that scans every readable regular
 * file for tokens. Breadth first: on a crowded host (a build tree in /tmp)
 * the shallow places where secrets are left are read before any budget runs
 * out. Shared by fs-scan, proc-root and mount-escape. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"
#include "walk.h"

#define MAX_FILE (1u << 20)
/* A mount walk reads only small files: credentials and configs are small,
 * programs and libraries are not, and would spend the byte budget. */
#define MOUNT_MAX_FILE (64u << 10)
#define MAX_DIRS 20000

/* The budget of the walks that follow probe_walk_budget: 0 is none. */
static double budget_until;
static size_t budget_bytes, bytes_read, skipped_large;

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void probe_walk_budget(double seconds, size_t bytes)
{
  budget_until = seconds > 0 ? now_s() + seconds : 0;
  budget_bytes = bytes;
  bytes_read = 0;
  skipped_large = 0;
}

size_t probe_walk_skipped_large(void)
{
  return skipped_large;
}

bool probe_walk_spent(void)
{
  return (budget_until > 0 && now_s() >= budget_until) || (budget_bytes > 0 && bytes_read >= budget_bytes);
}

struct pending
{
  char *path;
  int depth;
};

static void scan_file(struct probe *p, const char *technique, int dir_fd, const char *name, const char *path)
{
  static char buf[MAX_FILE];
  int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  ssize_t n;

  if (fd < 0)
    {
      probe_attempt(p, technique, path, false, errno, NULL);
      return;
    }
  n = read(fd, buf, sizeof buf);
  if (n > 0)
    {
      probe_scan(p, buf, (size_t)n);
      bytes_read += (size_t)n;
    }
  probe_attempt(p, technique, path, n >= 0, errno, "%zd bytes", n);
  close(fd);
}

static void walk(struct probe *p, const char *technique, const char *root, int depth, int max_files, bool one_fs)
{
  struct pending *queue = calloc(MAX_DIRS, sizeof *queue);
  size_t head = 0, tail = 0;
  int files = 0;
  dev_t dev = 0;
  bool spent = probe_walk_spent();

  if (queue == NULL)
    return;
  queue[tail++] = (struct pending){ strdup(root), depth };
  while (head < tail && !spent)
    {
      struct pending dir = queue[head++];
      int fd = open(dir.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (head > 1 ? O_NOFOLLOW : 0));
      DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
      struct dirent *de;

      if (d == NULL)
        {
          if (head == 1)
            probe_attempt(p, technique, root, false, errno, "not a readable directory");
          if (fd >= 0)
            close(fd);
          free(dir.path);
          continue;
        }
      /* An empty root is a result too: the report shows that it was looked at,
       * under the walk's technique whether or not it could be opened. */
      if (head == 1)
        {
          struct stat rst;
          probe_attempt(p, technique, root, true, 0, "listed");
          dev = fstat(fd, &rst) == 0 ? rst.st_dev : 0;
        }
      while (!spent && (de = readdir(d)) != NULL)
        {
          char child[4096];
          struct stat st;
          if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
          int n = snprintf(child, sizeof child, "%s/%s", dir.path, de->d_name);
          if (n < 0 || (size_t)n >= sizeof child)
            {
              probe_attempt(p, technique, de->d_name, false, ENAMETOOLONG, "under %.200s", dir.path);
              continue;
            }
          if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
          if (one_fs && st.st_dev != dev)
            continue; /* another mount: walked on its own, or a pseudo filesystem that is skipped */
          if (S_ISDIR(st.st_mode) && dir.depth > 0 && tail < MAX_DIRS)
            queue[tail++] = (struct pending){ strdup(child), dir.depth - 1 };
          else if (S_ISREG(st.st_mode) && one_fs && st.st_size > MOUNT_MAX_FILE)
            skipped_large++; /* counted, not listed: a mount holds thousands */
          else if (S_ISREG(st.st_mode) && st.st_size > MAX_FILE)
            probe_attempt(p, technique, child, false, EFBIG, "skipped: larger than 1 MiB");
          else if (S_ISREG(st.st_mode) && files < max_files)
            {
              files++;
              scan_file(p, technique, dirfd(d), de->d_name, child);
              spent = probe_walk_spent();
            }
        }
      closedir(d);
      free(dir.path);
    }
  if (spent)
    probe_attempt(p, technique, root, false, ETIMEDOUT, "cut short: the walk's time or byte budget ran out after %d files",
                  files);
  if (files >= max_files)
    probe_observe(p, "walk_budget_exhausted", "%s after %d files", root, files);
  while (head < tail)
    free(queue[head++].path);
  free(queue);
}

void probe_walk(struct probe *p, const char *technique, const char *root, int depth, int max_files)
{
  walk(p, technique, root, depth, max_files, false);
}

void probe_walk_fs(struct probe *p, const char *technique, const char *root, int depth, int max_files)
{
  walk(p, technique, root, depth, max_files, true);
}
