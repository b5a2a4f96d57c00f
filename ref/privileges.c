/* Capability and identity changes, in a child before its exec, as bubblewrap
 * makes them: with prctl and capset directly. libcap-ng reads /proc/self/status
 * through stdio (it allocates, and takes stdio's locks) inside capng_apply, and
 * keeps its state in a global: nothing a child of a threaded executor should
 * run. Capabilities are per thread: the child is single-threaded. */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"
#include "privileges.h"

/* PR_CAPBSET_READ answers EINVAL past the kernel's last capability. */
static bool in_bounding_set(int cap, bool *known)
{
  int r = prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0);

  *known = r >= 0;
  return r == 1;
}

int sbx_caps_drop_bounding(struct sbx_error *err)
{
  bool known = true;

  /* Bounding and ambient go first: dropping the bounding set needs CAP_SETPCAP,
   * which the final capset below removes. */
  for (int cap = 0; known; cap++)
    if (in_bounding_set(cap, &known) && prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0) != 0)
      return sbx_error_child(err, errno, SBX_E_SANDBOX, "drop capability bounding set");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "clear ambient capabilities");
  return 0;
}

int sbx_caps_drop_all(struct sbx_error *err)
{
  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { { 0 } };
  bool known = true;

  if (syscall(SYS_capset, &hdr, data) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "drop capabilities");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "prctl(PR_SET_NO_NEW_PRIVS)");
  /* Verify rather than trust: a silent failure here would hand user code root. */
  hdr.pid = 0;
  if (syscall(SYS_capget, &hdr, data) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "read back capabilities");
  for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
    if (data[i].effective != 0 || data[i].permitted != 0 || data[i].inheritable != 0)
      return sbx_error_set(err, EPERM, SBX_E_SANDBOX, "capabilities still present after dropping them");
  for (int cap = 0; known; cap++)
    if (in_bounding_set(cap, &known))
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
