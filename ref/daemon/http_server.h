#pragma once

#include "registry.h"

struct sbx_http_server;

/* listen_addr (127.x.x.x:PORT) and token may be NULL; with listen_addr, token is required. */
struct sbx_http_server *sbx_http_server_start(struct sbx_registry *registry, const char *socket_path,
                                              const char *listen_addr, const char *token, struct sbx_error *err);
void sbx_http_server_stop(struct sbx_http_server *s);
