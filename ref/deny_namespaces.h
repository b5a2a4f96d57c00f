/* A seccomp filter that makes a host look as if it had no namespaces. */
#pragma once

#include <linux/filter.h>

/* For `splitbox no-namespaces` and the tests: simulating a host without namespaces.
 * A seccomp filter under which clone/unshare with any CLONE_NEW* flag and
 * setns fail with EPERM, as on a host without namespaces. 0 or -errno. */
int sbx_deny_namespaces_filter(struct sock_fprog *prog);
/* Compiles and installs it in the calling process. 0 or -errno. */
int sbx_deny_namespaces(void);
