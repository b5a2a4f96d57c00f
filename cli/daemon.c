/* splitbox daemon: the executor behind an HTTP+JSON API. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "daemon/http_server.h"
#include "daemon/registry.h"
#include "executor.h"
#include "remove_tree.h"
#include "subids.h"

static const char daemon_usage[] =
  "Usage: splitbox daemon --socket PATH [--state-dir DIR] [--listen 127.0.0.1:PORT --token-file FILE]\n"
  "                       [--user-network isolated|host] [--require-isolation]\n"
  "                       [--pids-max N] [--memory-max SIZE] [--cpu-weight N] [--shared-max SIZE]\n"
  "                       [--max-connections N] [--max-connections-per-client N] [--idle-timeout SECONDS]\n"
  "\n"
  "Serve the sandbox API (shaped like the Cloudflare Sandbox container API) on a unix\n"
  "socket of mode 0600, and optionally on a loopback TCP port that requires\n"
  "`Authorization: Bearer <token>`. Sandboxes live under --state-dir (default\n"
  "/var/lib/splitbox, or $XDG_RUNTIME_DIR/splitbox when not root); what a crashed\n"
  "daemon left there is removed at start. SIGTERM or SIGINT kill every process the\n"
  "daemon started, remove its state and the socket, and exit 0. A second daemon on the\n"
  "same state dir, or on a socket that a live daemon answers, refuses to start.\n"
  "\n"
  "Connections: at most --max-connections (8192) in all and --max-connections-per-client\n"
  "(2048) per uid on unix sockets or per address on TCP; a connection idle or half-sent\n"
  "for --idle-timeout seconds (10) is closed, but not one whose command is running.\n"
  "\n"
  "Exit status: 0 after a clean shutdown, 1 when the daemon could not start, 2 on bad usage.\n";

static void serve_api(void *registry, const char *method, const char *path, const char *body, size_t len,
                      struct sbx_api_response *out)
{
  sbx_api_handle(registry, method, path, body, len, out);
}

/* A sandbox's operations socket answers with the API's operations handler,
 * served by the API's server (its threads, its limits). */
struct ops_socket
{
  struct sbx_operations *ops;
  const char *sandbox_id; /* the registry's, alive until stop */
  struct sbx_http_server *server;
  void *handle;
};

static void serve_operations(void *arg, const char *method, const char *path, const char *body, size_t len,
                             struct sbx_api_response *out)
{
  struct ops_socket *o = arg;
  sbx_api_handle_operations(o->ops, o->sandbox_id, method, path, body, len, out);
}

static void *ops_socket_start(void *ctx, const char *sandbox_id, struct sbx_operations *ops, const char *socket_path,
                              struct sbx_error *err)
{
  struct sbx_http_server *server = *(struct sbx_http_server **)ctx;
  struct ops_socket *o = calloc(1, sizeof *o);

  if (o == NULL || server == NULL)
    {
      free(o);
      sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "operations socket");
      return NULL;
    }
  o->ops = ops;
  o->sandbox_id = sandbox_id;
  o->server = server;
  o->handle = sbx_http_server_add_socket(server, serve_operations, o, socket_path, err);
  if (o->handle == NULL)
    {
      free(o);
      return NULL;
    }
  return o;
}

static void ops_socket_stop(void *handle)
{
  struct ops_socket *o = handle;
  sbx_http_server_remove_socket(o->server, o->handle);
  free(o);
}

static void sweep(void *registry)
{
  sbx_registry_sweep(registry);
}

static int uint_option(const char *name, const char *value, unsigned min, unsigned *out)
{
  char *end;
  unsigned long v = strtoul(value, &end, 10);

  if (*value == '\0' || *end != '\0' || v < min || v > 1000000)
    {
      fprintf(stderr, "splitbox daemon: --%s takes a number from %u to 1000000\n", name, min);
      return -1;
    }
  *out = (unsigned)v;
  return 0;
}

/* One daemon per state dir: a flock on STATE/daemon.lock, taken before
 * anything there is removed and before any socket is touched. The lock goes
 * with the daemon's last open of the file, even after a SIGKILL. Returns the
 * fd (kept open for the daemon's life), or -1 after printing why. */
static int lock_state_dir(const char *state_dir)
{
  char path[4200], pid[32] = "";
  int fd;

  if (mkdir(state_dir, 0711) != 0 && errno != EEXIST)
    {
      fprintf(stderr, "splitbox daemon: create the state directory %s: %s\n", state_dir, strerror(errno));
      return -1;
    }
  snprintf(path, sizeof path, "%s/daemon.lock", state_dir);
  fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    {
      fprintf(stderr, "splitbox daemon: open %s: %s\n", path, strerror(errno));
      return -1;
    }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0)
    {
      int e = errno;
      ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
      pid[n > 0 ? strcspn(pid, "\n") : 0] = '\0';
      if (e == EWOULDBLOCK)
        fprintf(stderr, "splitbox daemon: another splitbox daemon (pid %s) serves %s; stop it first or choose another --state-dir\n",
                pid[0] ? pid : "unknown", state_dir);
      else
        fprintf(stderr, "splitbox daemon: lock %s: %s\n", path, strerror(e));
      close(fd);
      return -1;
    }
  snprintf(pid, sizeof pid, "%d\n", (int)getpid());
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, strlen(pid), 0) != (ssize_t)strlen(pid))
    {
      fprintf(stderr, "splitbox daemon: write %s: %s\n", path, strerror(errno));
      close(fd);
      return -1;
    }
  return fd;
}

/* Thousands of sandboxes and connections need more than the usual 1024 fds;
 * the hard limit is what the administrator allows. */
static void raise_fd_limit(void)
{
  struct rlimit rl;

  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        fprintf(stderr, "splitbox daemon: cannot raise the open-file limit: %s\n", strerror(errno));
    }
}

int sbx_cli_daemon(int argc, char **argv)
{
  static const struct option opts[] = {
    { "socket", required_argument, NULL, 's' },       { "state-dir", required_argument, NULL, 'd' },
    { "listen", required_argument, NULL, 'l' },       { "token-file", required_argument, NULL, 't' },
    { "user-network", required_argument, NULL, 'n' }, { "require-isolation", no_argument, NULL, 'r' },
    { "pids-max", required_argument, NULL, 'P' },     { "memory-max", required_argument, NULL, 'M' },
    { "cpu-weight", required_argument, NULL, 'W' },   { "shared-max", required_argument, NULL, 'S' },
    { "max-connections", required_argument, NULL, 'C' },
    { "max-connections-per-client", required_argument, NULL, 'c' }, { "idle-timeout", required_argument, NULL, 'i' },
    { "help", no_argument, NULL, 'h' },               { NULL, 0, NULL, 0 },
  };
  static struct sbx_http_server *server; /* the operations sockets' server too */
  struct sbx_registry_options ropts = {
    .init_path = sbx_cli_init_path(),
    .ops_server = { .start = ops_socket_start, .stop = ops_socket_stop, .ctx = &server },
  };
  struct sbx_http_options hopts = { .connections_max = 8192, .per_client_max = 2048, .idle_timeout_s = 10 };
  const char *socket_path = NULL, *listen_addr = NULL, *token_file = NULL;
  char default_state[4096], self[PATH_MAX], *token = NULL;
  ssize_t self_len;
  struct sbx_error err = { 0 };
  struct sbx_registry *registry;
  sigset_t mask;
  int c, sig;

  /* Request and response buffers up to the 8 MiB body cap (11 MiB in
   * base64) come from the heap, reused, not from a fresh mmap each: every new
   * page costs a fault, and faults are dear (docs/PERFORMANCE.md). */
  mallopt(M_MMAP_THRESHOLD, 16 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 16 * 1024 * 1024);
  /* Bounded: a thread per connection would otherwise keep an arena each. */
  mallopt(M_ARENA_MAX, 4);
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
    switch (c)
      {
      case 's': socket_path = optarg; break;
      case 'd': ropts.state_dir = optarg; break;
      case 'l': listen_addr = optarg; break;
      case 't': token_file = optarg; break;
      case 'r': ropts.require_isolation = true; break;
      case 'n':
        if (sbx_network_parse(optarg, &ropts.user_network) < 0)
          {
            fprintf(stderr, "splitbox daemon: --user-network must be isolated or host\n");
            return 2;
          }
        break;
      case 'P':
      case 'M':
      case 'W':
      case 'S':
        if (sbx_cli_limit_option(c == 'P'   ? "pids-max"
                                 : c == 'M' ? "memory-max"
                                 : c == 'S' ? "shared-max"
                                            : "cpu-weight",
                                 optarg, &ropts.limits) < 0)
          return 2;
        break;
      case 'C':
        if (uint_option("max-connections", optarg, 1, &hopts.connections_max) < 0)
          return 2;
        break;
      case 'c':
        if (uint_option("max-connections-per-client", optarg, 1, &hopts.per_client_max) < 0)
          return 2;
        break;
      case 'i':
        if (uint_option("idle-timeout", optarg, 1, &hopts.idle_timeout_s) < 0)
          return 2;
        break;
      case 'h': fputs(daemon_usage, stdout); return 0;
      default: fputs(daemon_usage, stderr); return 2;
      }
  if (socket_path == NULL)
    {
      fprintf(stderr, "splitbox daemon: --socket is required\n\n%s", daemon_usage);
      return 2;
    }
  if ((listen_addr == NULL) != (token_file == NULL))
    {
      fprintf(stderr, "splitbox daemon: --listen and --token-file go together\n");
      return 2;
    }
  if (token_file != NULL && (token = sbx_cli_read_token(token_file)) == NULL)
    {
      fprintf(stderr, "splitbox daemon: cannot read a token from %s: %s\n", token_file, strerror(errno ? errno : EINVAL));
      return 2;
    }
  if (ropts.state_dir == NULL)
    {
      const char *rt = getenv("XDG_RUNTIME_DIR");
      snprintf(default_state, sizeof default_state, "%s",
               geteuid() == 0 ? "/var/lib/splitbox" : rt != NULL ? rt : "/tmp");
      if (geteuid() != 0)
        strncat(default_state, "/splitbox", sizeof default_state - strlen(default_state) - 1);
      ropts.state_dir = default_state;
    }
  /* Platform code runs `splitbox call` with this very binary (/run/splitbox/bin). */
  self_len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (self_len > 0)
    {
      self[self_len] = '\0';
      ropts.platform_cli = self;
    }
  raise_fd_limit();
  if (lock_state_dir(ropts.state_dir) < 0)
    {
      free(token);
      return 1;
    }
  /* A crashed daemon's sandboxes: their namespaces died with it; their files go now. */
  {
    char leftovers[4200];
    snprintf(leftovers, sizeof leftovers, "%s/sandboxes", ropts.state_dir);
    /* What their user code made as a subordinate id (userns mode), too. */
    sbx_subids_remove_tree(leftovers);
    snprintf(leftovers, sizeof leftovers, "%s/run", ropts.state_dir);
    sbx_remove_tree(leftovers);
  }
  /* Signals are taken by sigwait below; the server's threads inherit the mask. */
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &mask, NULL);
  ropts.control_socket = socket_path;
  registry = sbx_registry_new(&ropts, &err);
  hopts.tick = sweep;
  hopts.self = &server;
  hopts.tick_arg = registry;
  server = registry != NULL
             ? sbx_http_server_start(serve_api, registry, socket_path, listen_addr, token, &hopts, &err)
             : NULL;
  if (token != NULL)
    explicit_bzero(token, strlen(token));
  free(token);
  if (server == NULL)
    {
      fprintf(stderr, "splitbox daemon: %s: %s\n", err.code, err.message);
      sbx_registry_free(registry);
      return 1;
    }
  fprintf(stderr, "splitbox daemon: serving on %s%s%s\n", socket_path, listen_addr ? " and " : "",
          listen_addr ? listen_addr : "");
  do
    if (sigwait(&mask, &sig) != 0)
      sig = SIGTERM;
  while (sig == SIGPIPE);
  fprintf(stderr, "splitbox daemon: %s, shutting down\n", strsignal(sig));
  /* Commands first: the server's threads wait for their requests to end. */
  sbx_registry_shutdown(registry);
  sbx_http_server_stop(server);
  sbx_registry_free(registry); /* removes the operations sockets: before the server goes */
  sbx_http_server_free(server);
  /* What this daemon made and left empty: a state dir looks as it did before it ran. A dir
   * that is not empty (a sandbox's files that could not be removed) stays, for the next start. */
  {
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/sandboxes", ropts.state_dir);
    rmdir(dir);
    snprintf(dir, sizeof dir, "%s/run", ropts.state_dir);
    rmdir(dir);
  }
  return 0;
}
