/* The daemon's CLI in every platform view, so that platform code can run `splitbox call`. */
#pragma once

#include "error.h"

struct sbx_sandbox;

/* Makes RUN/bin/splitbox: a mountpoint that each view binds the CLI onto, or,
 * with no namespaces (no views), a symlink to it. Nothing without a CLI. */
int sbx_platform_cli_install(struct sbx_sandbox *sb, struct sbx_error *err);
