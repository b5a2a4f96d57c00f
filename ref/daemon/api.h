/* The HTTP+JSON API, without the HTTP: a method, a path and a body in, a
 * status and a JSON document out. The server (http_server.c) and the tests
 * both call it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "registry.h"


struct sbx_api_response
{
  unsigned status;
  char *body;     /* JSON, malloc'd; or bytes, with content_type */
  size_t body_len; /* with content_type */
  const char *content_type; /* NULL for JSON */
  struct sbx_api_job *job; /* execute and execute/stream: the command in flight, instead of body */
};

/* A command in flight (execute, execute/stream). The server waits on its fds
 * (pollfds, advance: see sbx_exec_job_*) from an event loop, cancels it if
 * its client goes, and calls finish once it is over: finish fills out
 * (execute) or appends the last event (stream). A stream's events are read
 * with read, which calls park(arg) when there is nothing yet; wake(arg)
 * follows (from another thread) once there is. Both are called under the
 * job's lock. release drops the connection's reference, finish the runner's. */
struct pollfd;
void sbx_api_job_pollfds(const struct sbx_api_job *job, struct pollfd *pfd, double *wake_ms);
bool sbx_api_job_advance(struct sbx_api_job *job, const struct pollfd *pfd);
void sbx_api_job_cancel(struct sbx_api_job *job);
void sbx_api_job_finish(struct sbx_api_job *job, struct sbx_api_response *out);
/* finish and release at once, from a thread that must not block (the job
 * loop): false, and nothing done, when either could wait (a stream, a wait
 * for a kill, a command not yet reaped, a large output). */
bool sbx_api_job_finish_nonblocking(struct sbx_api_job *job, struct sbx_api_response *out);
void sbx_api_job_release(struct sbx_api_job *job);
bool sbx_api_job_is_stream(const struct sbx_api_job *job);
void sbx_api_job_set_wake(struct sbx_api_job *job, void (*park)(void *arg), void (*wake)(void *arg), void *arg);
/* Up to max bytes of events; *end once the last one has been read. */
ssize_t sbx_api_job_read(struct sbx_api_job *job, char *buf, size_t max, bool *end);

void sbx_api_handle(struct sbx_registry *r, const char *method, const char *path, const char *body, size_t len,
                    struct sbx_api_response *out);
struct sbx_operations;
/* The operations socket of one sandbox: POST /api/operations/{name}/call only. */
void sbx_api_handle_operations(struct sbx_operations *ops, const char *sandbox_id, const char *method,
                               const char *path, const char *body, size_t len, struct sbx_api_response *out);
/* A JSON error document: {code, message, httpStatus, timestamp}. */
void sbx_api_error(struct sbx_api_response *out, const char *code, const char *message);
