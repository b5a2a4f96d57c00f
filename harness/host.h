#pragma once

struct cJSON;

/* kernel, uid/gid, capabilities (libcap-ng), /proc hidepid, the userns and
 * ptrace sysctls, seccomp, Landlock, cgroup v2, and the versions of bwrap,
 * firejail and unshare. */
struct cJSON *sbx_host_conditions(void);
/* effective, permitted and bounding sets (libcap-ng), and CAP_SYS_ADMIN,
 * CAP_SYS_PTRACE and CAP_NET_RAW called out, added to obj. */
void sbx_capabilities_to_json(struct cJSON *obj);
