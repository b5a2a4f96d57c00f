/* Errors as values: library code fills a struct sbx_error and returns -1 or NULL. */
#pragma once

#include <stdarg.h>

struct sbx_error
{
  int errno_;
  char code[40];
  char message[256];
};

/* Error codes of the API, shaped like the Cloudflare Sandbox container API's. */
#define SBX_E_VALIDATION "VALIDATION_FAILED"
#define SBX_E_PATH_OUTSIDE_ROOT "PATH_OUTSIDE_ROOT"
#define SBX_E_FILE_NOT_FOUND "FILE_NOT_FOUND"
#define SBX_E_PERMISSION "PERMISSION_DENIED"
#define SBX_E_IS_DIRECTORY "IS_DIRECTORY"
#define SBX_E_NOT_REGULAR "NOT_REGULAR_FILE"
#define SBX_E_READ_ONLY "READ_ONLY"
#define SBX_E_TOO_LARGE "FILE_TOO_LARGE"
#define SBX_E_PROCESS_NOT_FOUND "PROCESS_NOT_FOUND"
#define SBX_E_TIMEOUT "COMMAND_TIMEOUT"
#define SBX_E_NO_NAMESPACES "NAMESPACE_NOT_SUPPORTED"
#define SBX_E_SANDBOX "SANDBOX_ERROR"
#define SBX_E_INTERNAL "INTERNAL_ERROR"
#define SBX_E_SANDBOX_NOT_FOUND "SANDBOX_NOT_FOUND"
#define SBX_E_TOO_LARGE_PAYLOAD "PAYLOAD_TOO_LARGE"
#define SBX_E_NOT_FOUND "NOT_FOUND"
#define SBX_E_UNAUTHORIZED "UNAUTHORIZED"

/* Sets code and message; errno_ is the given errno (0 for none). Returns -1. */
int sbx_error_set(struct sbx_error *err, int errno_, const char *code, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));

/* Like sbx_error_set, with ": strerror(errno_)" appended. Returns -1. */
int sbx_error_errno(struct sbx_error *err, int errno_, const char *code, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));

/* Prepends "context: " to the message, as the error unwinds. Returns -1. */
int sbx_error_prefix(struct sbx_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Maps an errno from a file operation to an API code. */
const char *sbx_error_code_for_errno(int errno_);
