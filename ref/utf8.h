/* UTF-8 for JSON strings: output may hold any bytes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Valid UTF-8 without NUL, invalid bytes as U+FFFD (malloc'd). */
char *sbx_utf8_sanitize(const char *s, size_t len);
bool sbx_utf8_valid(const char *s, size_t len);
