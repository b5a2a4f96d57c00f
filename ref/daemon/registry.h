/* The daemon's sandboxes, keyed by id (the design's userId). */
#pragma once

#include "executor.h"

struct sbx_registry;
struct sbx_operations;

/* Serves a sandbox's operations socket. The registry makes the socket's
 * place; what answers on it is the daemon main's choice (the API's handler),
 * so the registry depends on neither the API nor HTTP. */
struct sbx_registry_ops_server
{
  /* Returns a handle for stop, or NULL with err set. */
  void *(*start)(void *ctx, const char *sandbox_id, struct sbx_operations *ops, const char *socket_path,
                 struct sbx_error *err);
  void (*stop)(void *handle);
  void *ctx;
};

struct sbx_registry_options
{
  const char *state_dir;  /* each sandbox gets STATE/sandboxes/ID */
  const char *control_socket; /* hidden, with the state dir, from every platform view */
  const char *init_path;
  const char *platform_cli; /* NULL, or the CLI platform commands find as `splitbox` (sbx_options) */
  enum sbx_network user_network;
  bool require_isolation;
  struct sbx_limits limits; /* each sandbox's, unless its PUT says otherwise */
  struct sbx_registry_ops_server ops_server;
};

struct sbx_registry *sbx_registry_new(const struct sbx_registry_options *opts, struct sbx_error *err);
void sbx_registry_free(struct sbx_registry *r);
/* Creates the sandbox if it does not exist; *created says which. opts may be NULL. */
struct sbx_sandbox *sbx_registry_ensure(struct sbx_registry *r, const char *id, const struct sbx_options *opts,
                                        bool *created, struct sbx_error *err);
/* Both return a referenced sandbox: give it back with sbx_registry_put. */
struct sbx_sandbox *sbx_registry_get(struct sbx_registry *r, const char *id);
/* The live sandboxes' ids, a NULL-terminated vector to free whole; NULL without memory. */
char **sbx_registry_ids(struct sbx_registry *r);
void sbx_registry_put(struct sbx_registry *r, struct sbx_sandbox *sb);
/* The same, for a thread that must not block (the job loop): it does not wait
 * for the registry's lock (held through a sandbox's creation), and a deleted
 * sandbox's teardown, were this its last reference, is left to the next
 * sweep. */
void sbx_registry_put_nonblocking(struct sbx_registry *r, struct sbx_sandbox *sb);
/* One more reference to a sandbox already held. */
void sbx_registry_ref(struct sbx_registry *r, struct sbx_sandbox *sb);
/* Kills the processes of every sandbox: in-flight requests then end quickly. */
void sbx_registry_shutdown(struct sbx_registry *r);
/* Reaps and tidies every sandbox's started processes (sbx_process_sweep), and
 * tears down the deleted sandboxes that sbx_registry_put_nonblocking left. */
void sbx_registry_sweep(struct sbx_registry *r);
int sbx_registry_delete(struct sbx_registry *r, const char *id, struct sbx_error *err);
const struct sbx_registry_options *sbx_registry_options(const struct sbx_registry *r);
/* The operations registered for a sandbox the caller holds. */
struct sbx_operations *sbx_registry_operations(struct sbx_registry *r, struct sbx_sandbox *sb);
