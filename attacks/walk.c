/* A bounded, physical walk of a directory tree that scans every readable
 * regular file for tokens. Shared by fs-scan, proc-root and mount-escape. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe.h"
#include "walk.h"

#define MAX_FILE (1u << 20)

static void walk(struct probe *p, const char *technique, int dir_fd, const char *path, int depth, int *budget)
{
  DIR *d = fdopendir(dir_fd);
  struct dirent *de;

  if (d == NULL)
    {
      close(dir_fd);
      return;
    }
  while ((de = readdir(d)) != NULL && *budget > 0)
    {
      char child[4096];
      struct stat st;
      int fd;

      if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
        continue;
      snprintf(child, sizeof child, "%s/%s", path, de->d_name);
      if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        continue;
      if (S_ISDIR(st.st_mode) && depth > 0)
        {
          fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (fd >= 0)
            walk(p, technique, fd, child, depth - 1, budget);
          continue;
        }
      if (!S_ISREG(st.st_mode) || st.st_size > MAX_FILE)
        continue;
      --*budget;
      fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0)
        {
          probe_attempt(p, technique, child, false, errno, NULL);
          continue;
        }
      {
        static char buf[MAX_FILE];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0)
          probe_scan(p, buf, (size_t)n);
        probe_attempt(p, technique, child, n >= 0, errno, "%zd bytes", n);
      }
      close(fd);
    }
  closedir(d);
}

void probe_walk(struct probe *p, const char *technique, const char *root, int depth, int max_files)
{
  int budget = max_files;
  int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    {
      probe_attempt(p, technique, root, false, errno, "not a readable directory");
      return;
    }
  walk(p, technique, fd, root, depth, &budget);
}
