/* What a sandboxed process may do: its capabilities, its ids, its uid maps. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* In a single-threaded child before its exec (capabilities are per thread);
 * errors come from sbx_error_child. */
int sbx_caps_drop_bounding(struct sbx_error *err);
int sbx_caps_drop_all(struct sbx_error *err);
int sbx_become_user(uid_t uid, gid_t gid, bool drop_groups, struct sbx_error *err);

/* Written from the parent namespace, for the child pid. */
int sbx_userns_write_maps(pid_t pid, uid_t inside_uid, uid_t outside_uid, gid_t inside_gid, gid_t outside_gid,
                          bool deny_setgroups, struct sbx_error *err);
