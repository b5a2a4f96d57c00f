#pragma once

/* For `splitbox no-namespaces` and the tests: simulating a host without namespaces.
 * Installs a seccomp filter under which clone/unshare with any CLONE_NEW* flag
 * and setns fail with EPERM, as on a host without namespaces. 0 or -errno. */
int sbx_deny_namespaces(void);
