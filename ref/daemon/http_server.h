#pragma once

#include "api.h"

struct sbx_http_server;

/* Answers one request: the API (sbx_api_handle) or the operations socket's. */
typedef void (*sbx_http_handler)(void *arg, const char *method, const char *path, const char *body, size_t len,
                                 struct sbx_api_response *out);

/* listen_addr (127.x.x.x:PORT) and token may be NULL; with listen_addr, token is required. */
struct sbx_http_server *sbx_http_server_start(sbx_http_handler handler, void *arg, const char *socket_path,
                                              const char *listen_addr, const char *token, struct sbx_error *err);
void sbx_http_server_stop(struct sbx_http_server *s);
