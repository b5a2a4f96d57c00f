/* Which isolation this host can give, found by trying, not guessed from sysctls. */
#include <cap-ng.h>
#include <errno.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include "executor.h"

#define USER_SANDBOX_FLAGS (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET)
#define PLATFORM_FLAGS (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET)

/* 0 when unshare(flags) works here; else its errno. In a child: the caller may be threaded. */
static int try_unshare(int flags)
{
  int status;
  pid_t pid = fork();

  if (pid < 0)
    return errno;
  if (pid == 0)
    _exit(unshare(flags) == 0 ? 0 : (errno & 0xff));
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return errno;
  return WIFEXITED(status) ? WEXITSTATUS(status) : EIO;
}

static bool privileged(void)
{
  capng_clear(CAPNG_SELECT_BOTH);
  if (capng_get_caps_process() != 0)
    return false;
  return capng_have_capability(CAPNG_EFFECTIVE, CAP_SYS_ADMIN)
         && capng_have_capability(CAPNG_EFFECTIVE, CAP_SETUID)
         && capng_have_capability(CAPNG_EFFECTIVE, CAP_SETGID);
}

int sbx_isolation_detect(enum sbx_isolation *out, struct sbx_error *err)
{
  bool userns_ok = try_unshare(USER_SANDBOX_FLAGS) == 0;

  if (userns_ok && privileged() && try_unshare(PLATFORM_FLAGS) == 0)
    *out = SBX_ISO_NAMESPACES;
  else if (userns_ok)
    *out = SBX_ISO_USERNS;
  else
    *out = SBX_ISO_FALLBACK;
  (void)err;
  return 0;
}
