/* The daemon's commands in flight, watched from one thread: their output and
 * status pipes, their deadlines, and their clients' connections. */
#pragma once

#include "api.h"

struct sbx_job_loop;

/* tick(arg) runs on the loop's thread about once a second: it must not block
 * (the server queues the daemon's reaping of started processes to a worker). */
struct sbx_job_loop *sbx_job_loop_new(void (*tick)(void *arg), void *arg, struct sbx_error *err);
/* Watches job until it is over, then calls over(arg) on the loop's thread
 * (which must not block: a finish that may wait goes to a worker). conn_fd >= 0 is the
 * client's socket: if the client hangs up, the job is cancelled. */
int sbx_job_loop_add(struct sbx_job_loop *loop, struct sbx_api_job *job, int conn_fd, void (*over)(void *arg),
                     void *arg);
/* Waits, at most timeout_ms, until no job is left. */
void sbx_job_loop_drain(struct sbx_job_loop *loop, int timeout_ms);
void sbx_job_loop_free(struct sbx_job_loop *loop);
