/* The deny-list seccomp profile of user code (seccomp_profile.c). */
#pragma once

#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>

struct sbx_seccomp_entry
{
  const char *name; /* resolved on the running architecture */
  int errno_;
  const char *reason;
};

extern const struct sbx_seccomp_entry sbx_seccomp_user_profile[];
extern const size_t sbx_seccomp_user_profile_count;

/* Adds user code's rules to ctx (made with SCMP_ACT_ALLOW). 0, or a negative errno. */
int sbx_seccomp_profile_add(scmp_filter_ctx ctx);
/* Fallback mode: user code shares the host's filesystem and (without
 * privilege) the daemon's uid, and Landlock before ABI 9 cannot keep it from
 * connecting to a pathname unix socket such as the daemon's: no AF_UNIX
 * socket() at all (socketpair stays). */
int sbx_seccomp_profile_add_fallback(scmp_filter_ctx ctx);
/* Only the namespace rules: clone/unshare with CLONE_NEW*, clone3 (ENOSYS), and setns when asked. */
int sbx_seccomp_namespace_rules_add(scmp_filter_ctx ctx, bool setns_too);
