/* Seccomp filters: compiled with libseccomp in the executor, loaded in a child
 * with two syscalls and no allocation. */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>

#include "error.h"

/* The user context's filter: the profile of seccomp_profile.c. 0 or -errno. */
int sbx_seccomp_user_filter(struct sock_fprog *prog, bool fallback);
/* libseccomp's filter ctx (a scmp_filter_ctx) as BPF, malloc'd. 0 or -errno. */
int sbx_seccomp_export(void *ctx, struct sock_fprog *prog);
void sbx_seccomp_free(struct sock_fprog *prog);
/* Sets no_new_privs (as libseccomp's seccomp_load does) and loads prog: safe
 * after vfork. 0, or -1 with errno. */
int sbx_seccomp_load(const struct sock_fprog *prog);
/* The same in a child, with an error made by sbx_error_child. */
int sbx_seccomp_load_user(const struct sock_fprog *prog, struct sbx_error *err);
