#include <errno.h>
#include <sched.h>
#include <seccomp.h>

#include "deny_namespaces.h"
#include "seccomp_filter.h"

static const unsigned long new_flags[] = {
  CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWTIME,
};

int sbx_deny_namespaces_filter(struct sock_fprog *prog)
{
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  int r = 0;

  prog->len = 0;
  prog->filter = NULL;
  if (ctx == NULL)
    return -ENOMEM;
  for (size_t i = 0; r == 0 && i < sizeof new_flags / sizeof new_flags[0]; i++)
    {
      r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
                           SCMP_A0(SCMP_CMP_MASKED_EQ, new_flags[i], new_flags[i]));
      if (r == 0)
        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                             SCMP_A0(SCMP_CMP_MASKED_EQ, new_flags[i], new_flags[i]));
    }
  if (r == 0)
    r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(setns), 0);
  /* clone3 takes its flags in memory a filter cannot read: ENOSYS makes libc use clone. */
  if (r == 0)
    r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  if (r == 0)
    r = sbx_seccomp_export(ctx, prog);
  seccomp_release(ctx);
  return r;
}

int sbx_deny_namespaces(void)
{
  struct sock_fprog prog;
  int r = sbx_deny_namespaces_filter(&prog);

  if (r == 0 && sbx_seccomp_load(&prog) != 0)
    r = -errno;
  sbx_seccomp_free(&prog);
  return r;
}
