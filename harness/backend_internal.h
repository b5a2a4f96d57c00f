/* Between backend.c (specs, dispatch) and its adapters. */
#pragma once

#include <limits.h>

#include "backend.h"
#include "template.h"

struct cJSON;

struct sbx_backend_ops
{
  int (*open)(struct sbx_backend *b, struct sbx_error *err);
  void (*close)(struct sbx_backend *b);
  int (*exec)(struct sbx_backend *b, enum sbx_bctx ctx, const struct sbx_bexec *req, struct sbx_bresult *res,
              struct sbx_error *err);
  int (*start)(struct sbx_backend *b, enum sbx_bctx ctx, const struct sbx_bexec *req, char **handle,
               struct sbx_error *err);
  int (*stop)(struct sbx_backend *b, enum sbx_bctx ctx, const char *handle, long grace_ms, struct sbx_error *err);
  int (*write)(struct sbx_backend *b, const char *rel, const void *data, size_t len, struct sbx_error *err);
  int (*read)(struct sbx_backend *b, const char *rel, char **data, size_t *len, struct sbx_error *err);
  int (*request)(struct sbx_backend *b, const char *section, const char *method, const char *tail,
                 const struct cJSON *body, long *status, struct cJSON **doc, struct sbx_error *err);
  /* The secrets of today's SDK: env of the whole sandbox (setEnvVars). */
  int (*set_sandbox_env)(struct sbx_backend *b, const char *const *env, struct sbx_error *err);
  /* Optional: tenant B, a second sandbox beside an open one (the peer has its
   * variables, workdir included); 1 when the spec makes only one. */
  int (*open_peer)(struct sbx_backend *peer, struct sbx_error *err);
  /* Optional: deletes the sandbox now, its answer checked (close deletes it too, unchecked). */
  int (*delete_sandbox)(struct sbx_backend *b, struct sbx_error *err);
};

struct sbx_backend
{
  struct sbx_backend_info info;
  struct cJSON *spec;
  const struct sbx_backend_ops *ops;
  bool opened;
  bool peer; /* tenant B of another open backend: its server and workdir are that one's */
  char workdir[256];
  char shared_host[PATH_MAX];
  char socket[128];
  char uid[16];
  char port[8]; /* a free loopback port, picked at open: {port} */
  struct sbx_vars vars; /* workdir, shared_host, socket, splitbox, uid, sandbox, ... */
  char *shared_user, *shared_platform, *private_path;
  char *api_endpoint; /* http: the spec's endpoint, expanded */
  void *impl;
};

extern const struct sbx_backend_ops sbx_command_backend_ops;
extern const struct sbx_backend_ops sbx_http_backend_ops;

/* A spec's string field, expanded with the backend's variables; NULL when absent. */
char *sbx_backend_expand_field(struct sbx_backend *b, const struct cJSON *obj, const char *name, struct sbx_error *err);
/* A spec's array of strings (an argv template), as a NULL-terminated vector of borrowed strings. */
const char **sbx_backend_string_array(const struct cJSON *arr);
/* Runs the spec's argv lists (setup, teardown) on the host. */
int sbx_backend_run_steps(struct sbx_backend *b, const char *field, struct sbx_error *err);
/* The environment the harness gives wrappers and servers: its own PATH, HOME, LANG and TERM. */
char **sbx_backend_minimal_env(const char *const *extra);
/* A relative path inside the shared dir: no "..", not absolute, not empty. */
bool sbx_backend_rel_ok(const char *rel);
