/* ptrace: seize each marker process, stop it, PEEKDATA over its writable
 * mappings, then let it go. The victim is stopped for milliseconds at most. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "probe.h"

#define PEEK_LIMIT (256 * 1024) /* per mapping: the stack's top and the heap's start hold the env and copies */

static void peek(struct probe *p, pid_t pid)
{
  struct mapping maps[64];
  int n = probe_mappings(pid, maps, 64);
  static char buf[PEEK_LIMIT];

  for (int m = 0; m < n; m++)
    {
      unsigned long len = maps[m].end - maps[m].start;
      /* The stack's environment sits at its top: read the last bytes of it. */
      unsigned long from = len > PEEK_LIMIT && maps[m].name[0] == '[' && maps[m].name[1] == 's' ? maps[m].end - PEEK_LIMIT
                                                                                                : maps[m].start;
      size_t got = 0;
      for (unsigned long a = from; a + sizeof(long) <= maps[m].end && got + sizeof(long) <= sizeof buf;
           a += sizeof(long))
        {
          long word;
          errno = 0;
          word = ptrace(PTRACE_PEEKDATA, pid, (void *)a, NULL);
          if (errno != 0)
            break;
          __builtin_memcpy(buf + got, &word, sizeof word);
          got += sizeof word;
        }
      probe_scan(p, buf, got);
      probe_attempt(p, "PTRACE_PEEKDATA", maps[m].name, got > 0, errno, "%zu bytes", got);
    }
}

void probe_ptrace(struct probe *p)
{
  char target[32];

  probe_find_target_attempt(p);
  for (int i = 0; i < p->n_targets; i++)
    {
      pid_t pid = p->targets[i];
      int status;

      snprintf(target, sizeof target, "pid %d", (int)pid);
      if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) != 0)
        {
          probe_attempt(p, "PTRACE_SEIZE", target, false, errno, NULL);
          if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) != 0)
            {
              probe_attempt(p, "PTRACE_ATTACH", target, false, errno, NULL);
              continue;
            }
          probe_attempt(p, "PTRACE_ATTACH", target, true, 0, NULL);
        }
      else
        {
          probe_attempt(p, "PTRACE_SEIZE", target, true, 0, NULL);
          if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) != 0)
            {
              probe_attempt(p, "PTRACE_INTERRUPT", target, false, errno, NULL);
              ptrace(PTRACE_DETACH, pid, NULL, NULL);
              continue; /* no stop is coming: waiting would hang */
            }
        }
      if (waitpid(pid, &status, __WALL) == pid)
        peek(p, pid);
      ptrace(PTRACE_DETACH, pid, NULL, NULL);
    }
}
