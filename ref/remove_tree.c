/* Removing a state directory that user code shares, and may still change. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "remove_tree.h"

/* Removes everything below dir_fd, then closes it. By fd, never by path, and
 * never following a link: user code may still be renaming and planting
 * symlinks in the shared dir while we remove it. */
static void remove_below(int dir_fd, int depth)
{
  DIR *d = fdopendir(dir_fd);
  struct dirent *de;

  if (d == NULL)
    {
      close(dir_fd);
      return;
    }
  while ((de = readdir(d)) != NULL)
    {
      int child;
      if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
        continue;
      if (unlinkat(dirfd(d), de->d_name, 0) == 0 || errno != EISDIR || depth <= 0)
        continue;
      child = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (child >= 0)
        remove_below(child, depth - 1);
      unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
    }
  closedir(d);
}

void sbx_remove_tree(const char *path)
{
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

  if (fd < 0)
    return;
  remove_below(fd, 64);
  rmdir(path);
}
