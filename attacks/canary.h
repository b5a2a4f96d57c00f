/* The canary format shared by the victim, the probes and the harness. Probes
 * know the format, never the value: they report every token of this form. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define SBX_CANARY_PREFIX "SPLITBOX-CANARY-"
#define SBX_CANARY_HEX 32
#define SBX_CANARY_LEN (sizeof SBX_CANARY_PREFIX - 1 + SBX_CANARY_HEX)

bool sbx_canary_valid(const char *s);
/* Calls found(token) for every canary-shaped token in buf. */
void sbx_canary_scan(const void *buf, size_t len, void (*found)(const char *token, void *arg), void *arg);
