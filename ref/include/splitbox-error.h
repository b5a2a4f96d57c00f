/* splitbox's errors, shared by the executor library and the client library:
 * a stable code, as in the Cloudflare Sandbox container API, and a message. */
#pragma once

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
#define SBX_E_METHOD_NOT_ALLOWED "METHOD_NOT_ALLOWED"
#define SBX_E_OPERATION_NOT_FOUND "OPERATION_NOT_FOUND"
#define SBX_E_OPERATION_FAILED "OPERATION_FAILED"
#define SBX_E_TOO_MANY_CONNECTIONS "TOO_MANY_CONNECTIONS" /* 503: the client's connections are at the daemon's limit */
/* The client could not reach the daemon, or the answer was not the API's. */
#define SBX_E_UNAVAILABLE "DAEMON_UNAVAILABLE"
#define SBX_E_PROTOCOL "PROTOCOL_ERROR"
/* The client's own request timeout (sbx_client_options) passed. */
#define SBX_E_CLIENT_TIMEOUT "CLIENT_TIMEOUT"
