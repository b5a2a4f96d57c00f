#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include "bare.h"
#include "canary.h"
#include "verdict.h"

bool bare_init(struct bare *b)
{
  char path[128];

  memset(b, 0, sizeof *b);
  b->shm_id = -1;
  b->key = -1;
  if (sbx_canary_new(b->canary) < 0 || sbx_marker_new(b->marker) < 0)
    return false;
  strcpy(b->dir, "/tmp/sbx-bare-XXXXXX");
  if (mkdtemp(b->dir) == NULL)
    return false;
  for (const char *const *sub = (const char *const[]){ "platform", "home", "app", NULL }; *sub != NULL; sub++)
    {
      snprintf(path, sizeof path, "%s/%s", b->dir, *sub);
      if (mkdir(path, 0755) != 0)
        return false;
    }
  snprintf(b->ready, sizeof b->ready, "%s/ready", b->dir);
  return true;
}

/* A value that does not fit is an error: a cut name would be checked in vain. */
static bool copy_value(char *dst, size_t size, const char *value)
{
  int n = snprintf(dst, size, "%s", value);
  return n >= 0 && (size_t)n < size;
}

bool bare_read_ready(struct bare *b)
{
  FILE *f = fopen(b->ready, "re");
  char key[64], value[256];
  bool ok = f != NULL;

  while (f != NULL && fscanf(f, "%63s %255s", key, value) == 2)
    {
      if (strcmp(key, "tcp_port") == 0)
        b->tcp_port = atoi(value);
      else if (strcmp(key, "sysv_shm_id") == 0)
        b->shm_id = atoi(value);
      else if (strcmp(key, "key") == 0)
        b->key = atol(value);
      else if (strcmp(key, "abstract") == 0)
        ok = copy_value(b->abstract, sizeof b->abstract, value) && ok;
      else if (strcmp(key, "posix_shm") == 0)
        ok = copy_value(b->posix_shm, sizeof b->posix_shm, value) && ok;
      else if (strcmp(key, "private_file") == 0)
        ok = copy_value(b->private_file, sizeof b->private_file, value) && ok;
      else if (strcmp(key, "aws_file") == 0)
        ok = copy_value(b->aws_file, sizeof b->aws_file, value) && ok;
      else if (strcmp(key, "tmp_file") == 0)
        ok = copy_value(b->tmp_file, sizeof b->tmp_file, value) && ok;
    }
  if (f != NULL)
    fclose(f);
  return ok;
}

bool bare_start_victim(struct bare *b, bool argv_canary)
{
  const char *victim = getenv("SBX_VICTIM");
  char private_dir[128], home[128], env_key[128], env_home[160], owned[160];

  snprintf(private_dir, sizeof private_dir, "%s/platform", b->dir);
  snprintf(home, sizeof home, "%s/home", b->dir);
  snprintf(env_key, sizeof env_key, "AWS_SECRET_ACCESS_KEY=%s", b->canary);
  snprintf(env_home, sizeof env_home, "HOME=%s", home);
  if (victim == NULL)
    return false;
  b->victim = fork();
  if (b->victim == 0)
    {
      char *envp[] = { env_key, env_home, (char *)"PATH=/usr/bin:/bin", NULL };
      char *argv[10] = { (char *)victim, (char *)"--marker", b->marker, (char *)"--private-dir", private_dir,
                         (char *)"--ready-file", b->ready };
      int n = 7;
      snprintf(owned, sizeof owned, "%s/app/.splitbox-owned-%s", b->dir, b->marker);
      if (b->shared_secret)
        {
          argv[n++] = (char *)"--shared-secret";
          argv[n++] = owned;
        }
      if (argv_canary)
        argv[n++] = (char *)"--argv-canary";
      argv[n] = NULL;
      execve(victim, argv, envp);
      _exit(127);
    }
  for (int i = 0; i < 500; i++)
    {
      if (access(b->ready, F_OK) == 0)
        return bare_read_ready(b);
      usleep(10000);
    }
  return false;
}

char *bare_probe(struct bare *b, const char *name, bool canary_env)
{
  const char *probe = getenv("SBX_PROBE");
  char shared[128], private_dir[128], env_key[128], *out = NULL;
  size_t len = 0, cap = 0;
  int fds[2];
  pid_t pid;

  snprintf(shared, sizeof shared, "%s/app", b->dir);
  snprintf(private_dir, sizeof private_dir, "%s/platform", b->dir);
  snprintf(env_key, sizeof env_key, "AWS_SECRET_ACCESS_KEY=%s", b->canary);
  if (probe == NULL || pipe2(fds, O_CLOEXEC) != 0)
    return NULL;
  pid = fork();
  if (pid == 0)
    {
      char *envp[] = { (char *)"PATH=/usr/bin:/bin", canary_env ? env_key : NULL, NULL };
      char *argv[] = { (char *)probe, (char *)name, (char *)"--marker", b->marker, (char *)"--shared", shared,
                       (char *)"--private", private_dir, NULL };
      dup2(fds[1], 1);
      execve(probe, argv, envp);
      _exit(127);
    }
  close(fds[1]);
  for (;;)
    {
      ssize_t n;
      if (len + 65536 > cap && (out = realloc(out, cap = cap * 2 + 65536)) == NULL)
        abort();
      if ((n = read(fds[0], out + len, cap - len - 1)) <= 0)
        break;
      len += (size_t)n;
    }
  out[len] = '\0';
  close(fds[0]);
  waitpid(pid, NULL, 0);
  return out;
}

/* An executor without auth: it runs the command it is sent, as a platform
 * command would, with the secret in its env. Its output (up to the first NUL
 * of /proc/self/environ) is the answer. */
static void run_execute(const char *req, const char *canary, char *resp, size_t size)
{
  const char *cmd = strstr(req, "\"command\":\"");
  char command[1024], out[4096] = "";
  size_t got = 0;
  FILE *f;

  snprintf(command, sizeof command, "%.*s", cmd != NULL ? (int)strcspn(cmd + 11, "\"") : 0, cmd != NULL ? cmd + 11 : "");
  setenv("AWS_SECRET_ACCESS_KEY", canary, 1);
  if ((f = popen(command, "r")) != NULL)
    {
      got = fread(out, 1, sizeof out - 1, f);
      pclose(f);
    }
  for (size_t i = 0; i < got; i++)
    if (out[i] == '\0' || out[i] == '"' || out[i] == '\\' || (unsigned char)out[i] < 0x20)
      out[i] = ' ';
  out[got] = '\0';
  snprintf(resp, size, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"stdout\":\"%s\"}", out);
}

static void serve_control_plane(int listener, const char *canary)
{
  for (int i = 0; i < 64; i++)
    {
      char req[8192], resp[8192];
      int c = accept(listener, NULL, NULL);
      ssize_t n;
      if (c < 0)
        _exit(0);
      n = read(c, req, sizeof req - 1);
      req[n > 0 ? n : 0] = '\0';
      if (strstr(req, "GET /api/ping") != NULL)
        snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"ok\":true}");
      else if (strstr(req, "/execute") != NULL)
        run_execute(req, canary, resp, sizeof resp);
      else
        snprintf(resp, sizeof resp, "HTTP/1.1 404 Not Found\r\n\r\n{}");
      /* Other runs' probes only connect and close: a write to them must not
       * end this server with SIGPIPE, or this run's own probe finds no API. */
      (void)!send(c, resp, strlen(resp), MSG_NOSIGNAL);
      close(c);
    }
  _exit(0);
}

bool bare_start_control_plane(struct bare *b)
{
  struct sockaddr_un u = { .sun_family = AF_UNIX };
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), marked[2] = { -1, -1 };
  char byte = 0;
  bool ready;

  snprintf(u.sun_path, sizeof u.sun_path, "%s/api.sock", b->dir);
  if (fd < 0 || bind(fd, (struct sockaddr *)&u, sizeof u) != 0 || listen(fd, 16) != 0 || pipe2(marked, O_CLOEXEC) != 0)
    {
      if (fd >= 0)
        close(fd);
      return false;
    }
  b->server = fork();
  if (b->server == 0)
    {
      /* Marked like a victim: probes only ever talk to marked processes they can see. */
      close(marked[0]);
      prctl(PR_SET_NAME, b->marker, 0, 0, 0);
      (void)!write(marked[1], "m", 1);
      close(marked[1]);
      serve_control_plane(fd, b->canary);
    }
  close(fd);
  close(marked[1]);
  /* Not ready until it carries the marker: a probe that ran before would see an
   * unmarked holder of the socket, and rightly leave it alone (a failed control). */
  ready = b->server > 0 && read(marked[0], &byte, 1) == 1;
  close(marked[0]);
  return ready;
}

void bare_platform_command(struct bare *b)
{
  char shared[128], env_key[128];
  pid_t pid;

  snprintf(shared, sizeof shared, "%s/app", b->dir);
  snprintf(env_key, sizeof env_key, "AWS_SECRET_ACCESS_KEY=%s", b->canary);
  pid = fork();
  if (pid == 0)
    {
      /* npm puts node_modules/.bin first in PATH; the platform's secret is in its env. */
      char *envp[] = { (char *)"PATH=node_modules/.bin:/usr/bin:/bin", env_key, NULL };
      char *argv[] = { (char *)"/bin/sh", (char *)"-c",
                       (char *)"zip -v; aws --version; git --version; env; sh -c true; true", NULL };
      int null = open("/dev/null", O_WRONLY);
      if (chdir(shared) != 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
        _exit(1);
      execve("/bin/sh", argv, envp);
      _exit(127);
    }
  waitpid(pid, NULL, 0);
}

bool bare_hijacked(struct bare *b)
{
  char path[256];
  static const char *const tools[] = { "zip", "aws", "git", "sh", "env" };

  for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
    {
      snprintf(path, sizeof path, "%s/app/.splitbox-hijacked-%s", b->dir, tools[i]);
      if (access(path, F_OK) == 0)
        return true;
      snprintf(path, sizeof path, "%s/app/node_modules/.bin/.splitbox-hijacked-%s", b->dir, tools[i]);
      if (access(path, F_OK) == 0)
        return true;
    }
  return false;
}

/* Whether path (not followed) holds needle; false when absent or a symlink. */
static bool file_holds(const char *path, const char *needle)
{
  char buf[4096];
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;

  if (fd >= 0)
    close(fd);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  return strstr(buf, needle) != NULL;
}

int bare_deputy_step(struct bare *b)
{
  char shared[128], cmd[512], bak[256], outside[256], line[64];
  int status;
  pid_t pid;
  bool followed;

  snprintf(shared, sizeof shared, "%s/app", b->dir);
  snprintf(line, sizeof line, "deploy-%s", b->marker);
  snprintf(cmd, sizeof cmd, "(echo %s >> out-%s.log) 2>/dev/null; cp cfg-%s.json cfg-%s.bak 2>/dev/null; true", line,
           b->marker, b->marker, b->marker);
  pid = fork();
  if (pid == 0)
    {
      char *envp[] = { (char *)"PATH=/usr/bin:/bin", NULL };
      char *argv[] = { (char *)"/bin/sh", (char *)"-c", cmd, NULL };
      if (chdir(shared) != 0)
        _exit(1);
      execve("/bin/sh", argv, envp);
      _exit(127);
    }
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return -1;
  snprintf(bak, sizeof bak, "%s/cfg-%s.bak", shared, b->marker);
  snprintf(outside, sizeof outside, "%s/platform/deputy-%s.log", b->dir, b->marker);
  followed = file_holds(bak, b->canary) || file_holds(outside, line);
  unlink(outside);
  return followed ? 1 : 0;
}

static bool marker_process_alive(const char *marker)
{
  char cmd[128], out[64] = "";
  FILE *p;

  snprintf(cmd, sizeof cmd, "pgrep -x %s", marker);
  p = popen(cmd, "r");
  if (p != NULL)
    {
      if (fgets(out, sizeof out, p) == NULL)
        out[0] = '\0';
      pclose(p);
    }
  return out[0] != '\0';
}

char *bare_stop(struct bare *b)
{
  char *left = calloc(1, 4096), path[128], owned[160];
  struct shmid_ds ds;
  char keybuf[128];
  struct sockaddr_in tcp = { .sin_family = AF_INET, .sin_port = htons((uint16_t)b->tcp_port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  struct sockaddr_un u = { .sun_family = AF_UNIX };
  int fd;

  if (b->victim > 0)
    {
      kill(b->victim, SIGTERM);
      waitpid(b->victim, NULL, 0);
      b->victim = 0;
    }
  if (marker_process_alive(b->marker))
    strcat(left, "process; ");
  if (b->shm_id >= 0 && shmctl(b->shm_id, IPC_STAT, &ds) == 0)
    strcat(left, "SysV shm; ");
  snprintf(path, sizeof path, "/dev/shm%s", b->posix_shm);
  if (b->posix_shm[0] && access(path, F_OK) == 0)
    strcat(left, "POSIX shm; ");
  if (b->key > 0 && syscall(SYS_keyctl, 11 /* KEYCTL_READ */, b->key, keybuf, sizeof keybuf) >= 0)
    strcat(left, "key; ");
  snprintf(owned, sizeof owned, "%s/app/.splitbox-owned-%s", b->dir, b->marker);
  for (const char *f[] = { b->private_file, b->aws_file, b->tmp_file, b->ready, b->shared_secret ? owned : "" },
                  **p = f;
       p < f + 5; p++)
    if ((*p)[0] && access(*p, F_OK) == 0)
      snprintf(left + strlen(left), 4096 - strlen(left), "file %s; ", *p);
  fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (b->tcp_port > 0 && connect(fd, (struct sockaddr *)&tcp, sizeof tcp) == 0)
    strcat(left, "TCP listener; ");
  close(fd);
  memcpy(u.sun_path + 1, b->abstract, strlen(b->abstract));
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (b->abstract[0]
      && connect(fd, (struct sockaddr *)&u, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(b->abstract)))
           == 0)
    strcat(left, "abstract socket; ");
  close(fd);
  return left;
}

void bare_cleanup(struct bare *b)
{
  char cmd[128];

  if (b->victim > 0)
    free(bare_stop(b));
  if (b->server > 0)
    {
      kill(b->server, SIGKILL);
      waitpid(b->server, NULL, 0);
    }
  if (strncmp(b->dir, "/tmp/sbx-bare-", 14) == 0)
    {
      snprintf(cmd, sizeof cmd, "rm -rf '%s'", b->dir);
      if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", b->dir);
    }
}

/* Whether the run shows the leak the table says probe d finds; what that is
 * in *what. The one place that reads a leak kind: a new kind needs its case
 * here, else every control of it fails (default). */
static bool leak_shown(const struct sbx_probe_def *d, const struct verdict *v, bool hijacked, const char **what)
{
  switch (d->leak)
    {
    case SBX_LEAK_CANARY:
      *what = "recover the canary";
      return v->found_canary;
    case SBX_LEAK_EXECUTE:
      *what = "get a platform execute run, and the canary";
      return v->found_canary && v->executed[0] != '\0';
    case SBX_LEAK_VISIBLE:
      *what = "see the victim";
      return v->marker_visible;
    case SBX_LEAK_STOPPED:
      *what = "stop the victim";
      return v->stopped;
    case SBX_LEAK_HIJACK:
      *what = "get a plant run in the platform command";
      return hijacked;
    case SBX_LEAK_CAPS:
      *what = "find dangerous capabilities or write the platform's files (root may)";
      return v->dangerous[0] != '\0';
    case SBX_LEAK_DEPUTY:
      *what = "get the deploy step to follow its planted symlinks";
      return hijacked;
    case SBX_LEAK_TENANT:
      /* Bare, "another sandbox" is just another host process: the canary must show. */
      *what = "recover the canary of a victim outside its sandbox";
      return v->found_canary;
    default:
      *what = "show a leak of a kind bare.c does not know (add its case to leak_shown)";
      return false;
    }
}

enum bare_outcome bare_control(const struct sbx_probe_def *d, char **report)
{
  const char *what = "";
  struct bare b;
  struct verdict v;
  char *out = NULL, *left = NULL, missing[128], unlisted[256] = "";
  bool shown, hijacked = false, ready = true;
  /* Here a fake executor API stands in for the victim: only it holds the canary. */
  bool victim = d->victim && !d->api_socket;
  enum bare_outcome r;

  if (!bare_init(&b))
    {
      *report = strdup("set up the run's directory");
      return BARE_NOT_SHOWN;
    }
  b.shared_secret = d->shared_secret;
  if (victim)
    ready = bare_start_victim(&b, d->argv_canary);
  if (d->api_socket)
    ready = ready && bare_start_control_plane(&b);
  if (ready)
    {
      out = bare_probe(&b, d->name, d->env_canary);
      if (d->leak == SBX_LEAK_HIJACK)
        {
          bare_platform_command(&b);
          hijacked = bare_hijacked(&b);
        }
      /* The deploy step followed the plants: the same flag says "the platform step was fooled". */
      if (d->leak == SBX_LEAK_DEPUTY)
        hijacked = bare_deputy_step(&b) == 1;
    }
  v = verdict_read(out, b.canary);
  left = victim ? bare_stop(&b) : strdup("");
  bare_cleanup(&b);
  shown = leak_shown(d, &v, hijacked, &what);
  /* Every technique the table lists must show here too: a wrong list fails the control. */
  if (v.parsed && verdict_missing_technique(out, d->techniques, missing, sizeof missing))
    snprintf(unlisted, sizeof unlisted, "; no attempt at \"%s\", which its .techniques lists", missing);
  r = !ready || !v.parsed || v.attempts == 0 || unlisted[0] != '\0' ? BARE_NOT_SHOWN
      : strcmp(v.status, "unsupported") == 0 ? BARE_UNSUPPORTED
      : strcmp(v.status, "ran") == 0 && shown && left[0] == '\0' ? BARE_LEAKED
                                                                 : BARE_NOT_SHOWN;
  if (asprintf(report, "positive control: %s must %s on bare processes: %s (status %s%s%s%s); left behind: %s\n%s",
               d->name, what, r == BARE_LEAKED ? "it did" : "it did not", v.status, v.reason[0] ? ", " : "",
               v.reason, unlisted, left[0] ? left : "nothing", !ready ? "(the victim or the fake API did not get ready)"
                                                         : out ? out : "(no output)") < 0)
    abort();
  free(left);
  free(out);
  return r;
}
