/* Backend specs: finding, reading and checking them, and dispatching to the
 * adapter the spec names. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend_internal.h"
#include "cleanup.h"
#include "error.h"
#include "run.h"

#ifndef SBX_LIBEXECDIR
#define SBX_LIBEXECDIR "/usr/local/libexec/splitbox"
#endif
#ifndef SBX_BINDIR
#define SBX_BINDIR "/usr/local/bin"
#endif
#ifndef SBX_DATADIR
#define SBX_DATADIR "/usr/local/share/splitbox"
#endif

/* ---- tools and directories ---- */

static char exe_dir[PATH_MAX];

static const char *self_dir(void)
{
  if (exe_dir[0] == '\0')
    {
      ssize_t n = readlink("/proc/self/exe", exe_dir, sizeof exe_dir - 1);
      char *slash;
      exe_dir[n > 0 ? n : 0] = '\0';
      if ((slash = strrchr(exe_dir, '/')) != NULL)
        *slash = '\0';
    }
  return exe_dir;
}

/* The source tree's fixtures/backends, when run from a build directory
 * (build/cli/splitbox, build/harness/tests/...). */
static bool source_backends(char *out, size_t len)
{
  char path[PATH_MAX];
  struct stat st;

  snprintf(path, sizeof path, "%s", self_dir());
  for (int up = 0; up < 4; up++)
    {
      char candidate[PATH_MAX + 32];
      char *slash;
      snprintf(candidate, sizeof candidate, "%s/../fixtures/backends", path);
      if (stat(candidate, &st) == 0 && S_ISDIR(st.st_mode) && realpath(candidate, out) != NULL)
        return true;
      if ((slash = strrchr(path, '/')) == NULL)
        break;
      *slash = '\0';
    }
  (void)len;
  return false;
}

const char *sbx_backends_dir(void)
{
  static char dir[PATH_MAX];
  const char *env = getenv("SPLITBOX_BACKENDS");

  if (env != NULL && env[0] != '\0')
    return env;
  if (dir[0] == '\0' && !source_backends(dir, sizeof dir))
    {
      /* An install, where it was put (bin/../share/splitbox), else where it was configured to go. */
      char rel[PATH_MAX + 32];
      struct stat st;
      snprintf(rel, sizeof rel, "%s/../share/splitbox/backends", self_dir());
      if (!(stat(rel, &st) == 0 && S_ISDIR(st.st_mode) && realpath(rel, dir) != NULL))
        snprintf(dir, sizeof dir, "%s/backends", SBX_DATADIR);
    }
  return dir;
}

static bool executable_at(char *out, const char *dir, const char *up, const char *sub, const char *name)
{
  char path[PATH_MAX + 128];

  snprintf(path, sizeof path, "%s/%s%s%s%s", dir, up, sub, sub[0] != '\0' ? "/" : "", name);
  return access(path, X_OK) == 0 && realpath(path, out) != NULL;
}

/* A tool of this project, from the running binary (/proc/self/exe) outwards: its own path when it is the
 * tool, beside it (an install's bindir, or the same build folder), the build tree's layout (build/cli,
 * build/attacks, build/conformance, from any folder of the build), an install's libexec relative to it, then
 * the configured prefix's bindir and libexecdir. $VAR first, for tests and odd layouts. */
const char *sbx_harness_tool(const char *name)
{
  static const struct
  {
    const char *name, *env, *build_subdir;
  } tools[] = {
    { "splitbox", "SPLITBOX_CLI", "cli" },
    { "splitbox-probe", "SBX_PROBE", "attacks" },
    { "splitbox-victim", "SBX_VICTIM", "attacks" },
    { "splitbox-conformance", "SPLITBOX_CONFORMANCE", "conformance" },
  };
  static char found[4][PATH_MAX];

  for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
    {
      const char *env, *dir = self_dir(), *sub = tools[i].build_subdir;
      char self[PATH_MAX];
      ssize_t n;

      if (strcmp(tools[i].name, name) != 0)
        continue;
      if (found[i][0] != '\0')
        return found[i];
      env = getenv(tools[i].env);
      if (env != NULL && env[0] != '\0')
        {
          snprintf(found[i], sizeof found[i], "%s", env);
          return found[i];
        }
      if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) > 0)
        {
          self[n] = '\0';
          if (strcmp(strrchr(self, '/') != NULL ? strrchr(self, '/') + 1 : self, name) == 0)
            {
              snprintf(found[i], sizeof found[i], "%s", self);
              return found[i];
            }
        }
      if (executable_at(found[i], dir, "", "", name) || executable_at(found[i], dir, "../", sub, name)
          || executable_at(found[i], dir, "../../", sub, name) || executable_at(found[i], dir, "../../../", sub, name)
          || executable_at(found[i], dir, "../", "libexec/splitbox", name)
          || executable_at(found[i], SBX_BINDIR, "", "", name) || executable_at(found[i], SBX_LIBEXECDIR, "", "", name))
        return found[i];
      found[i][0] = '\0';
      return NULL;
    }
  return NULL;
}

/* ---- spec helpers ---- */

const char **sbx_backend_string_array(const cJSON *arr)
{
  const char **v;
  const cJSON *item;
  size_t n = 0;

  if (!cJSON_IsArray(arr) || (v = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(char *))) == NULL)
    return NULL;
  cJSON_ArrayForEach(item, arr)
    {
      if (!cJSON_IsString(item))
        {
          free(v);
          return NULL;
        }
      v[n++] = item->valuestring;
    }
  return v;
}

char *sbx_backend_expand_field(struct sbx_backend *b, const cJSON *obj, const char *name, struct sbx_error *err)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

  if (!cJSON_IsString(item))
    return NULL;
  return sbx_template_expand(item->valuestring, &b->vars, err);
}

char **sbx_backend_minimal_env(const char *const *extra)
{
  static const char *const keep[] = { "PATH", "HOME", "LANG", "TERM" };
  size_t n = 0, n_extra = 0;
  char **env;

  while (extra != NULL && extra[n_extra] != NULL)
    n_extra++;
  env = calloc(sizeof keep / sizeof keep[0] + n_extra + 1, sizeof(char *));
  if (env == NULL)
    return NULL;
  for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
    {
      const char *v = getenv(keep[i]);
      if (v == NULL && strcmp(keep[i], "PATH") == 0)
        v = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
      if (v != NULL && asprintf(&env[n], "%s=%s", keep[i], v) >= 0)
        n++;
    }
  for (size_t i = 0; i < n_extra; i++)
    if ((env[n] = strdup(extra[i])) != NULL)
      n++;
  return env;
}

bool sbx_backend_rel_ok(const char *rel)
{
  if (rel == NULL || rel[0] == '\0' || rel[0] == '/')
    return false;
  for (const char *p = rel; *p != '\0'; p = strchr(p, '/') != NULL ? strchr(p, '/') + 1 : p + strlen(p))
    if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0'))
      return false;
  return true;
}

int sbx_backend_run_steps(struct sbx_backend *b, const char *field, struct sbx_error *err)
{
  const cJSON *steps = cJSON_GetObjectItemCaseSensitive(b->spec, field), *step;

  cJSON_ArrayForEach(step, steps)
    {
      _cleanup_free_ const char **tmpl = sbx_backend_string_array(step);
      _cleanup_strv_ char **argv = NULL, **envp = sbx_backend_minimal_env(NULL);
      _cleanup_free_ char *prog = NULL;
      struct sbx_bresult res;

      if (tmpl == NULL || tmpl[0] == NULL)
        return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "%s: \"%s\" holds a step that is not an argv array",
                             b->info.name, field);
      if ((argv = sbx_template_argv(tmpl, &b->vars, NULL, NULL, err)) == NULL)
        return sbx_error_prefix(err, "%s: %s", b->info.name, field);
      if ((prog = sbx_which(argv[0])) == NULL)
        return sbx_error_set(err, ENOENT, SBX_E_FILE_NOT_FOUND, "%s: %s: no program %s", b->info.name, field, argv[0]);
      free(argv[0]);
      argv[0] = steal_pointer(&prog);
      if (sbx_run(argv, envp, 60000, &res, err) < 0)
        return sbx_error_prefix(err, "%s: %s", b->info.name, field);
      if (res.exit_code != 0 || res.timed_out)
        {
          sbx_error_set(err, EIO, SBX_E_SANDBOX, "%s: %s: %s exited %d: %.200s", b->info.name, field, argv[0],
                        res.exit_code, res.err);
          sbx_bresult_free(&res);
          return -1;
        }
      sbx_bresult_free(&res);
    }
  return 0;
}

/* ---- requirements ---- */

/* Can this process make a user namespace? Tried, in a child. */
static bool userns_works(void)
{
  pid_t pid = fork();
  int status;

  if (pid == 0)
    _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
  return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void check_requirements(struct sbx_backend *b)
{
  const cJSON *reqs = cJSON_GetObjectItemCaseSensitive(b->spec, "requires"), *req;
  char *why = b->info.reason;
  size_t len = sizeof b->info.reason;

  b->info.available = true;
  cJSON_ArrayForEach(req, reqs)
    {
      const char *r = cJSON_IsString(req) ? req->valuestring : "";
      _cleanup_free_ char *found = NULL;

      if (strcmp(r, "root") == 0)
        {
          if (geteuid() != 0)
            {
              snprintf(why, len, "needs root (it drops to another uid itself)");
              b->info.available = false;
            }
        }
      else if (strcmp(r, "userns") == 0)
        {
          if (!userns_works())
            {
              snprintf(why, len, "needs user namespaces, and this process cannot make one");
              b->info.available = false;
            }
        }
      else if (strncmp(r, "env:", 4) == 0)
        {
          const char *v = getenv(r + 4);
          if (v == NULL || v[0] == '\0')
            {
              snprintf(why, len, "needs $%s (e.g. the URL of the server to audit)", r + 4);
              b->info.available = false;
            }
        }
      else if (r[0] == '{')
        {
          /* A tool of the harness: {splitbox}. */
          const char *value = sbx_vars_get(&b->vars, strncmp(r, "{splitbox}", 10) == 0 ? "splitbox" : "");
          if (value == NULL || value[0] == '\0' || access(value, X_OK) != 0)
            {
              snprintf(why, len, "needs %s, which was not found (set SPLITBOX_CLI)", r);
              b->info.available = false;
            }
        }
      else if ((found = sbx_which(r)) == NULL)
        {
          snprintf(why, len, "needs %s, which is not installed (not in $PATH)", r);
          b->info.available = false;
        }
      if (!b->info.available)
        return;
    }
}

/* ---- loading ---- */

static char *read_text(const char *path, struct sbx_error *err)
{
  FILE *f = fopen(path, "re");
  char *buf = NULL;
  size_t len = 0, cap = 0, n;

  if (f == NULL)
    {
      sbx_error_errno(err, errno, errno == ENOENT ? SBX_E_FILE_NOT_FOUND : SBX_E_INTERNAL, "read %s", path);
      return NULL;
    }
  do
    {
      if (len + 4096 + 1 > cap)
        {
          char *grown = realloc(buf, cap = cap * 2 + 8192);
          if (grown == NULL)
            {
              free(buf);
              fclose(f);
              sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "read %s", path);
              return NULL;
            }
          buf = grown;
        }
      n = fread(buf + len, 1, 4096, f);
      len += n;
    }
  while (n > 0 && len < 1024 * 1024);
  fclose(f);
  buf[len] = '\0';
  return buf;
}

static bool valid_name(const char *name)
{
  if (name[0] == '\0' || strlen(name) > 63)
    return false;
  for (const char *p = name; *p != '\0'; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
      return false;
  return true;
}

static int spec_path(const char *name_or_path, char *out, size_t len, struct sbx_error *err)
{
  if (strchr(name_or_path, '/') != NULL || (strlen(name_or_path) > 5 && strcmp(name_or_path + strlen(name_or_path) - 5, ".json") == 0))
    snprintf(out, len, "%s", name_or_path);
  else if (!valid_name(name_or_path))
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "\"%.64s\" is neither a backend name nor a path to a spec",
                         name_or_path);
  else
    snprintf(out, len, "%s/%s.json", sbx_backends_dir(), name_or_path);
  return 0;
}

static bool flag(const cJSON *spec, const char *name)
{
  return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(spec, name));
}

static bool argv_has_command(const cJSON *argv)
{
  const cJSON *item;

  cJSON_ArrayForEach(item, argv)
    if (cJSON_IsString(item) && strstr(item->valuestring, "{command}") != NULL)
      return true;
  return false;
}

int sbx_backend_load(const char *name_or_path, struct sbx_backend **out, struct sbx_error *err)
{
  _cleanup_free_ char *text = NULL;
  struct sbx_backend *b;
  const cJSON *name, *kind, *desc, *secrets;
  char path[PATH_MAX];

  *out = NULL;
  if (spec_path(name_or_path, path, sizeof path, err) < 0 || (text = read_text(path, err)) == NULL)
    return -1;
  b = calloc(1, sizeof *b);
  if (b == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "backend");
  snprintf(b->info.path, sizeof b->info.path, "%s", path);
  b->spec = cJSON_Parse(text);
  name = cJSON_GetObjectItemCaseSensitive(b->spec, "name");
  kind = cJSON_GetObjectItemCaseSensitive(b->spec, "kind");
  desc = cJSON_GetObjectItemCaseSensitive(b->spec, "description");
  secrets = cJSON_GetObjectItemCaseSensitive(b->spec, "secrets");
  if (b->spec == NULL || !cJSON_IsObject(b->spec))
    {
      sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "%s: not a JSON object", path);
      goto fail;
    }
  if (!cJSON_IsString(name) || !valid_name(name->valuestring) || !cJSON_IsString(kind) || !cJSON_IsString(desc))
    {
      sbx_error_set(err, EINVAL, SBX_E_VALIDATION,
                    "%s: needs \"name\" (lower-case letters, digits, '-'), \"kind\" and \"description\"", path);
      goto fail;
    }
  snprintf(b->info.name, sizeof b->info.name, "%s", name->valuestring);
  snprintf(b->info.kind, sizeof b->info.kind, "%s", kind->valuestring);
  snprintf(b->info.description, sizeof b->info.description, "%s", desc->valuestring);
  if (strcmp(kind->valuestring, "command") == 0)
    b->ops = &sbx_command_backend_ops;
  else if (strcmp(kind->valuestring, "http") == 0)
    b->ops = &sbx_http_backend_ops;
  else
    {
      sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "%s: \"kind\" must be \"command\" or \"http\"", path);
      goto fail;
    }
  if (secrets != NULL && (!cJSON_IsString(secrets)
                          || (strcmp(secrets->valuestring, "call") != 0 && strcmp(secrets->valuestring, "sandbox") != 0)))
    {
      sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "%s: \"secrets\" must be \"call\" or \"sandbox\"", path);
      goto fail;
    }
  /* A wrapper that never runs the command runs no probe: its cells could only
   * look clean. Refused here, before any cell. */
  if (strcmp(kind->valuestring, "command") == 0)
    for (int c = 0; c < 2; c++)
      {
        const char *ctx = c == 0 ? "user" : "platform";
        if (!argv_has_command(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(b->spec, ctx), "argv")))
          {
            sbx_error_set(err, EINVAL, SBX_E_VALIDATION,
                          "%s: \"%s\".\"argv\" never runs the command: put \"{command}\" in one of its elements", path,
                          ctx);
            goto fail;
          }
      }
  b->info.sandbox_env = secrets != NULL && strcmp(secrets->valuestring, "sandbox") == 0;
  b->info.persistent_user = flag(b->spec, "persistentUser");
  b->info.positive_control = flag(b->spec, "positiveControl");
  snprintf(b->uid, sizeof b->uid, "%u", (unsigned)geteuid());
  sbx_vars_set(&b->vars, "uid", b->uid);
  sbx_vars_set(&b->vars, "splitbox", sbx_harness_tool("splitbox") != NULL ? sbx_harness_tool("splitbox") : "");
  check_requirements(b);
  *out = b;
  return 0;
fail:
  cJSON_Delete(b->spec);
  free(b);
  return -1;
}

const struct sbx_backend_info *sbx_backend_info(const struct sbx_backend *b)
{
  return &b->info;
}

static int compare_names(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int sbx_backend_list(char ***names, struct sbx_error *err)
{
  DIR *d = opendir(sbx_backends_dir());
  struct dirent *de;
  char **v = NULL;
  size_t n = 0;

  *names = NULL;
  if (d == NULL)
    return sbx_error_errno(err, errno, SBX_E_FILE_NOT_FOUND, "backends directory %s", sbx_backends_dir());
  while ((de = readdir(d)) != NULL)
    {
      size_t len = strlen(de->d_name);
      char **grown;
      if (len <= 5 || strcmp(de->d_name + len - 5, ".json") != 0)
        continue;
      if ((grown = realloc(v, (n + 2) * sizeof(char *))) == NULL)
        break;
      v = grown;
      if ((v[n] = strndup(de->d_name, len - 5)) != NULL)
        n++;
      v[n] = NULL;
    }
  closedir(d);
  if (v != NULL)
    qsort(v, n, sizeof(char *), compare_names);
  *names = v != NULL ? v : calloc(1, sizeof(char *));
  return 0;
}

/* ---- lifecycle and dispatch ---- */

/* A loopback port nobody listens on now, for a server the spec starts ({port}). Another program may take it
 * before the server binds: the server then fails to start, and the open says so. */
static int free_port(char *out, size_t len, struct sbx_error *err)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t alen = sizeof addr;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0
      || getsockname(fd, (struct sockaddr *)&addr, &alen) < 0)
    {
      int e = errno;
      if (fd >= 0)
        close(fd);
      return sbx_error_errno(err, e, SBX_E_INTERNAL, "pick a free loopback port for {port}");
    }
  close(fd);
  snprintf(out, len, "%u", (unsigned)ntohs(addr.sin_port));
  return 0;
}

/* Backends opened and not closed yet, closed at exit: a caller that ends early (a failed assertion of a
 * conformance test, which ends its process) leaves no server and no work directory behind. */
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sbx_backend *open_list[64];

static void close_leftovers(void)
{
  for (size_t i = 0; i < sizeof open_list / sizeof open_list[0]; i++)
    if (open_list[i] != NULL)
      sbx_backend_close(open_list[i]);
}

static void track(struct sbx_backend *b, bool add)
{
  static bool registered;

  pthread_mutex_lock(&open_lock);
  if (add && !registered)
    registered = atexit(close_leftovers) == 0;
  for (size_t i = 0; i < sizeof open_list / sizeof open_list[0]; i++)
    if (add ? open_list[i] == NULL : open_list[i] == b)
      {
        open_list[i] = add ? b : NULL;
        break;
      }
  pthread_mutex_unlock(&open_lock);
}

/* The shared and private paths, once the sandbox is there. */
static int expand_paths(struct sbx_backend *b, struct sbx_error *err)
{
  const cJSON *shared = cJSON_GetObjectItemCaseSensitive(b->spec, "shared");

  b->shared_user = sbx_backend_expand_field(b, shared, "user", err);
  b->shared_platform = sbx_backend_expand_field(b, shared, "platform", err);
  b->private_path = sbx_backend_expand_field(b, b->spec, "private", err);
  if (b->shared_user == NULL || b->shared_platform == NULL || b->private_path == NULL)
    {
      char prev_message[sizeof err->message];
      snprintf(prev_message, sizeof prev_message, "%s", err->message);
      return sbx_error_set(err, EINVAL, SBX_E_VALIDATION,
                           "%s: needs \"shared\" with \"user\" and \"platform\" paths, and \"private\"%s%s", b->info.name,
                           prev_message[0] ? ": " : "", prev_message);
    }
  return 0;
}

int sbx_backend_open(struct sbx_backend *b, struct sbx_error *err)
{
  const cJSON *shared = cJSON_GetObjectItemCaseSensitive(b->spec, "shared");
  _cleanup_free_ char *host = NULL;

  if (!b->info.available)
    return sbx_error_set(err, ENOTSUP, SBX_E_NO_NAMESPACES, "%s is not available here: %s", b->info.name,
                         b->info.reason);
  {
    /* Some wrappers hide /tmp (firejail's private-tmp): a spec may put its work elsewhere. */
    const cJSON *base = cJSON_GetObjectItemCaseSensitive(b->spec, "workdirBase");
    const char *dir = cJSON_IsString(base) ? base->valuestring : "/tmp";
    if (dir[0] != '/' || strlen(dir) > 180)
      return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "%s: \"workdirBase\" must be an absolute path", b->info.name);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
      return sbx_error_errno(err, errno, SBX_E_INTERNAL, "create %s", dir);
    snprintf(b->workdir, sizeof b->workdir, "%s/sbx-audit-XXXXXX", dir);
  }
  if (mkdtemp(b->workdir) == NULL)
    return sbx_error_errno(err, errno, SBX_E_INTERNAL, "work directory %s", b->workdir);
  /* Private to the harness: a local user who could write the shared dir could
   * plant tools there that platform commands run. A spec whose wrapper drops
   * to another uid opens it for traversal only ("workdirMode": "0711"). */
  {
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(b->spec, "workdirMode");
    if (mode != NULL && !(cJSON_IsString(mode) && strcmp(mode->valuestring, "0711") == 0))
      return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "%s: \"workdirMode\" may only be \"0711\"", b->info.name);
    chmod(b->workdir, mode != NULL ? 0711 : 0700);
  }
  sbx_vars_set(&b->vars, "workdir", b->workdir);
  /* A unix socket's path is short (sun_path): a long workdirBase cannot have one. */
  if ((size_t)snprintf(b->socket, sizeof b->socket, "%s/api.sock", b->workdir) >= sizeof b->socket)
    {
      rmdir(b->workdir);
      return sbx_error_set(err, ENAMETOOLONG, SBX_E_VALIDATION, "%s: the work directory %s is too long for a socket",
                           b->info.name, b->workdir);
    }
  sbx_vars_set(&b->vars, "socket", b->socket);
  if (free_port(b->port, sizeof b->port, err) < 0)
    {
      rmdir(b->workdir);
      return -1;
    }
  sbx_vars_set(&b->vars, "port", b->port);
  host = sbx_backend_expand_field(b, shared, "host", err);
  if ((size_t)snprintf(b->shared_host, sizeof b->shared_host, "%s", host != NULL ? host : "") >= sizeof b->shared_host)
    {
      rmdir(b->workdir);
      return sbx_error_set(err, ENAMETOOLONG, SBX_E_VALIDATION, "%s: the shared directory's path is too long",
                           b->info.name);
    }
  sbx_vars_set(&b->vars, "shared_host", b->shared_host);
  if (host != NULL && (mkdir(b->shared_host, 0777) != 0 && errno != EEXIST))
    return sbx_error_errno(err, errno, SBX_E_INTERNAL, "create %s", b->shared_host);
  if (host != NULL)
    chmod(b->shared_host, 0777); /* user contexts of other uids write here too */
  b->opened = true;
  track(b, true);
  if (sbx_backend_run_steps(b, "setup", err) < 0 || b->ops->open(b, err) < 0)
    return -1;
  return expand_paths(b, err);
}

/* Tenant B of an http spec: b's variables (its workdir, socket, port, which
 * the spec's endpoint is made of), and a sandbox of its own from the adapter. */
static int open_http_peer(struct sbx_backend *b, struct sbx_backend *peer, struct sbx_error *err)
{
  int r;

  snprintf(peer->workdir, sizeof peer->workdir, "%s", b->workdir);
  snprintf(peer->socket, sizeof peer->socket, "%s", b->socket);
  snprintf(peer->port, sizeof peer->port, "%s", b->port);
  snprintf(peer->shared_host, sizeof peer->shared_host, "%s", b->shared_host);
  sbx_vars_set(&peer->vars, "workdir", peer->workdir);
  sbx_vars_set(&peer->vars, "socket", peer->socket);
  sbx_vars_set(&peer->vars, "port", peer->port);
  sbx_vars_set(&peer->vars, "shared_host", peer->shared_host);
  peer->opened = true;
  peer->peer = true;
  track(peer, true);
  if ((r = peer->ops->open_peer(peer, err)) != 0)
    return r;
  return expand_paths(peer, err);
}

int sbx_backend_close_peer(struct sbx_backend *peer, struct sbx_error *err)
{
  int r = 0;

  if (peer == NULL)
    return 0;
  if (peer->peer && peer->ops->delete_sandbox != NULL)
    r = peer->ops->delete_sandbox(peer, err);
  sbx_backend_close(peer);
  return r;
}

int sbx_backend_open_peer(struct sbx_backend *b, struct sbx_backend **out, struct sbx_error *err)
{
  const char *second = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b->spec, "secondSandbox"));
  struct sbx_backend *peer = NULL;
  int r;

  *out = NULL;
  if (second != NULL && strcmp(second, "instance") != 0)
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "%s: \"secondSandbox\" may only be \"instance\"", b->info.name);
  if (second == NULL && b->ops->open_peer == NULL)
    return 1;
  if (sbx_backend_load(b->info.path, &peer, err) < 0)
    return sbx_error_prefix(err, "the second sandbox");
  /* A spec that says a second instance of itself is a second sandbox (of another tenant): opened again. */
  r = second != NULL ? sbx_backend_open(peer, err) : open_http_peer(b, peer, err);
  if (r != 0)
    {
      sbx_backend_close(peer);
      return r < 0 ? sbx_error_prefix(err, "the second sandbox") : 1;
    }
  *out = peer;
  return 0;
}

void sbx_backend_close(struct sbx_backend *b)
{
  struct sbx_error err = { 0 };

  if (b == NULL)
    return;
  if (b->opened)
    {
      track(b, false);
      b->ops->close(b);
      /* A peer's server, setup and workdir are the backend's it was made beside. */
      if (!b->peer)
        sbx_backend_run_steps(b, "teardown", &err);
      if (b->workdir[0] != '\0' && !b->peer)
        {
          char *argv[] = { (char *)"/bin/rm", (char *)"-rf", "--one-file-system", b->workdir, NULL };
          char *envp[] = { NULL };
          struct sbx_bresult res;
          if (sbx_run(argv, envp, 60000, &res, &err) == 0)
            sbx_bresult_free(&res);
        }
    }
  free(b->shared_user);
  free(b->shared_platform);
  free(b->private_path);
  free(b->api_endpoint);
  cJSON_Delete(b->spec);
  free(b);
}

int sbx_backend_exec(struct sbx_backend *b, enum sbx_bctx ctx, const struct sbx_bexec *req, struct sbx_bresult *res,
                     struct sbx_error *err)
{
  memset(res, 0, sizeof *res);
  return b->ops->exec(b, ctx, req, res, err);
}

int sbx_backend_start(struct sbx_backend *b, enum sbx_bctx ctx, const struct sbx_bexec *req, char **handle,
                      struct sbx_error *err)
{
  *handle = NULL;
  return b->ops->start(b, ctx, req, handle, err);
}

int sbx_backend_stop(struct sbx_backend *b, enum sbx_bctx ctx, const char *handle, long grace_ms,
                     struct sbx_error *err)
{
  return b->ops->stop(b, ctx, handle, grace_ms, err);
}

int sbx_backend_write(struct sbx_backend *b, const char *rel, const void *data, size_t len, struct sbx_error *err)
{
  if (!sbx_backend_rel_ok(rel))
    return sbx_error_set(err, EINVAL, SBX_E_PATH_OUTSIDE_ROOT, "\"%s\" is not a path inside the shared dir", rel);
  return b->ops->write(b, rel, data, len, err);
}

int sbx_backend_read(struct sbx_backend *b, const char *rel, char **data, size_t *len, struct sbx_error *err)
{
  *data = NULL;
  *len = 0;
  if (!sbx_backend_rel_ok(rel))
    return sbx_error_set(err, EINVAL, SBX_E_PATH_OUTSIDE_ROOT, "\"%s\" is not a path inside the shared dir", rel);
  return b->ops->read(b, rel, data, len, err);
}

int sbx_backend_set_sandbox_env(struct sbx_backend *b, const char *const *env, struct sbx_error *err)
{
  if (!b->info.sandbox_env)
    return sbx_error_set(err, ENOTSUP, SBX_E_VALIDATION, "%s gives secrets per call, not to the whole sandbox",
                         b->info.name);
  int r = b->ops->set_sandbox_env(b, env, err);

  if (r < 0)
    return -1;
  /* A fresh sandbox may have its shared dir elsewhere (fallback mode: a host path). */
  {
    const cJSON *shared = cJSON_GetObjectItemCaseSensitive(b->spec, "shared");
    char *user = sbx_backend_expand_field(b, shared, "user", err);
    char *platform = sbx_backend_expand_field(b, shared, "platform", err);
    char *priv = sbx_backend_expand_field(b, b->spec, "private", err);
    if (user == NULL || platform == NULL || priv == NULL)
      {
        free(user);
        free(platform);
        free(priv);
        return -1;
      }
    free(b->shared_user);
    free(b->shared_platform);
    free(b->private_path);
    b->shared_user = user;
    b->shared_platform = platform;
    b->private_path = priv;
  }
  return r;
}

int sbx_backend_request(struct sbx_backend *b, const char *section, const char *method, const char *tail,
                        const cJSON *body, long *status, cJSON **doc, struct sbx_error *err)
{
  *doc = NULL;
  *status = 0;
  if (b->ops->request == NULL)
    return sbx_error_set(err, ENOTSUP, SBX_E_NOT_SUPPORTED, "%s is a %s backend: it has no API to call", b->info.name,
                         b->info.kind);
  return b->ops->request(b, section, method, tail, body, status, doc, err);
}

bool sbx_backend_has(const struct sbx_backend *b, const char *feature)
{
  if (strcmp(feature, "api") == 0)
    return b->ops->request != NULL;
  if (strcmp(feature, "operations") == 0)
    return b->ops->request != NULL && cJSON_GetObjectItemCaseSensitive(b->spec, "operations") != NULL;
  if (strcmp(feature, "persistent-user") == 0)
    return b->info.persistent_user;
  return false;
}

const char *sbx_backend_shared_path(const struct sbx_backend *b, enum sbx_bctx ctx)
{
  return ctx == SBX_BCTX_USER ? b->shared_user : b->shared_platform;
}

const char *sbx_backend_shared_host_path(const struct sbx_backend *b)
{
  return b->shared_host[0] != '\0' ? b->shared_host : NULL;
}

const char *sbx_backend_private_path(const struct sbx_backend *b)
{
  return b->private_path;
}

const char *sbx_backend_api_endpoint(const struct sbx_backend *b)
{
  return b->api_endpoint;
}

const char *sbx_backend_workdir(const struct sbx_backend *b)
{
  return b->workdir[0] != '\0' ? b->workdir : NULL;
}

const char *sbx_bctx_name(enum sbx_bctx ctx)
{
  return ctx == SBX_BCTX_USER ? "user" : "platform";
}
