/* Base64 (RFC 4648): file contents that are not text travel as base64. */
#pragma once

#include <stddef.h>

char *sbx_base64_encode(const void *data, size_t len);
/* 0, or -1 on malformed input. *out is NUL-terminated; *out_len excludes the NUL. */
int sbx_base64_decode(const char *text, char **out, size_t *out_len);
