#pragma once

#include "api.h"

struct sbx_http_server;

/* Answers one request: the API (sbx_api_handle) or the operations socket's. */
typedef void (*sbx_http_handler)(void *arg, const char *method, const char *path, const char *body, size_t len,
                                 struct sbx_api_response *out);

/* The server's decisions on one request, without a socket: the fuzzer
 * (ref/fuzz/fuzz_api.c) goes through them as the server does. */
/* On a listener with a token (TCP; NULL elsewhere): false, with the 401 in out, without the right
 * "Authorization: Bearer" header. */
bool sbx_http_authorized(const char *token, const char *authorization, struct sbx_api_response *out);
/* Whether a Content-Length header announces more than body_max (the route's: sbx_request_body_max);
 * *prealloc: what to set aside. */
bool sbx_http_announced_too_large(const char *content_length, size_t body_max, size_t *prealloc);
/* The answer once the body is in: 413 if it was announced or sent past the cap, else the handler's. */
void sbx_http_answer(sbx_http_handler handler, void *arg, const char *method, const char *url, const char *body,
                     size_t len, bool too_large, struct sbx_api_response *out);

struct sbx_http_options
{
  unsigned connections_max;  /* open connections, all clients */
  unsigned per_client_max;   /* per uid (unix sockets) or per IPv4 address (TCP) */
  unsigned idle_timeout_s;   /* a connection idle or half-sent this long is closed; not one whose command runs */
  void (*tick)(void *arg);   /* about once a second, on a worker */
  void *tick_arg;
  struct sbx_http_server **self; /* set before the first request is served: handlers may need the server */
};

/* listen_addr (127.x.x.x:PORT) and token may be NULL; with listen_addr, token is required. */
struct sbx_http_server *sbx_http_server_start(sbx_http_handler handler, void *arg, const char *socket_path,
                                              const char *listen_addr, const char *token,
                                              const struct sbx_http_options *opts, struct sbx_error *err);
/* Stops serving: waits (a while) for the commands in flight, which the
 * caller has killed, then for the threads. The sockets stay until free. */
void sbx_http_server_stop(struct sbx_http_server *s);
void sbx_http_server_free(struct sbx_http_server *s);
/* Another unix socket (a sandbox's operations socket), served by the same
 * threads. Returns a handle for remove, or NULL with err set. */
void *sbx_http_server_add_socket(struct sbx_http_server *s, sbx_http_handler handler, void *arg,
                                 const char *socket_path, struct sbx_error *err);
/* After it returns, no handler of the socket runs and its path is gone. */
void sbx_http_server_remove_socket(struct sbx_http_server *s, void *handle);
