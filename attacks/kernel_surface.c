/* kernel-surface: the kernel interfaces that most container escapes start
 * from, tried harmlessly by user code. Each attempt creates an object of its
 * own (a ring, a namespace in a child that exits, a map, a counter on
 * itself) and closes it at once; nothing else is touched. Whatever succeeds
 * is listed in observed.dangerous: the interface is reachable from user code. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

struct surface_try
{
  const char *name;
  /* Returns 0 when the interface answered, or -1 with errno. */
  int (*try)(void);
};

static int close_ok(long fd)
{
  if (fd < 0)
    return -1;
  close((int)fd);
  return 0;
}

static int try_io_uring(void)
{
  /* struct io_uring_params is 120 bytes; zeroed asks for the defaults. */
  unsigned char params[120] = { 0 };
  return close_ok(syscall(__NR_io_uring_setup, 1, params));
}

/* In a child, so that the probe itself stays in its namespaces. */
static int try_in_child(int flags)
{
  int status = 0;
  pid_t pid = fork();

  if (pid < 0)
    return -1;
  if (pid == 0)
    _exit(unshare(flags) == 0 ? 0 : (errno & 0x7f) + 1);
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
    return errno = EIO, -1;
  if (WEXITSTATUS(status) == 0)
    return 0;
  errno = WEXITSTATUS(status) - 1;
  return -1;
}

static int try_userns(void)
{
  return try_in_child(CLONE_NEWUSER);
}

static int try_mountns(void)
{
  return try_in_child(CLONE_NEWNS);
}

static int try_userfaultfd(void)
{
  /* User-mode-only faults are what an unprivileged caller may ask for. */
  long fd = syscall(__NR_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
  if (fd < 0 && errno == EINVAL)
    fd = syscall(__NR_userfaultfd, O_CLOEXEC);
  return close_ok(fd);
}

static int try_bpf(void)
{
  union bpf_attr attr;

  memset(&attr, 0, sizeof attr);
  attr.map_type = BPF_MAP_TYPE_ARRAY;
  attr.key_size = 4;
  attr.value_size = 4;
  attr.max_entries = 1;
  return close_ok(syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof attr));
}

static int try_perf_event(void)
{
  struct perf_event_attr attr;

  memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_DUMMY;
  attr.disabled = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  return close_ok(syscall(__NR_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC));
}

static int try_fsopen(void)
{
  return close_ok(syscall(__NR_fsopen, "tmpfs", 1 /* FSOPEN_CLOEXEC */));
}

static int try_keyctl(void)
{
  /* KEYCTL_GET_KEYRING_ID of the session keyring, without creating one. */
  return syscall(__NR_keyctl, 0, -3, 0) < 0 ? -1 : 0;
}

static const struct surface_try tries[] = {
  { "io_uring_setup", try_io_uring },
  { "unshare(CLONE_NEWUSER)", try_userns },
  { "unshare(CLONE_NEWNS)", try_mountns },
  { "userfaultfd", try_userfaultfd },
  { "bpf(BPF_MAP_CREATE)", try_bpf },
  { "perf_event_open", try_perf_event },
  { "fsopen", try_fsopen },
  { "keyctl", try_keyctl },
};

void probe_kernel_surface(struct probe *p)
{
  char dangerous[512] = "";
  size_t used = 0;

  for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++)
    {
      int e = 0;
      bool ok = tries[i].try() == 0;
      if (!ok)
        e = errno;
      probe_attempt(p, tries[i].name, "self", ok, e, NULL);
      if (ok)
        {
          int n = snprintf(dangerous + used, sizeof dangerous - used, "%s%s", used ? "," : "", tries[i].name);
          if (n > 0 && (size_t)n < sizeof dangerous - used)
            used += (size_t)n;
        }
    }
  probe_observe(p, "dangerous", "%s", dangerous);
}
