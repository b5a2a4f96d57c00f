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
/* Sends sig to every descendant of the calling process (found through /proc). Returns how many. */
int sbx_signal_descendants(int sig);
