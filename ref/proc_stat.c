/* /proc/PID/stat, the fields the supervisors need. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

bool sbx_proc_stat_read(pid_t pid, struct sbx_proc_stat *st)
{
  char path[64], buf[1024], *paren;
  ssize_t n;
  int fd;

  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
    return false;
  n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  /* comm may hold ')' and spaces: the fields start after the last ')'.
   * 3 state, 4 ppid, 5 pgrp, 6 session, ... 22 starttime. */
  return (paren = strrchr(buf, ')')) != NULL
         && sscanf(paren + 1, " %c %d %*d %d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                   &st->state, &st->ppid, &st->session, &st->start)
                == 4;
}
