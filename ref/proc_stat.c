/* /proc: a process's stat line (the fields the supervisors need), and the
 * calling process's descendants. */
#include <fcntl.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
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

struct dirent64_rec
{
  uint64_t ino;
  int64_t off;
  unsigned short reclen;
  unsigned char type;
  char name[];
};

bool sbx_proc_pids_open(struct sbx_proc_pids *it)
{
  it->pos = it->len = 0;
  it->fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return it->fd >= 0;
}

pid_t sbx_proc_pids_next(struct sbx_proc_pids *it)
{
  for (;;)
    {
      long n;
      while (it->pos < it->len)
        {
          const struct dirent64_rec *de = (const struct dirent64_rec *)(it->buf + it->pos);
          char *end;
          long pid;
          it->pos += de->reclen;
          pid = strtol(de->name, &end, 10);
          if (*end == '\0' && pid > 0)
            return (pid_t)pid;
        }
      /* getdents64 through syscall(): glibc before 2.30 has no wrapper. */
      n = it->fd < 0 ? -1 : syscall(SYS_getdents64, it->fd, it->buf, sizeof it->buf);
      if (n <= 0)
        return 0;
      it->pos = 0;
      it->len = (size_t)n;
    }
}

void sbx_proc_pids_close(struct sbx_proc_pids *it)
{
  if (it->fd >= 0)
    close(it->fd);
  it->fd = -1;
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
  struct sbx_proc_pids it;
  pid_t pid;

  if (!sbx_proc_pids_open(&it))
    return -1;
  while ((pid = sbx_proc_pids_next(&it)) > 0 && n < MAX_SCAN)
    {
      if (pid == self)
        continue;
      table[n].pid = pid;
      table[n].ppid = read_ppid(pid);
      n++;
    }
  sbx_proc_pids_close(&it);
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
