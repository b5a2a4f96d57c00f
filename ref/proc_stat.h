/* What /proc says about processes: one's stat line, and the calling process's descendants. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct sbx_proc_stat
{
  char state;
  int ppid, session;
  unsigned long long start; /* starttime, in clock ticks since boot */
};
bool sbx_proc_stat_read(pid_t pid, struct sbx_proc_stat *st);

/* The pids in /proc, read into this struct: no allocation (musl's opendir maps
 * and unmaps a page each time, and the init looks once per command). */
struct sbx_proc_pids
{
  int fd;
  size_t pos, len;
  char buf[4096] __attribute__((aligned(8)));
};
/* false when /proc cannot be opened; next and close are safe to call even so. */
bool sbx_proc_pids_open(struct sbx_proc_pids *it);
/* The next pid, or 0 at the end (or when /proc cannot be read further). */
pid_t sbx_proc_pids_next(struct sbx_proc_pids *it);
void sbx_proc_pids_close(struct sbx_proc_pids *it);
/* Sends sig to every descendant of the calling process (found through /proc). Returns how many. */
int sbx_signal_descendants(int sig);
