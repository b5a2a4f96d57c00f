/* The "command" adapter: each exec is one wrapper command line from the
 * spec's argv template for its context (bwrap ..., firejail ..., unshare ...,
 * or plain sh -c). The shared directory is a host directory. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend_internal.h"
#include "cleanup.h"
#include "error.h"
#include "run.h"

/* From libsplitbox-core. */
int sbx_openat2(int dirfd, const char *path, struct open_how *how);
int sbx_write_all(int fd, const void *buf, size_t len);

#define MAX_STARTED 256

struct command_impl
{
  char **sandbox_env; /* setEnvVars of today's SDK */
  /* Threads of one harness (the bench's rounds) start and stop at once. */
  pthread_mutex_t lock;
  pid_t started[MAX_STARTED];
  size_t n_started, n_logs;
};

static int cmd_open(struct sbx_backend *b, struct sbx_error *err)
{
  if (b->shared_host[0] == '\0')
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "%s: a command backend needs \"shared\": {\"host\": ...}",
                         b->info.name);
  struct command_impl *c = calloc(1, sizeof *c);

  if (c == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "backend");
  pthread_mutex_init(&c->lock, NULL);
  b->impl = c;
  return 0;
}

static void cmd_close(struct sbx_backend *b)
{
  struct command_impl *c = b->impl;

  if (c == NULL)
    return;
  for (size_t i = 0; i < c->n_started; i++)
    sbx_run_stop(c->started[i], 500);
  sbx_strvfreep(&c->sandbox_env);
  pthread_mutex_destroy(&c->lock);
  free(c);
  b->impl = NULL;
}

/* NAME=VALUE lists, concatenated: later entries of a name win in execve's eyes
 * only by position, so callers put the call's own last. */
static char **concat(const char *const *a, const char *const *b2, const char *const *c)
{
  const char *const *lists[3] = { a, b2, c };
  size_t n = 0, k = 0;
  char **v;

  for (int l = 0; l < 3; l++)
    for (const char *const *e = lists[l]; e != NULL && *e != NULL; e++)
      n++;
  if ((v = calloc(n + 1, sizeof(char *))) == NULL)
    return NULL;
  for (int l = 0; l < 3; l++)
    for (const char *const *e = lists[l]; e != NULL && *e != NULL; e++)
      if ((v[k] = strdup(*e)) != NULL)
        k++;
  return v;
}

extern char **environ;

static bool mentions(const char *const *tmpl, const char *placeholder)
{
  for (const char *const *t = tmpl; *t != NULL; t++)
    if (strstr(*t, placeholder) != NULL)
      return true;
  return false;
}

/* The wrapper's argv and environment for one command. */
static int build(struct sbx_backend *b, enum sbx_bctx ctx, const struct sbx_bexec *req, char ***argv_out,
                 char ***envp_out, struct sbx_error *err)
{
  struct command_impl *c = b->impl;
  const cJSON *spec = cJSON_GetObjectItemCaseSensitive(b->spec, sbx_bctx_name(ctx));
  const cJSON *argv_spec = cJSON_GetObjectItemCaseSensitive(spec, "argv");
  const cJSON *env_spec = cJSON_GetObjectItemCaseSensitive(spec, "env");
  const cJSON *base_spec = cJSON_GetObjectItemCaseSensitive(spec, "baseEnv");
  _cleanup_free_ const char **tmpl = sbx_backend_string_array(argv_spec);
  _cleanup_free_ const char **each = cJSON_IsArray(env_spec) ? sbx_backend_string_array(env_spec) : NULL;
  _cleanup_free_ char *command = NULL, *prog = NULL;
  _cleanup_strv_ char **call_env = NULL, **base = NULL, **argv = NULL;
  struct sbx_vars v = b->vars;
  bool env_in_args = cJSON_IsArray(env_spec);
  const char *base_kind = cJSON_IsString(base_spec) ? base_spec->valuestring : "minimal";

  if (tmpl == NULL || tmpl[0] == NULL || (env_spec != NULL && !env_in_args && !cJSON_IsString(env_spec)))
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION,
                         "%s: \"%s\" needs \"argv\" (an array of strings) and \"env\" (\"environ\" or an argv template)",
                         b->info.name, sbx_bctx_name(ctx));
  /* No {cwd} in the template: the command changes directory itself. */
  if (req->cwd != NULL && !mentions(tmpl, "{cwd}"))
    {
      _cleanup_free_ char *quoted = sbx_shell_quote(req->cwd);
      if (quoted == NULL || asprintf(&command, "cd %s || exit 1; %s", quoted, req->command) < 0)
        return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "command");
    }
  else if ((command = strdup(req->command)) == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "command");
  sbx_vars_set(&v, "command", command);
  sbx_vars_set(&v, "cwd", req->cwd != NULL ? req->cwd : sbx_backend_shared_path(b, ctx));
  call_env = concat(c->sandbox_env != NULL ? (const char *const *)c->sandbox_env : NULL, req->env, NULL);
  if (strcmp(base_kind, "harness") == 0)
    base = concat((const char *const *)environ, NULL, NULL);
  else if (strcmp(base_kind, "none") == 0)
    base = calloc(1, sizeof(char *));
  else
    base = sbx_backend_minimal_env(NULL);
  if (call_env == NULL || base == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "env");
  argv = sbx_template_argv(tmpl, &v, env_in_args ? (const char *const *)call_env : NULL, each, err);
  if (argv == NULL)
    return sbx_error_prefix(err, "%s", b->info.name);
  if ((prog = sbx_which(argv[0])) == NULL)
    return sbx_error_set(err, ENOENT, SBX_E_FILE_NOT_FOUND, "%s: no program %s", b->info.name, argv[0]);
  free(argv[0]);
  argv[0] = steal_pointer(&prog);
  *envp_out = env_in_args ? steal_pointer(&base)
                          : concat((const char *const *)base, (const char *const *)call_env, NULL);
  if (*envp_out == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "env");
  *argv_out = steal_pointer(&argv);
  return 0;
}

static int cmd_exec(struct sbx_backend *b, enum sbx_bctx ctx, const struct sbx_bexec *req, struct sbx_bresult *res,
                    struct sbx_error *err)
{
  _cleanup_strv_ char **argv = NULL, **envp = NULL;

  if (build(b, ctx, req, &argv, &envp, err) < 0 || sbx_run(argv, envp, req->timeout_ms, res, err) < 0)
    return -1;
  res->success = res->exit_code == 0 && !res->timed_out;
  return 0;
}

static int cmd_start(struct sbx_backend *b, enum sbx_bctx ctx, const struct sbx_bexec *req, char **handle,
                     struct sbx_error *err)
{
  struct command_impl *c = b->impl;
  _cleanup_strv_ char **argv = NULL, **envp = NULL;
  char log[sizeof b->workdir + sizeof "/started-.log" + 20]; /* 20: the digits of any size_t */
  bool full;
  pid_t pid;

  pthread_mutex_lock(&c->lock);
  full = c->n_started == MAX_STARTED;
  /* A log of its own: numbered by starts, not by what runs now. */
  snprintf(log, sizeof log, "%s/started-%zu.log", b->workdir, c->n_logs++);
  pthread_mutex_unlock(&c->lock);
  if (full)
    return sbx_error_set(err, EAGAIN, SBX_E_INTERNAL, "%s: too many background processes", b->info.name);
  if (build(b, ctx, req, &argv, &envp, err) < 0 || sbx_run_background(argv, envp, log, &pid, err) < 0)
    return -1;
  pthread_mutex_lock(&c->lock);
  full = c->n_started == MAX_STARTED;
  if (!full)
    c->started[c->n_started++] = pid;
  pthread_mutex_unlock(&c->lock);
  if (full)
    {
      sbx_run_stop(pid, 0);
      return sbx_error_set(err, EAGAIN, SBX_E_INTERNAL, "%s: too many background processes", b->info.name);
    }
  if (asprintf(handle, "%d", (int)pid) < 0)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "handle");
  return 0;
}

static int cmd_stop(struct sbx_backend *b, enum sbx_bctx ctx, const char *handle, long grace_ms, struct sbx_error *err)
{
  struct command_impl *c = b->impl;
  pid_t pid = (pid_t)atoi(handle);
  bool found = false;

  pthread_mutex_lock(&c->lock);
  for (size_t i = 0; i < c->n_started && !found; i++)
    if (c->started[i] == pid)
      {
        c->started[i] = c->started[--c->n_started];
        found = true;
      }
  pthread_mutex_unlock(&c->lock);
  if (found)
    {
      sbx_run_stop(pid, grace_ms);
      return 0;
    }
  return sbx_error_set(err, ESRCH, SBX_E_PROCESS_NOT_FOUND, "%s: no background process %s", b->info.name, handle);
}

/* Beneath the shared dir, following no symlink, and a regular file only
 * (O_NONBLOCK: a FIFO must not hang the harness): user code may have planted
 * anything where the harness, perhaps root, reads. */
static int open_shared(struct sbx_backend *b, const char *rel, int flags, struct sbx_error *err)
{
  struct open_how how = { .flags = (unsigned long long)(flags | O_CLOEXEC | O_NONBLOCK | O_NOCTTY),
                          .mode = (flags & O_CREAT) ? 0755 : 0,
                          .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
  _cleanup_close_ int dir = open(b->shared_host, O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct stat st;
  int fd;

  if (dir < 0)
    return sbx_error_errno(err, errno, SBX_E_INTERNAL, "open %s", b->shared_host);
  fd = sbx_openat2(dir, rel, &how);
  if (fd < 0)
    return sbx_error_errno(err, errno, sbx_error_code_for_errno(errno), "%s", rel);
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    {
      close(fd);
      return sbx_error_set(err, EINVAL, SBX_E_NOT_REGULAR, "%s is not a regular file", rel);
    }
  return fd;
}

/* A fresh file renamed into place: an existing name (a hard link, a device
 * user code put there) is replaced, never written through. */
static int cmd_write(struct sbx_backend *b, const char *rel, const void *data, size_t len, struct sbx_error *err)
{
  _cleanup_close_ int dir = open(b->shared_host, O_PATH | O_DIRECTORY | O_CLOEXEC);
  _cleanup_close_ int parent = -1, fd = -1;
  _cleanup_free_ char *dir_part = strdup(rel);
  char tmp[64];
  const char *base = strrchr(rel, '/') != NULL ? strrchr(rel, '/') + 1 : rel;
  struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                          .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };

  if (dir < 0 || dir_part == NULL)
    return sbx_error_errno(err, errno ? errno : ENOMEM, SBX_E_INTERNAL, "open %s", b->shared_host);
  if (strrchr(dir_part, '/') != NULL)
    *strrchr(dir_part, '/') = '\0';
  else
    strcpy(dir_part, ".");
  if ((parent = sbx_openat2(dir, dir_part, &how)) < 0)
    return sbx_error_errno(err, errno, sbx_error_code_for_errno(errno), "%s", rel);
  /* Unique per call: threads of one harness may write at once. */
  {
    static atomic_uint counter;
    snprintf(tmp, sizeof tmp, ".sbx-write-%d-%u", (int)getpid(), atomic_fetch_add(&counter, 1));
  }
  unlinkat(parent, tmp, 0);
  fd = openat(parent, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0755);
  /* Executable: staged tools must run in both contexts. */
  if (fd < 0 || fchmod(fd, 0755) != 0 || sbx_write_all(fd, data, len) != 0 || renameat(parent, tmp, parent, base) != 0)
    {
      int e = errno;
      unlinkat(parent, tmp, 0);
      return sbx_error_errno(err, e, SBX_E_INTERNAL, "write %s", rel);
    }
  return 0;
}

static int cmd_read(struct sbx_backend *b, const char *rel, char **data, size_t *len, struct sbx_error *err)
{
  _cleanup_close_ int fd = open_shared(b, rel, O_RDONLY, err);
  size_t cap = 0;
  ssize_t n;

  if (fd < 0)
    return -1;
  for (;;)
    {
      if (*len + 65536 + 1 > cap)
        {
          char *grown = cap > 64u * 1024 * 1024 ? NULL : realloc(*data, cap = cap * 2 + 65536 + 1);
          if (grown == NULL)
            {
              free(*data);
              *data = NULL;
              return sbx_error_set(err, EFBIG, SBX_E_TOO_LARGE, "%s is too large", rel);
            }
          *data = grown;
        }
      n = sbx_read_retry(fd, *data + *len, 65536);
      if (n < 0)
        return sbx_error_errno(err, errno, SBX_E_INTERNAL, "read %s", rel);
      if (n == 0)
        break;
      *len += (size_t)n;
    }
  (*data)[*len] = '\0';
  return 0;
}

static int cmd_set_sandbox_env(struct sbx_backend *b, const char *const *env, struct sbx_error *err)
{
  struct command_impl *c = b->impl;

  sbx_strvfreep(&c->sandbox_env);
  c->sandbox_env = sbx_strv_dup(env);
  return c->sandbox_env != NULL ? 0 : sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "env");
}

const struct sbx_backend_ops sbx_command_backend_ops = {
  .open = cmd_open,
  .close = cmd_close,
  .exec = cmd_exec,
  .start = cmd_start,
  .stop = cmd_stop,
  .write = cmd_write,
  .read = cmd_read,
  .set_sandbox_env = cmd_set_sandbox_env,
};
