/* sbx-leakcheck: runs as user code inside a context and looks for a platform
 * process (argv carries MARKER) and its secret (CANARY), both read from a file. Harmless, in the
 * style of bubblewrap's try-syscall: it reads, sends signal 0, and seizes
 * with ptrace only processes that carry the marker, detaching at once.
 * Prints one "key value..." line per finding. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>

static size_t read_file(const char *path, char *buf, size_t cap)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  size_t got = 0;

  if (fd < 0)
    return (size_t)-1;
  while (got < cap - 1)
    {
      ssize_t n = read(fd, buf + got, cap - 1 - got);
      if (n <= 0)
        break;
      got += (size_t)n;
    }
  close(fd);
  buf[got] = '\0';
  return got;
}

static bool contains(const char *buf, size_t len, const char *needle)
{
  return len != (size_t)-1 && needle[0] != '\0' && memmem(buf, len, needle, strlen(needle)) != NULL;
}

static int pid_max(void)
{
  char buf[32];
  size_t n = read_file("/proc/sys/kernel/pid_max", buf, sizeof buf);
  int v = n != (size_t)-1 ? atoi(buf) : 0;
  return v > 0 ? v : 4194304;
}

/* /proc: every visible pid, and what of the marker and canary it shows. */
static void scan_proc(const char *marker, const char *canary)
{
  static char buf[1 << 20];
  DIR *d = opendir("/proc");
  struct dirent *de;
  int visible = 0;

  if (d == NULL)
    {
      printf("error opendir-proc %d\n", errno);
      return;
    }
  while ((de = readdir(d)) != NULL)
    {
      char path[64];
      size_t n;
      int pid = atoi(de->d_name);
      if (pid <= 0)
        continue;
      visible++;
      printf("visible-pid %d\n", pid);
      snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
      n = read_file(path, buf, sizeof buf);
      for (size_t i = 0; n != (size_t)-1 && i < n; i++)
        if (buf[i] == '\0')
          buf[i] = ' ';
      if (contains(buf, n, marker))
        printf("marker-visible %d\n", pid);
      if (contains(buf, n, canary))
        printf("canary cmdline %d\n", pid);
      snprintf(path, sizeof path, "/proc/%d/environ", pid);
      n = read_file(path, buf, sizeof buf);
      if (contains(buf, n, canary))
        printf("canary environ %d\n", pid);
      if (contains(buf, n, marker))
        printf("marker-environ %d\n", pid);
    }
  closedir(d);
  printf("visible %d\n", visible);
}

/* kill(pid, 0) over the whole pid range: finds processes /proc might hide. */
static void scan_kill(void)
{
  int max = pid_max(), alive = 0;

  for (int pid = 1; pid < max; pid++)
    if (kill(pid, 0) == 0 || errno == EPERM)
      {
        alive++;
        printf("kill-alive %d %s\n", pid, errno == EPERM ? "EPERM" : "ok");
        errno = 0;
      }
  printf("kill-count %d\n", alive);
}

static void scan_ptrace(const char *marker)
{
  static char buf[1 << 16];
  DIR *d = opendir("/proc");
  struct dirent *de;

  if (d == NULL)
    return;
  while ((de = readdir(d)) != NULL)
    {
      char path[64];
      size_t n;
      int pid = atoi(de->d_name);
      if (pid <= 0 || pid == getpid())
        continue;
      snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
      n = read_file(path, buf, sizeof buf);
      for (size_t i = 0; n != (size_t)-1 && i < n; i++)
        if (buf[i] == '\0')
          buf[i] = ' ';
      /* Harmless: marked targets only. */
      if (!contains(buf, n, marker))
        continue;
      if (ptrace(PTRACE_SEIZE, pid, 0, 0) == 0)
        {
          printf("ptrace-seized %d\n", pid);
          ptrace(PTRACE_DETACH, pid, 0, 0);
        }
      else
        printf("ptrace-refused %d %d\n", pid, errno);
    }
  closedir(d);
}

static void hold(void)
{
  /* Says so once it runs as itself: until the exec, its /proc entry is its supervisor's. */
  printf("holding\n");
  for (;;)
    pause();
}

int main(int argc, char **argv)
{
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 3 && strcmp(argv[1], "hold") == 0)
    hold();
  if (argc >= 3 && strcmp(argv[1], "scan") == 0)
    {
      /* The values come in a file: in our argv they would be found in our own /proc entry. */
      char args[256], marker[100], canary[100];
      if (read_file(argv[2], args, sizeof args) == (size_t)-1 || sscanf(args, "%99s %99s", marker, canary) != 2)
        {
          printf("error args-file %d\n", errno);
          return 1;
        }
      scan_proc(marker, canary);
      scan_kill();
      scan_ptrace(marker);
      printf("done\n");
      return 0;
    }
  fprintf(stderr, "usage: sbx-leakcheck hold MARKER | scan FILE (holding: MARKER CANARY)\n");
  return 2;
}
