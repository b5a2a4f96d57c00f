/* Errors as values: library code fills a struct sbx_error and returns -1 or NULL. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "splitbox-error.h"

/* Sets code and message; errno_ is the given errno (0 for none). Returns -1. */
int sbx_error_set(struct sbx_error *err, int errno_, const char *code, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));

/* Like sbx_error_set, with ": strerror(errno_)" appended. Returns -1. */
int sbx_error_errno(struct sbx_error *err, int errno_, const char *code, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));

/* For a child before its exec (vfork-style or a fork of a threaded executor):
 * like sbx_error_errno, without strerror, which may take a lock or allocate.
 * errno_ is stored negated: sbx_status_fail sends it as a FAILED record that
 * asks the reader, in the executor, to append the text. Returns -1. */
int sbx_error_child(struct sbx_error *err, int errno_, const char *code, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));

/* Prepends "context: " to the message, as the error unwinds. Returns -1. */
int sbx_error_prefix(struct sbx_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes a, sep and b into dst (size > 0), cut to fit: messages are bounded on
 * purpose. Returns false when cut. */
bool sbx_join_cut(char *dst, size_t size, const char *a, const char *sep, const char *b);

/* Maps an errno from a file operation to an API code. */
const char *sbx_error_code_for_errno(int errno_);
