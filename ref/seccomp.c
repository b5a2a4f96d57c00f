/* The user context's seccomp filter. Kernel keyrings are not namespaced: a
 * key is readable by its owner's uid from any namespace, and an unprivileged
 * executor gives user and platform commands one host uid. So user code gets
 * no keyctl, add_key or request_key at all, as Docker's default profile does. */
#include <errno.h>
#include <seccomp.h>
#include <stddef.h>

#include "error.h"
#include "privileges.h"

static const int denied[] = { SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key) };

int sbx_seccomp_user(struct sbx_error *err)
{
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  int r = ctx != NULL ? 0 : -ENOMEM;

  for (size_t i = 0; r == 0 && i < sizeof denied / sizeof denied[0]; i++)
    r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), denied[i], 0);
  if (r == 0)
    r = seccomp_load(ctx);
  seccomp_release(ctx);
  if (r != 0)
    return sbx_error_errno(err, -r, SBX_E_SANDBOX, "load the user context's seccomp filter");
  return 0;
}
