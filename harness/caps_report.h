/* splitbox caps: the isolation this machine can give (see caps.c). */
#pragma once

#include "executor.h"

struct cJSON;

/* identity, namespaces (tried), userNamespaceSysctls, kernel, tools, and the
 * verdict: the mode splitbox uses here, each row of the table and whether it
 * is enforced, and what would give full isolation. */
struct cJSON *sbx_caps_report(enum sbx_isolation *mode);
