#pragma once

/* Installs a seccomp filter under which clone/unshare with any CLONE_NEW* flag
 * and setns fail with EPERM, as on a host without namespaces. 0 or -errno. */
int sbx_test_deny_namespaces(void);
