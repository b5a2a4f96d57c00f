/* The environment a command gets in each context. */
#pragma once

#include "executor.h"

/* run_dir: NULL, or SPLITBOX_RUN_DIR, where a platform command finds the operations socket;
 * path_tail: NULL, or a dir appended to the context's PATH (where it finds the CLI). */
char **sbx_env_build(enum sbx_context ctx, const char *home, const char *tmp_dir, const char *run_dir,
                     const char *path_tail, const char *const *legacy, const char *const *call_env,
                     struct sbx_error *err);
extern const char sbx_user_path[];
extern const char sbx_platform_path[];
