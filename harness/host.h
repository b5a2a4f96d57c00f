#pragma once

struct cJSON;

/* kernel, uid/gid, capabilities (libcap-ng), /proc hidepid, the userns and
 * ptrace sysctls, seccomp, Landlock, cgroup v2, and the versions of bwrap,
 * firejail and unshare. */
struct cJSON *sbx_host_conditions(void);
