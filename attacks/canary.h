/* The canary format shared by the victim, the probes and the harness, and
 * the one generator of canaries and markers. Probes know the format, never
 * the value: they report every token of this form. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define SBX_CANARY_PREFIX "SPLITBOX-CANARY-"
#define SBX_CANARY_HEX 32
#define SBX_CANARY_LEN (sizeof SBX_CANARY_PREFIX - 1 + SBX_CANARY_HEX)

/* A marker is the victim's comm, which holds 15 bytes. */
#define SBX_MARKER_PREFIX "sbxm"
#define SBX_MARKER_HEX 10
#define SBX_MARKER_LEN (sizeof SBX_MARKER_PREFIX - 1 + SBX_MARKER_HEX)

bool sbx_canary_valid(const char *s);
/* Calls found(token) for every canary-shaped token in buf. */
void sbx_canary_scan(const void *buf, size_t len, void (*found)(const char *token, void *arg), void *arg);

/* Writes prefix and hex_digits lowercase hex digits of fresh randomness into
 * out (size bytes with the NUL). 0, or -1 with errno: ERANGE when it does not
 * fit, or getrandom's. */
int sbx_random_token(char *out, size_t size, const char *prefix, size_t hex_digits);
/* A fresh canary, and a fresh marker. 0, or -1 with errno. */
int sbx_canary_new(char out[static SBX_CANARY_LEN + 1]);
int sbx_marker_new(char out[static SBX_MARKER_LEN + 1]);
