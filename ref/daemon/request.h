/* The daemon's request parser: a method, a path and a body in, a typed and
 * validated request out. Nothing runs here, which is what lets the fuzzer
 * drive it (ref/fuzz/). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "executor.h"

#define SBX_OP_NAME_MAX 64

enum sbx_route_kind
{
  SBX_R_PING,
  SBX_R_CAPABILITIES,
  SBX_R_SANDBOX_LIST,
  SBX_R_SANDBOX_PUT,
  SBX_R_SANDBOX_DELETE,
  SBX_R_EXECUTE,
  SBX_R_EXECUTE_STREAM,
  SBX_R_PROCESS_START,
  SBX_R_PROCESS_LIST,
  SBX_R_PROCESS_GET,
  SBX_R_PROCESS_LOGS,
  SBX_R_PROCESS_KILL,
  SBX_R_WRITE,
  SBX_R_READ,
  SBX_R_EXISTS,
  SBX_R_LIST,
  SBX_R_FILE_PUT, /* raw bytes: PUT .../files?path=P, the body is the content */
  SBX_R_FILE_GET, /* raw bytes: GET .../files?path=P */
  SBX_R_OPERATION_REGISTER,
  SBX_R_OPERATION_DELETE,
  SBX_R_OPERATION_CALL,
};

struct sbx_request
{
  enum sbx_route_kind kind;
  bool sandbox_scoped; /* acts on a sandbox, which must exist ("default" is made on first use) */
  char sandbox_id[65]; /* "default" on the compatibility routes */
  enum sbx_context ctx;
  enum sbx_scope scope;
  char process_id[65];
  char operation[SBX_OP_NAME_MAX + 1];
  bool bad_param; /* a path parameter too long for its field: a bad id */
  struct cJSON *body;

  /* execute, execute/stream, process/start */
  struct sbx_exec_request exec; /* points into body and env */
  char **env;

  /* write, read, exists, list-files, files */
  const char *path;
  char *query_path; /* files: the path, decoded from the query */
  const char *content; /* write: the bytes to write (decoded when base64) */
  size_t content_len;
  char *decoded;
  bool base64;

  /* process DELETE */
  int signo;
  int wait_ms; /* waitMs: answer once the process has ended, or after this long */

  /* PUT /api/sandboxes/{id} */
  struct sbx_options sandbox; /* requireIsolation, userNetwork, legacy, envVars, limits */
  char **legacy_env;

  /* operations */
  const char *callback_socket, *callback_url;
  long long timeout_ms;
  char *params; /* call: the params as JSON text */
};

/* The longest a process DELETE may wait for the process to end. */
#define SBX_KILL_WAIT_MAX_MS 60000

/* 0, or -1 with NOT_FOUND, METHOD_NOT_ALLOWED or VALIDATION_FAILED in err.
 * Clear req either way. */
int sbx_request_parse(const char *method, const char *path, const char *body, size_t len, struct sbx_request *req,
                      struct sbx_error *err);
void sbx_request_clear(struct sbx_request *req);
/* The body cap of a route, from its method and path alone (before any body
 * is read): SBX_REQUEST_RAW_MAX for the raw file upload, else SBX_REQUEST_BODY_MAX. */
#define SBX_REQUEST_BODY_MAX (8u * 1024 * 1024)
#define SBX_REQUEST_RAW_MAX SBX_FILE_MAX
size_t sbx_request_body_max(const char *method, const char *path);
bool sbx_operation_name_valid(const char *name);
bool sbx_sandbox_id_valid(const char *id); /* 1-64 of letters, digits, '-' and '_' */
