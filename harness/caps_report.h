/* splitbox caps: the isolation this machine can give (see caps.c). */
#pragma once

#include "executor.h"

struct cJSON;

/* identity, namespaces (tried), userNamespaceSysctls, kernel, tools, and the
 * verdict: the mode splitbox uses here, each row of the table and whether it
 * is enforced, and what would give full isolation. */
struct cJSON *sbx_caps_report(enum sbx_isolation *mode);
/* The same, with the rows claimed as if splitbox ran in *assume here (NULL:
 * the mode it runs in); for showing that `caps --verify` catches a wrong claim. */
struct cJSON *sbx_caps_report_assuming(const enum sbx_isolation *assume, enum sbx_isolation *mode);
