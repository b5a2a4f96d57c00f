#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "canary.h"
#include "deny_namespaces.h"
#include "must_work.h"
#include "scenario.h"
#include "verdict.h"

#define NOBODY 65534

static const char *const mode_names[] = {
  [MODE_ROOT] = "root", [MODE_USERNS] = "userns", [MODE_FALLBACK_ROOT] = "fallback-root",
  [MODE_FALLBACK_NOBODY] = "fallback-nobody", [MODE_USERNS_SUBIDS] = "userns-subids",
};

const char *scenario_mode_name(enum scenario_mode mode)
{
  return mode_names[mode];
}

bool scenario_must_work(void)
{
  return sbx_must_work();
}

void scenario_random_token(char *buf, size_t len, const char *prefix)
{
  size_t room = len > strlen(prefix) ? len - strlen(prefix) - 1 : 0;

  if (sbx_random_token(buf, len, prefix, room < 32 ? room : 32) < 0)
    abort();
}

void scenario_report(struct world *w, const char *fmt, ...)
{
  char *line = NULL;
  va_list ap;
  size_t n;
  int r;

  va_start(ap, fmt);
  r = vasprintf(&line, fmt, ap);
  va_end(ap);
  if (r < 0)
    abort();
  n = (size_t)r;
  if (w->out_len + n + 2 > w->out_cap)
    {
      w->out_cap = (w->out_cap + n + 2) * 2;
      w->out = realloc(w->out, w->out_cap);
      if (w->out == NULL)
        abort();
    }
  memcpy(w->out + w->out_len, line, n);
  free(line);
  w->out_len += n;
  w->out[w->out_len++] = '\n';
  w->out[w->out_len] = '\0';
}

char *scenario_exec(struct world *w, enum sbx_context ctx, const char *cmd, const char *const *env, const char *cwd)
{
  struct sbx_exec_request req = { .context = ctx, .command = cmd, .env = env, .cwd = cwd, .timeout_ms = 60000 };
  struct sbx_exec_result res;
  struct sbx_error err = { 0 };
  char *out;

  if (sbx_exec(w->sb, &req, &res, &err) < 0)
    {
      scenario_report(w, "ERROR exec %s `%s`: %s: %s", sbx_context_name(ctx), cmd, err.code, err.message);
      sbx_exec_result_clear(&res);
      return NULL;
    }
  out = res.stdout_buf;
  res.stdout_buf = NULL;
  sbx_exec_result_clear(&res);
  return out;
}

int scenario_count(const char *text, const char *prefix)
{
  int n = 0;
  size_t plen = strlen(prefix);

  for (const char *p = text; p != NULL && *p != '\0';)
    {
      if (strncmp(p, prefix, plen) == 0)
        n++;
      p = strchr(p, '\n');
      if (p != NULL)
        p++;
    }
  return n;
}

bool scenario_has(const char *text, const char *prefix)
{
  return scenario_count(text, prefix) > 0;
}

static char *slurp(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  long n;

  if (f == NULL)
    return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)))
    {
      if (fread(buf, 1, (size_t)n, f) != (size_t)n)
        {
          free(buf);
          buf = NULL;
        }
      else
        *len = (size_t)n;
    }
  fclose(f);
  return buf;
}

static int spill(const char *path, const char *data, size_t len, mode_t mode)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  ssize_t n;

  if (fd < 0)
    return -1;
  n = write(fd, data, len);
  if (fchmod(fd, mode) != 0)
    n = -1;
  close(fd);
  return n == (ssize_t)len ? 0 : -1;
}

/* With a supplementary group where one is given (>= 0): a caller's groups
 * must not reach user code. */
static int become(uid_t uid, gid_t gid, long group)
{
  gid_t g = (gid_t)group;

  if (setgroups(group >= 0 ? 1 : 0, &g) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
    return -1;
  return 0;
}

/* The account scripts/bootstrap gives subordinate ids, for MODE_USERNS_SUBIDS. */
#define SUBIDS_USER "splitbox-test"

/* Binaries placed in the shared dir of every scenario's sandbox, from the env
 * variables meson sets (the probe and the victim only where a suite has them). */
static const struct
{
  const char *env, *name;
} staged[] = {
  { "SBX_PROBE", "splitbox-probe" },
  { "SBX_VICTIM", "splitbox-victim" },
};
#define N_STAGED (sizeof staged / sizeof staged[0])

struct payload
{
  char *init;
  size_t init_len;
  char *bin[N_STAGED];
  size_t bin_len[N_STAGED];
};

static int stage_world(struct world *w, const struct payload *p)
{
  char path[600];
  /* By fd: a bounded shared dir is a tmpfs with no host path. */
  int dir = sbx_sandbox_shared_dir_fd(w->sb);

  if (dir < 0)
    return -1;
  for (size_t i = 0; i < N_STAGED; i++)
    {
      if (p->bin[i] == NULL)
        continue;
      snprintf(path, sizeof path, "/proc/self/fd/%d/%s", dir, staged[i].name);
      if (spill(path, p->bin[i], p->bin_len[i], 0755) != 0)
        {
          close(dir);
          return -1;
        }
      if (geteuid() == 0 && chown(path, SBX_DEFAULT_USER_HOST_ID, SBX_DEFAULT_USER_HOST_ID) != 0)
        {
          close(dir);
          return -1;
        }
    }
  close(dir);
  snprintf(w->private_host_dir, sizeof w->private_host_dir, "%s/platform", sbx_sandbox_state_dir(w->sb));
  return 0;
}

static void child_main(enum scenario_mode mode, scenario_fn fn, const struct sbx_options *extra,
                       const struct payload *p, int out_fd)
{
  struct world w;
  struct sbx_options opts = { 0 };
  struct sbx_error err = { 0 };
  char bindir[] = "/tmp/sbx-test-bin-XXXXXX";
  char init_path[64];
  enum sbx_isolation expected = mode == MODE_ROOT                                   ? SBX_ISO_NAMESPACES
                                : mode == MODE_USERNS || mode == MODE_USERNS_SUBIDS ? SBX_ISO_USERNS
                                                                                    : SBX_ISO_FALLBACK;
  struct passwd *tester = mode == MODE_USERNS_SUBIDS ? getpwnam(SUBIDS_USER) : NULL;
  const char *why = NULL;
  ssize_t n;

  memset(&w, 0, sizeof w);
  w.mode = mode;
  if (sbx_canary_new(w.canary) < 0 || sbx_marker_new(w.marker) < 0)
    abort();
  scenario_report(&w, "INFO mode %s canary %s marker %s", scenario_mode_name(mode), w.canary, w.marker);

  if (mode == MODE_USERNS_SUBIDS && tester == NULL)
    scenario_report(&w, "SKIP no account \"%s\" with subordinate ids here: scripts/bootstrap makes it", SUBIDS_USER);
  else if (mode == MODE_USERNS_SUBIDS
           && become(tester->pw_uid, tester->pw_gid, getgrnam("users") != NULL ? (long)getgrnam("users")->gr_gid : -1)
                != 0)
    scenario_report(&w, "ERROR drop to %s: %s", SUBIDS_USER, strerror(errno));
  else if ((mode == MODE_USERNS || mode == MODE_FALLBACK_NOBODY) && become(NOBODY, NOBODY, -1) != 0)
    scenario_report(&w, "ERROR drop to uid %d: %s", NOBODY, strerror(errno));
  else if ((mode == MODE_FALLBACK_ROOT || mode == MODE_FALLBACK_NOBODY) && sbx_deny_namespaces() != 0)
    scenario_report(&w, "ERROR install the seccomp filter");
  else if (mkdtemp(bindir) == NULL || chmod(bindir, 0755) != 0)
    scenario_report(&w, "ERROR mkdtemp: %s", strerror(errno));
  else
    {
      snprintf(init_path, sizeof init_path, "%s/splitbox-init", bindir);
      if (spill(init_path, p->init, p->init_len, 0755) != 0)
        scenario_report(&w, "ERROR stage splitbox-init: %s", strerror(errno));
      if (extra != NULL)
        opts = *extra;
      opts.init_path = init_path;
      /* The executor's own environment must reach neither context: it holds
       * the canary for the whole scenario, for platform commands start later
       * than the sandbox (a check of executor_env sees it there). */
      setenv("SPLITBOX_TEST_LEAK", w.canary, 1);
      w.sb = sbx_sandbox_create(&opts, &err);
      if (w.sb == NULL && opts.require_isolation && strcmp(err.code, SBX_E_NO_NAMESPACES) == 0)
        scenario_report(&w, "INFO create refused: %s: %s", err.code, err.message);
      else if (w.sb == NULL)
        scenario_report(&w, "ERROR create sandbox: %s: %s", err.code, err.message);
      else if (sbx_sandbox_isolation(w.sb) != expected)
        scenario_report(&w, "SKIP isolation here is \"%s\", this mode needs \"%s\"",
                       sbx_isolation_name(sbx_sandbox_isolation(w.sb)), sbx_isolation_name(expected));
      else if (mode == MODE_USERNS_SUBIDS && !opts.no_subids && !sbx_sandbox_user_subids(w.sb, &why))
        scenario_report(&w, "SKIP user code is not mapped to a subordinate id here: %s", why);
      else if (stage_world(&w, p) != 0)
        scenario_report(&w, "ERROR stage the test binaries: %s", strerror(errno));
      else
        fn(&w);
      sbx_sandbox_destroy(w.sb);
      unsetenv("SPLITBOX_TEST_LEAK");
      unlink(init_path);
      rmdir(bindir);
    }
  for (size_t off = 0; off < w.out_len; off += (size_t)n)
    if ((n = write(out_fd, w.out + off, w.out_len - off)) <= 0)
      _exit(3);
  _exit(0);
}

char *scenario_run(enum scenario_mode mode, scenario_fn fn, const struct sbx_options *extra)
{
  struct payload p = { 0 };
  const char *init = getenv("SPLITBOX_INIT");
  char *text = NULL;
  size_t len = 0, cap = 0;
  int fds[2], status;
  pid_t pid;

  if (init == NULL || (p.init = slurp(init, &p.init_len)) == NULL)
    return strdup("ERROR SPLITBOX_INIT must name the built splitbox-init\n");
  for (size_t i = 0; i < N_STAGED; i++)
    if (getenv(staged[i].env) != NULL && (p.bin[i] = slurp(getenv(staged[i].env), &p.bin_len[i])) == NULL)
      {
        char *msg = NULL;
        if (asprintf(&msg, "ERROR %s=%s is not readable\n", staged[i].env, getenv(staged[i].env)) < 0)
          abort();
        return msg;
      }
  if (pipe2(fds, O_CLOEXEC) != 0)
    return strdup("ERROR pipe\n");
  pid = fork();
  if (pid == 0)
    {
      close(fds[0]);
      child_main(mode, fn, extra, &p, fds[1]);
    }
  close(fds[1]);
  free(p.init);
  for (size_t i = 0; i < N_STAGED; i++)
    free(p.bin[i]);
  for (;;)
    {
      ssize_t n;
      if (len + 4096 + 1 > cap)
        {
          cap = (cap + 4096) * 2;
          text = realloc(text, cap);
        }
      n = read(fds[0], text + len, cap - len - 1);
      if (n <= 0)
        break;
      len += (size_t)n;
    }
  text[len] = '\0';
  close(fds[0]);
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    {
      char *more = NULL;
      if (asprintf(&more, "%sERROR the scenario's process ended abnormally (status %d)\n", text, status) > 0)
        {
          free(text);
          text = more;
        }
    }
  return text;
}

int scenario_exec_full(struct world *w, const struct sbx_exec_request *req, struct sbx_exec_result *res,
                      struct sbx_error *err)
{
  memset(err, 0, sizeof *err);
  return sbx_exec(w->sb, req, res, err);
}

bool scenario_start_victim(struct world *w, bool argv_canary, struct sbx_process_info *victim)
{
  const char *priv = sbx_sandbox_platform_path(w->sb);
  char cmd[2048], env_entry[128];
  const char *env[] = { env_entry, NULL };
  struct sbx_exec_request req = { .context = SBX_CTX_PLATFORM, .command = cmd, .env = env };
  struct sbx_error err = { 0 };
  int n;

  snprintf(env_entry, sizeof env_entry, "AWS_SECRET_ACCESS_KEY=%s", w->canary);
  n = snprintf(cmd, sizeof cmd, "exec %s/splitbox-victim --marker %s --private-dir %s --ready-file %s/ready%s %s",
               sbx_sandbox_shared_path(w->sb, SBX_CTX_PLATFORM), w->marker, priv, priv,
               argv_canary ? " --argv-canary" : "", w->victim_args != NULL ? w->victim_args : "");
  if (n < 0 || (size_t)n >= sizeof cmd)
    {
      scenario_report(w, "ERROR the victim's command does not fit in %zu bytes", sizeof cmd);
      return false;
    }
  if (sbx_process_start(w->sb, &req, victim, &err) < 0)
    {
      scenario_report(w, "ERROR start the victim: %s: %s", err.code, err.message);
      return false;
    }
  for (int i = 0; i < 500; i++)
    {
      struct sbx_process_info now = { 0 };
      bool ready = false, running;

      /* The file API maps /platform to the private dir in every mode. */
      if (sbx_file_exists(w->sb, SBX_SCOPE_PLATFORM, "/platform/ready", &ready, &err) == 0 && ready)
        return true;
      running = sbx_process_get(w->sb, SBX_CTX_PLATFORM, victim->id, &now, &err) == 0 && now.status == SBX_PROC_RUNNING;
      sbx_process_info_clear(&now);
      if (!running)
        {
          char *out = NULL, *errout = NULL;
          size_t out_len = 0, err_len = 0;
          sbx_process_logs(w->sb, SBX_CTX_PLATFORM, victim->id, &out, &out_len, &errout, &err_len, &err);
          scenario_report(w, "ERROR the victim ended before it was ready: %s", errout != NULL ? errout : "");
          free(out);
          free(errout);
          sbx_process_info_clear(victim);
          return false;
        }
      usleep(10000);
    }
  scenario_report(w, "ERROR the victim did not get ready");
  scenario_stop_victim(w, victim);
  return false;
}

void scenario_stop_victim(struct world *w, struct sbx_process_info *victim)
{
  struct sbx_process_info now = { 0 };
  struct sbx_error err = { 0 };
  char needle[64];

  if (sbx_process_get(w->sb, SBX_CTX_PLATFORM, victim->id, &now, &err) < 0)
    scenario_report(w, "ERROR look up the victim: %s: %s", err.code, err.message);
  else if (now.status != SBX_PROC_RUNNING)
    scenario_report(w, "ERROR the victim did not survive the probe (%s)", sbx_process_status_name(now.status));
  sbx_process_info_clear(&now);
  sbx_process_kill(w->sb, SBX_CTX_PLATFORM, victim->id, SIGTERM, &err);
  for (int i = 0; i < 200; i++)
    {
      if (sbx_process_get(w->sb, SBX_CTX_PLATFORM, victim->id, &now, &err) < 0 || now.status != SBX_PROC_RUNNING)
        break;
      sbx_process_info_clear(&now);
      usleep(10000);
    }
  sbx_process_info_clear(&now);
  sbx_process_info_clear(victim);
  snprintf(needle, sizeof needle, "splitbox-%s", w->marker);
  {
    FILE *f = fopen("/proc/keys", "re");
    char line[512];
    char flags[16];
    /* An invalidated ('i') or dead key waits for garbage collection, unreadable. */
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
      if (strstr(line, needle) != NULL && sscanf(line, "%*s %15s", flags) == 1 && strpbrk(flags, "iRD") == NULL)
        scenario_report(w, "ERROR the victim's key outlived it: %s", line);
    if (f != NULL)
      fclose(f);
  }
}

char *scenario_probe(struct world *w, const char *name)
{
  const char *shared = sbx_sandbox_shared_path(w->sb, SBX_CTX_USER);
  char cmd[2048];
  int n = snprintf(cmd, sizeof cmd, "%s/splitbox-probe %s --marker %s --shared %s --private %s", shared, name, w->marker,
                   shared, sbx_sandbox_platform_path(w->sb));

  if (n < 0 || (size_t)n >= sizeof cmd)
    {
      scenario_report(w, "ERROR the probe's command does not fit in %zu bytes", sizeof cmd);
      return NULL;
    }
  return scenario_exec(w, SBX_CTX_USER, cmd, NULL, NULL);
}

bool scenario_probe_finding(struct world *w, const char *name, struct scenario_finding *f)
{
  char *out = scenario_probe(w, name);
  struct verdict v = verdict_read(out, w->canary);

  memset(f, 0, sizeof *f);
  if (out != NULL)
    scenario_report(w, "INFO %s", out);
  free(out);
  if (!v.parsed || strcmp(v.status, "ran") != 0)
    {
      scenario_report(w, "ERROR %s did not run: %s", name, v.parsed ? v.reason : "no JSON");
      return false;
    }
  f->found_canary = v.found_canary;
  f->marker_visible = v.marker_visible;
  f->hidden_pids = v.hidden_pids;
  f->attached = v.attached;
  f->fds_stolen = v.fds_stolen;
  return true;
}

int scenario_host_processes(const char *needle)
{
  static char buf[65536];
  DIR *d = opendir("/proc");
  struct dirent *de;
  int count = 0;

  if (d == NULL)
    return -1;
  while ((de = readdir(d)) != NULL)
    {
      char path[64];
      int fd, pid = atoi(de->d_name);
      ssize_t n;
      if (pid <= 0 || pid == getpid())
        continue;
      snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
      fd = open(path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        continue;
      n = read(fd, buf, sizeof buf - 1);
      close(fd);
      if (n <= 0)
        continue;
      for (ssize_t i = 0; i < n; i++)
        if (buf[i] == '\0')
          buf[i] = ' ';
      buf[n] = '\0';
      if (strstr(buf, needle) != NULL)
        count++;
    }
  closedir(d);
  return count;
}
