#include <errno.h>
#include <seccomp.h>

#include "deny_namespaces.h"
#include "seccomp_filter.h"
#include "seccomp_profile.h"

int sbx_deny_namespaces_filter(struct sock_fprog *prog)
{
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  int r = 0;

  prog->len = 0;
  prog->filter = NULL;
  if (ctx == NULL)
    return -ENOMEM;
  r = sbx_seccomp_namespace_rules_add(ctx, true);
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
