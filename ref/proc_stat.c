/* /proc: a process's stat line (the fields the supervisors need), and the
 * calling process's descendants. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc_stat.h"

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

#define MAX_SCAN 65536

struct pp
{
  pid_t pid, ppid;
};

static pid_t read_ppid(pid_t pid)
{
  struct sbx_proc_stat st;

  return sbx_proc_stat_read(pid, &st) ? (pid_t)st.ppid : -1;
}

int sbx_signal_descendants(int sig)
{
  static struct pp table[MAX_SCAN];
  size_t n = 0;
  pid_t self = getpid();
  int count = 0;
  DIR *d = opendir("/proc");
  struct dirent *de;

  if (d == NULL)
    return -1;
  while ((de = readdir(d)) != NULL && n < MAX_SCAN)
    {
      char *end;
      long pid = strtol(de->d_name, &end, 10);
      if (*end != '\0' || pid <= 0 || pid == self)
        continue;
      table[n].pid = (pid_t)pid;
      table[n].ppid = read_ppid((pid_t)pid);
      n++;
    }
  closedir(d);
  for (size_t i = 0; i < n; i++)
    {
      /* Walk up the parent chain; a subreaper's orphans have it as parent. */
      pid_t p = table[i].ppid;
      for (size_t depth = 0; depth < n && p > 0 && p != self; depth++)
        {
          pid_t next = -1;
          for (size_t j = 0; j < n; j++)
            if (table[j].pid == p)
              {
                next = table[j].ppid;
                break;
              }
          p = next;
        }
      if (p == self && kill(table[i].pid, sig) == 0)
        count++;
    }
  return count;
}
