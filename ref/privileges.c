/* Capability and identity changes, with libcap-ng. These run in a freshly forked,
 * single-threaded child: libcap-ng acts on the calling thread only. */
#include <cap-ng.h>
#include <errno.h>
#include <grp.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "error.h"
#include "privileges.h"

int sbx_caps_drop_bounding(struct sbx_error *err)
{
  capng_clear(CAPNG_SELECT_ALL);
  /* Bounding and ambient go first: dropping the bounding set needs CAP_SETPCAP,
   * which the final capset below removes. */
  if (capng_apply(CAPNG_SELECT_BOUNDS) != 0)
    return sbx_error_set(err, EPERM, SBX_E_SANDBOX, "drop capability bounding set: capng_apply failed");
#ifdef CAPNG_SELECT_AMBIENT
  if (capng_apply(CAPNG_SELECT_AMBIENT) != 0)
    return sbx_error_set(err, EPERM, SBX_E_SANDBOX, "clear ambient capabilities: capng_apply failed");
#endif
  return 0;
}

int sbx_caps_drop_all(struct sbx_error *err)
{
  capng_clear(CAPNG_SELECT_ALL);
  if (capng_apply(CAPNG_SELECT_CAPS) != 0)
    return sbx_error_set(err, EPERM, SBX_E_SANDBOX, "drop capabilities: capng_apply failed");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "prctl(PR_SET_NO_NEW_PRIVS)");
  /* Verify rather than trust: a silent failure here would hand user code root. */
  capng_clear(CAPNG_SELECT_ALL);
  if (capng_get_caps_process() != 0)
    return sbx_error_set(err, EIO, SBX_E_SANDBOX, "read back capabilities: capng_get_caps_process failed");
  if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE)
    return sbx_error_set(err, EPERM, SBX_E_SANDBOX, "capabilities still present after dropping them");
  if (capng_have_capabilities(CAPNG_SELECT_BOUNDS) != CAPNG_NONE)
    return sbx_error_set(err, EPERM, SBX_E_SANDBOX, "bounding set not empty after dropping it");
  return 0;
}

int sbx_become_user(uid_t uid, gid_t gid, bool drop_groups, struct sbx_error *err)
{
  /* Keep capabilities across the uid change; they are dropped explicitly afterwards. */
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "prctl(PR_SET_KEEPCAPS)");
  if (drop_groups && setgroups(0, NULL) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "setgroups([])");
  if (setresgid(gid, gid, gid) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "setresgid(%u)", (unsigned)gid);
  if (setresuid(uid, uid, uid) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "setresuid(%u)", (unsigned)uid);
  return 0;
}
