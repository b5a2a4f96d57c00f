/* A bounded shared dir: a tmpfs of the sandbox's own (shared_bound.c). */
#pragma once

#include <stdbool.h>

#include "error.h"

struct sbx_sandbox;

/* Makes the tmpfs (size bytes) and its detached copies: sb->shared_fd becomes
 * its top, sb->shared_mnt_user and sb->shared_mnt_platform the copies that
 * the two views attach. given_dir: the caller gave a host dir to share. */
int sbx_shared_bound_create(struct sbx_sandbox *sb, bool given_dir, long long size, struct sbx_error *err);
/* Both views have attached their copies: closes them. */
void sbx_shared_bound_attached(struct sbx_sandbox *sb);
