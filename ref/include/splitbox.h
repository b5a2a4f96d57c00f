/* libsplitbox-client: the splitbox daemon's API from C, over libcurl.
 *
 * The surface mirrors the design's TypeScript API (sandbox.platform.exec,
 * sandbox.user.exec, sandbox.shared.*, platform operations). Every call
 * returns 0 on success, or -1 with err filled: err->code is one of the API's
 * codes (splitbox-error.h), DAEMON_UNAVAILABLE when the daemon could not be
 * reached, or PROTOCOL_ERROR when its answer was not the API's. Results are
 * plain structs, freed with the matching _free function. A handle may be
 * used from many threads at once. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "splitbox-error.h"

enum sbx_where
{
  SBX_USER_CONTEXT,
  SBX_PLATFORM_CONTEXT,
  SBX_SHARED_FILES, /* files only: the shared directory both contexts see */
};

struct sbx_client_options
{
  const char *token;      /* Bearer token, for a daemon's TCP port */
  long request_timeout_ms; /* 0: none beyond the command's own timeout */
  bool create;            /* PUT the sandbox at open (idempotent) */
};

struct sbx_client;

/* socket_or_url: a unix socket path, or an http:// URL. sandbox_id NULL
 * means the daemon's compatibility routes (sandbox "default", user context);
 * on a platform command's operations socket it is how sbx_call_operation
 * reaches the operations of the sandbox the command runs in. */
struct sbx_client *sbx_open(const char *socket_or_url, const char *sandbox_id, const struct sbx_client_options *opts,
                            struct sbx_error *err);
void sbx_close(struct sbx_client *c);

struct sbx_exec_options
{
  const char *const *env; /* NAME=VALUE, NULL-terminated: this call only */
  const char *cwd;
  long long timeout_ms;   /* 0: none */
};

struct sbx_result
{
  bool success;
  int exit_code;
  char *stdout_buf, *stderr_buf; /* NUL-terminated; the lengths exclude the NUL */
  size_t stdout_len, stderr_len;
  bool truncated;
  double duration_ms;
  char *context, *isolation;
  char **warnings; /* NULL-terminated, or NULL */
};

/* 0 when the command ran, whatever its exit code. A timeout returns -1 with
 * COMMAND_TIMEOUT and still fills *res. */
int sbx_platform_exec(struct sbx_client *c, const char *command, const struct sbx_exec_options *opts,
                      struct sbx_result *res, struct sbx_error *err);
int sbx_user_exec(struct sbx_client *c, const char *command, const struct sbx_exec_options *opts,
                  struct sbx_result *res, struct sbx_error *err);
/* sbx_platform_exec with the command under splitbox-init (the API's "init":
 * true) rather than as its PID namespace's PID 1, which ignores every signal
 * it has no handler for, even `kill $$` from the script itself. One exec more.
 * (A function, not an option: sbx_exec_options is the caller's, and its size
 * is part of the ABI.) */
int sbx_platform_exec_under_init(struct sbx_client *c, const char *command, const struct sbx_exec_options *opts,
                                 struct sbx_result *res, struct sbx_error *err);
void sbx_result_free(struct sbx_result *res);

struct sbx_process
{
  char *id;
  int pid;
  char *command;
  char *status; /* running, completed, failed, killed, error */
  bool exited;
  int exit_code;
};

int sbx_platform_start_process(struct sbx_client *c, const char *command, const struct sbx_exec_options *opts,
                               struct sbx_process *out, struct sbx_error *err);
int sbx_user_start_process(struct sbx_client *c, const char *command, const struct sbx_exec_options *opts,
                           struct sbx_process *out, struct sbx_error *err);
/* signo 0 means SIGTERM. */
int sbx_kill_process(struct sbx_client *c, enum sbx_where ctx, const char *id, int signo, struct sbx_error *err);
int sbx_list_processes(struct sbx_client *c, enum sbx_where ctx, struct sbx_process **list, size_t *n,
                       struct sbx_error *err);
int sbx_get_process(struct sbx_client *c, enum sbx_where ctx, const char *id, struct sbx_process *out,
                    struct sbx_error *err);
int sbx_get_process_logs(struct sbx_client *c, enum sbx_where ctx, const char *id, struct sbx_result *logs,
                         struct sbx_error *err);
void sbx_process_free(struct sbx_process *p);
void sbx_processes_free(struct sbx_process *list, size_t n);

/* Files. Content is bytes: it travels as base64. */
int sbx_write_file(struct sbx_client *c, enum sbx_where where, const char *path, const void *data, size_t len,
                   struct sbx_error *err);
/* *data is NUL-terminated for convenience; *len excludes the NUL. */
int sbx_read_file(struct sbx_client *c, enum sbx_where where, const char *path, char **data, size_t *len,
                  struct sbx_error *err);
#define sbx_platform_write_file(c, p, d, l, e) sbx_write_file((c), SBX_PLATFORM_CONTEXT, (p), (d), (l), (e))
#define sbx_user_write_file(c, p, d, l, e) sbx_write_file((c), SBX_USER_CONTEXT, (p), (d), (l), (e))
#define sbx_shared_write_file(c, p, d, l, e) sbx_write_file((c), SBX_SHARED_FILES, (p), (d), (l), (e))
#define sbx_platform_read_file(c, p, d, l, e) sbx_read_file((c), SBX_PLATFORM_CONTEXT, (p), (d), (l), (e))
#define sbx_user_read_file(c, p, d, l, e) sbx_read_file((c), SBX_USER_CONTEXT, (p), (d), (l), (e))
#define sbx_shared_read_file(c, p, d, l, e) sbx_read_file((c), SBX_SHARED_FILES, (p), (d), (l), (e))

/* The same as raw bytes (PUT/GET .../files?path=): no base64, up to the
 * daemon's file cap (64 MiB) where the JSON calls above stop near 6 MiB (the
 * 8 MiB body cap). *data is NUL-terminated; *len excludes the NUL. */
int sbx_client_put_file(struct sbx_client *c, enum sbx_where where, const char *path, const void *data, size_t len,
                        struct sbx_error *err);
int sbx_client_get_file(struct sbx_client *c, enum sbx_where where, const char *path, char **data, size_t *len,
                        struct sbx_error *err);

struct sbx_file_entry
{
  char *name;
  char *type; /* file, directory, symlink, other */
  unsigned long long size;
};

int sbx_shared_exists(struct sbx_client *c, const char *path, bool *exists, struct sbx_error *err);
int sbx_shared_ls(struct sbx_client *c, const char *path, struct sbx_file_entry **list, size_t *n,
                  struct sbx_error *err);
void sbx_file_entries_free(struct sbx_file_entry *list, size_t n);

/* Platform operations. Exactly one of callback_socket and callback_url (on loopback). */
int sbx_register_operation(struct sbx_client *c, const char *name, const char *callback_socket,
                           const char *callback_url, struct sbx_error *err);
int sbx_unregister_operation(struct sbx_client *c, const char *name, struct sbx_error *err);
/* params_json may be NULL (null). *result_json is the handler's JSON answer. */
int sbx_call_operation(struct sbx_client *c, const char *name, const char *params_json, char **result_json,
                       struct sbx_error *err);

/* The raw API, for what the calls above do not cover: *status and *body (JSON,
 * malloc'd) are the daemon's answer, whatever its status. */
int sbx_request(struct sbx_client *c, const char *method, const char *path, const char *body, long *status,
                char **response, struct sbx_error *err);
/* The same with a body of len bytes (NULL: none) of content_type, and an
 * answer of any bytes: *response is NUL-terminated, *response_len excludes the NUL. */
int sbx_request_bytes(struct sbx_client *c, const char *method, const char *path, const char *content_type,
                      const char *body, size_t len, long *status, char **response, size_t *response_len,
                      struct sbx_error *err);
