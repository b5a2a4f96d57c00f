/* The HTTP+JSON API, without the HTTP: a method, a path and a body in, a
 * status and a JSON document out. The server (http_server.c) and the tests
 * both call it. */
#pragma once

#include <stddef.h>

#include "registry.h"

#define SBX_API_BODY_MAX (8u * 1024 * 1024)

struct sbx_api_response
{
  unsigned status;
  char *body;     /* JSON, malloc'd */
  int stream_fd;  /* >= 0: a server-sent event stream to pass on instead of body */
};

void sbx_api_handle(struct sbx_registry *r, const char *method, const char *path, const char *body, size_t len,
                    struct sbx_api_response *out);
struct sbx_operations;
/* The operations socket of one sandbox: POST /api/operations/{name}/call only. */
void sbx_api_handle_operations(struct sbx_operations *ops, const char *sandbox_id, const char *method,
                               const char *path, const char *body, size_t len, struct sbx_api_response *out);
/* A JSON error document: {code, message, httpStatus, timestamp}. */
void sbx_api_error(struct sbx_api_response *out, const char *code, const char *message);
