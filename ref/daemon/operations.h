/* Platform operations (the design's callback pattern): named callbacks that a
 * client registers for a sandbox, and that the sandbox's platform code calls
 * through the operations socket. The daemon forwards each call over HTTP to
 * the client's unix socket or loopback URL and returns the client's JSON. */
#pragma once

#include "executor.h"

#define SBX_OPERATION_DEFAULT_TIMEOUT_MS 30000
#define SBX_OPERATION_RESULT_MAX (8u * 1024 * 1024)

struct sbx_operations;

struct sbx_operations *sbx_operations_new(void);
/* Aborts the calls in flight (within about a second) and every later one. */
void sbx_operations_close(struct sbx_operations *ops);
void sbx_operations_free(struct sbx_operations *ops);
/* Exactly one of socket and url; timeout_ms 0 means the default. Replaces a
 * registration of the same name. */
int sbx_operations_register(struct sbx_operations *ops, const char *name, const char *socket, const char *url,
                            long long timeout_ms, struct sbx_error *err);
int sbx_operations_unregister(struct sbx_operations *ops, const char *name, struct sbx_error *err);
/* Sends {"operation", "sandboxId", "params"} to the callback; *result is its
 * answer, checked to be JSON. OPERATION_NOT_FOUND or OPERATION_FAILED. */
int sbx_operations_call(struct sbx_operations *ops, const char *sandbox_id, const char *name, const char *params,
                        char **result, struct sbx_error *err);
