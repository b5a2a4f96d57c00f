/* A backend: anything that runs commands in a user context and a platform
 * context with a directory shared between them. The audit, the conformance
 * suite and the benchmarks drive every sandbox through this interface only.
 *
 * Two adapters implement it, both configured by a JSON spec
 * (fixtures/backends/NAME.json): "command" (argv templates, backend_command.c)
 * and "http" (a server speaking the Cloudflare Sandbox container API,
 * backend_http.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "backend_result.h"
#include "splitbox-error.h"

struct cJSON;

enum sbx_bctx
{
  SBX_BCTX_USER,
  SBX_BCTX_PLATFORM,
};

struct sbx_bexec
{
  const char *command;    /* run by /bin/sh -c */
  const char *const *env; /* NAME=VALUE, NULL-terminated */
  const char *cwd;        /* NULL: the context's default */
  long long timeout_ms;   /* 0: none */
};

struct sbx_backend;

/* What a spec says about its backend, and whether it can run here. */
struct sbx_backend_info
{
  char name[64];
  char kind[16];          /* command, http */
  char description[512];
  char path[4096];        /* the spec file */
  bool available;
  char reason[512];       /* why not, when not available */
  bool sandbox_env;       /* env given to one exec reaches later ones of both contexts (today's SDK) */
  bool persistent_user;   /* the user context outlives an exec (one sandbox), or each exec is fresh */
  bool positive_control;  /* the audit's control: leaks are expected and required here */
};

/* NAME (fixtures/backends/NAME.json, or $SPLITBOX_BACKENDS/NAME.json) or a
 * path to a spec. Loading checks the spec and the backend's requirements;
 * an unavailable backend loads, says why, and refuses to open. */
int sbx_backend_load(const char *name_or_path, struct sbx_backend **out, struct sbx_error *err);
const struct sbx_backend_info *sbx_backend_info(const struct sbx_backend *b);
/* Every spec in the backends directory, sorted by name. */
int sbx_backend_list(char ***names, struct sbx_error *err);
/* Where specs are found: $SPLITBOX_BACKENDS, else the source tree's or the install's fixtures/backends. */
const char *sbx_backends_dir(void);

/* Runs setup (e.g. starts a daemon) in a fresh work directory. */
int sbx_backend_open(struct sbx_backend *b, struct sbx_error *err);
/* Tenant B, for the cross-tenant rows: a second sandbox of the backend b
 * (open), as another customer's would be. An http spec with
 * "sandbox"."create" makes another sandbox on b's server; a spec with
 * "secondSandbox": "instance" is opened a second time. 0 with *peer open
 * (close it before b: its sandbox is deleted then); 1 when the backend has
 * one sandbox (*peer NULL); -1 when the second sandbox could not be made. */
int sbx_backend_open_peer(struct sbx_backend *b, struct sbx_backend **peer, struct sbx_error *err);
/* Closes tenant B; an http peer's sandbox is deleted first, and -1 says the server refused. */
int sbx_backend_close_peer(struct sbx_backend *peer, struct sbx_error *err);
/* Stops every process started, runs teardown, removes the work directory. Also frees b. */
void sbx_backend_close(struct sbx_backend *b);

/* Returns 0 when the command ran (whatever its exit code); a timeout is
 * res->timed_out with 0. -1 when the backend could not run it. */
int sbx_backend_exec(struct sbx_backend *b, enum sbx_bctx ctx, const struct sbx_bexec *req, struct sbx_bresult *res,
                     struct sbx_error *err);
/* A background process; *handle names it for sbx_backend_stop. */
int sbx_backend_start(struct sbx_backend *b, enum sbx_bctx ctx, const struct sbx_bexec *req, char **handle,
                      struct sbx_error *err);
/* SIGTERM, then SIGKILL after grace_ms; waits until it is gone. */
int sbx_backend_stop(struct sbx_backend *b, enum sbx_bctx ctx, const char *handle, long grace_ms,
                     struct sbx_error *err);
/* Files in the shared directory, by a path relative to it. */
int sbx_backend_write(struct sbx_backend *b, const char *rel, const void *data, size_t len, struct sbx_error *err);
int sbx_backend_read(struct sbx_backend *b, const char *rel, char **data, size_t *len, struct sbx_error *err);
/* Today's SDK gives secrets to the whole sandbox (setEnvVars): later execs of
 * both contexts see them. Only for specs with "secrets": "sandbox". Returns 1
 * when that made a fresh sandbox (its shared dir is empty again), else 0. */
int sbx_backend_set_sandbox_env(struct sbx_backend *b, const char *const *env, struct sbx_error *err);
/* The container API itself, for what the interface above does not cover
 * (processes, per-context files, operations): METHOD on the spec's SECTION
 * prefix ("user", "platform", "files", "operations") + "/" + tail, or on
 * tail alone when section is NULL. *doc is the JSON answer, whatever the
 * status. Only http backends have it (NOT_SUPPORTED otherwise). */
int sbx_backend_request(struct sbx_backend *b, const char *section, const char *method, const char *tail,
                        const struct cJSON *body, long *status, struct cJSON **doc, struct sbx_error *err);
/* Features beyond the interface's core: "api" (sbx_backend_request),
 * "operations" (the spec has an operations prefix), "persistent-user". */
bool sbx_backend_has(const struct sbx_backend *b, const char *feature);
#define SBX_E_NOT_SUPPORTED "NOT_SUPPORTED"

/* Where the shared directory appears inside a context. */
const char *sbx_backend_shared_path(const struct sbx_backend *b, enum sbx_bctx ctx);
/* Where the shared directory is on the host; NULL when the spec does not say
 * (a backend that keeps it elsewhere, such as a daemon's state dir). */
const char *sbx_backend_shared_host_path(const struct sbx_backend *b);
/* A directory private to the platform context, for the victim's files. */
const char *sbx_backend_private_path(const struct sbx_backend *b);
/* The executor API an http backend is driven through (its spec's "endpoint",
 * expanded: a socket path or a URL); NULL for other kinds. */
const char *sbx_backend_api_endpoint(const struct sbx_backend *b);
/* The run's work directory on the host, once opened (removed at close); NULL before. */
const char *sbx_backend_workdir(const struct sbx_backend *b);

/* Paths of the harness's tools, "splitbox" (the CLI), "splitbox-probe" and
 * "splitbox-victim": $SPLITBOX_CLI, $SBX_PROBE, $SBX_VICTIM, else beside this
 * program (an install) or in the build tree. NULL when not found. */
const char *sbx_harness_tool(const char *name);

const char *sbx_bctx_name(enum sbx_bctx ctx);
