/* splitbox-victim: a platform command that holds a canary everywhere a real
 * one might, so that probes running as user code have something to find.
 *
 *   splitbox-victim --marker M --private-dir DIR [--ready-file F] [--argv-canary] [--api-socket PATH]
 *                   [--shared-secret PATH] [--user-code]
 *
 * The canary comes from $AWS_SECRET_ACCESS_KEY (or --canary-env NAME). The
 * marker is carried in argv and comm, so active probes can aim at us alone.
 * Every trace is removed on SIGTERM, SIGINT, or when the parent dies. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "canary.h"

#define KEY_SPEC_USER_KEYRING -4
#define KEY_SPEC_SESSION_KEYRING -3
#define KEYCTL_SETPERM 5
#define KEYCTL_LINK 8
#define KEYCTL_INVALIDATE 21
#define KEYCTL_UNLINK 9
#define KEY_POS_ALL 0x3f000000
#define KEY_USR_VIEW_READ 0x00030000

struct victim
{
  const char *marker, *private_dir, *ready_file, *api_socket;
  const char *shared_secret; /* a 0600 file of the canary where user code also writes (the shared dir) */
  bool shared_written;       /* ours to unlink: O_EXCL made it */
  /* --user-code: a victim in user code (another sandbox's, for the cross-tenant probes): no key, for
   * keyctl is denied there (splitbox's filter), and a /tmp file and a POSIX shm object only where user
   * code may make them (fallback's Landlock may not let it). */
  bool user_code;
  char canary[SBX_CANARY_LEN + 1];
  char *heap_copy;
  char private_file[4096], aws_file[4096], aws_dir[4096], tmp_file[4096], shm_name[128], abstract[108];
  int shm_id, open_file;
  long key;
  int tcp, unix_sock, udp, timer, sig, api;
  bool api_bound; /* ours to unlink: a failed bind leaves whatever was there */
  unsigned short tcp_port, udp_port;
};

static struct victim *current;
static void cleanup(struct victim *v);

static void die(const char *what)
{
  fprintf(stderr, "splitbox-victim: %s: %s\n", what, strerror(errno));
  if (current != NULL)
    cleanup(current); /* never leave a partial set of traces */
  exit(1);
}

/* A path cut short would name (and later delete) another file. */
static void make_path(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void make_path(char *out, size_t size, const char *fmt, ...)
{
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(out, size, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= size)
    {
      errno = ENAMETOOLONG;
      die(fmt);
    }
}

static void write_file(const char *path, const char *text)
{
  /* O_EXCL: never clobber (and later delete) a file that was there before us. */
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  size_t len = strlen(text);

  if (fd < 0 || write(fd, text, len) != (ssize_t)len)
    die(path);
  close(fd);
}

static void hold_files(struct victim *v)
{
  const char *home = getenv("HOME");
  char text[256];

  make_path(v->private_file, sizeof v->private_file, "%s/canary-%s", v->private_dir, v->marker);
  write_file(v->private_file, v->canary);
  /* Held open, as a tool keeps its config: a stolen fd reads it. */
  v->open_file = open(v->private_file, O_RDONLY | O_CLOEXEC);
  if (v->open_file < 0)
    die(v->private_file);
  make_path(v->aws_dir, sizeof v->aws_dir, "%s/.aws", home != NULL ? home : "/tmp");
  if (mkdir(v->aws_dir, 0700) != 0 && errno != EEXIST)
    die(v->aws_dir);
  make_path(v->aws_file, sizeof v->aws_file, "%s/credentials", v->aws_dir);
  snprintf(text, sizeof text, "[default]\naws_secret_access_key = %s\n", v->canary);
  write_file(v->aws_file, text);
  make_path(v->tmp_file, sizeof v->tmp_file, "/tmp/splitbox-victim-%s", v->marker);
  if (v->user_code)
    {
      /* O_EXCL as write_file: a name that was there is not ours to remove. */
      int fd = open(v->tmp_file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
      size_t len = strlen(v->canary);
      if (fd < 0 || write(fd, v->canary, len) != (ssize_t)len)
        {
          if (fd >= 0)
            if (v->tmp_file[0] != '\0')
    unlink(v->tmp_file);
          v->tmp_file[0] = '\0';
        }
      if (fd >= 0)
        close(fd);
    }
  else
    write_file(v->tmp_file, v->canary);
  /* A platform step's output left in the shared dir, readable by its owner alone. */
  if (v->shared_secret != NULL)
    {
      write_file(v->shared_secret, v->canary); /* 0600: no chmod by path, where user code may swap the file */
      v->shared_written = true;
    }
}

static void hold_ipc(struct victim *v)
{
  char *mem;
  int fd;

  v->shm_id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  if (v->shm_id < 0 || (mem = shmat(v->shm_id, NULL, 0)) == (void *)-1)
    die("SysV shm");
  strcpy(mem, v->canary);
  /* Removed at once, and kept attached: the segment stays findable and
   * attachable (Linux allows shmat of a removed segment) until we die, and
   * goes with us even after a SIGKILL, which the cleanup never sees. */
  shmctl(v->shm_id, IPC_RMID, NULL);
  snprintf(v->shm_name, sizeof v->shm_name, "/splitbox-%s", v->marker);
  fd = shm_open(v->shm_name, O_CREAT | O_RDWR | O_EXCL, 0600);
  if (fd < 0 && v->user_code)
    v->shm_name[0] = '\0'; /* user code may not have /dev/shm to write (fallback's Landlock) */
  else if (fd < 0 || write(fd, v->canary, strlen(v->canary)) != (ssize_t)strlen(v->canary))
    die("POSIX shm");
  if (fd >= 0)
    close(fd);
  if (!v->user_code)
    {
      /* The secret in the description too, as a tool that names a key by its token:
       * /proc/keys shows descriptions to whoever may view the key. */
      char desc[128];
      snprintf(desc, sizeof desc, "splitbox-%s %s", v->marker, v->canary);
      /* Possess the user keyring through our session keyring, which a sandbox
       * may have made anonymous: setperm needs possession. */
      syscall(SYS_keyctl, KEYCTL_LINK, KEY_SPEC_USER_KEYRING, KEY_SPEC_SESSION_KEYRING);
      v->key = syscall(SYS_add_key, "user", desc, v->canary, strlen(v->canary), KEY_SPEC_USER_KEYRING);
      if (v->key < 0)
        die("add_key");
      /* Readable by its owner's uid, as a credential helper's key would be. */
      if (syscall(SYS_keyctl, KEYCTL_SETPERM, v->key, KEY_POS_ALL | KEY_USR_VIEW_READ) != 0)
        die("keyctl setperm");
    }
}

static unsigned short bound_port(int fd)
{
  struct sockaddr_in a;
  socklen_t len = sizeof a;

  if (getsockname(fd, (struct sockaddr *)&a, &len) != 0)
    die("getsockname");
  return ntohs(a.sin_port);
}

static int loopback_socket(int type)
{
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0)
    die("bind loopback");
  return fd;
}

static void hold_network(struct victim *v)
{
  struct sockaddr_un u = { .sun_family = AF_UNIX };
  struct itimerspec every = { { 0, 50 * 1000 * 1000 }, { 0, 50 * 1000 * 1000 } };
  socklen_t ulen;

  v->tcp = loopback_socket(SOCK_STREAM);
  if (listen(v->tcp, 16) != 0)
    die("listen tcp");
  v->tcp_port = bound_port(v->tcp);
  v->udp = loopback_socket(SOCK_DGRAM);
  v->udp_port = bound_port(v->udp);
  snprintf(v->abstract, sizeof v->abstract, "splitbox-%s", v->marker);
  /* An abstract name: sun_path starts with NUL, and is not NUL-terminated. */
  memcpy(u.sun_path + 1, v->abstract, strlen(v->abstract));
  ulen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(v->abstract));
  v->unix_sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  /* User code may have no AF_UNIX at all (fallback's filter): then it holds no abstract socket. */
  if (v->unix_sock < 0 && v->user_code)
    v->abstract[0] = '\0';
  else if (v->unix_sock < 0 || bind(v->unix_sock, (struct sockaddr *)&u, ulen) != 0 || listen(v->unix_sock, 16) != 0)
    die("abstract unix socket");
  /* --api-socket: a stand-in for an executor's API (today's SDK serves one to
   * the whole container), which hands out what a platform execute would. */
  if (v->api_socket != NULL)
    {
      struct sockaddr_un a = { .sun_family = AF_UNIX };
      if (strlen(v->api_socket) >= sizeof a.sun_path)
        die("api socket path too long");
      snprintf(a.sun_path, sizeof a.sun_path, "%s", v->api_socket);
      v->api = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (v->api < 0 || bind(v->api, (struct sockaddr *)&a, sizeof a) != 0)
        die("api socket");
      v->api_bound = true;
      if (listen(v->api, 16) != 0)
        die("api socket");
    }
  v->timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  if (v->timer < 0 || timerfd_settime(v->timer, 0, &every, NULL) != 0)
    die("timerfd");
}

static void write_ready(const struct victim *v)
{
  char tmp[4200];
  FILE *f;

  if (v->ready_file == NULL)
    return;
  make_path(tmp, sizeof tmp, "%s.tmp", v->ready_file);
  /* The ready file may sit where user code writes: never follow what it planted. */
  {
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    f = fd >= 0 ? fdopen(fd, "w") : NULL;
  }
  if (f == NULL)
    die(tmp);
  fprintf(f, "pid %d\ntcp_port %u\nudp_port %u\nabstract %s\nsysv_shm_id %d\nposix_shm %s\nkey %ld\n"
             "private_file %s\naws_file %s\ntmp_file %s\napi_socket %s\nshared_secret %s\n",
          (int)getpid(), v->tcp_port, v->udp_port, v->abstract, v->shm_id, v->shm_name, v->key, v->private_file,
          v->aws_file, v->tmp_file, v->api_socket != NULL ? v->api_socket : "-",
          v->shared_secret != NULL ? v->shared_secret : "-");
  if (fclose(f) != 0 || rename(tmp, v->ready_file) != 0)
    die("ready file");
}

static void cleanup(struct victim *v)
{
  current = NULL;
  unlink(v->private_file);
  unlink(v->aws_file);
  rmdir(v->aws_dir);
  if (v->tmp_file[0] != '\0')
    unlink(v->tmp_file);
  if (v->shared_written)
    unlink(v->shared_secret);
  if (v->api_bound)
    unlink(v->api_socket);
  if (v->shm_name[0] != '\0')
    shm_unlink(v->shm_name);
  if (v->key >= 0)
    {
      /* Invalidate first: an unlinked key lives on until garbage collection. */
      syscall(SYS_keyctl, KEYCTL_INVALIDATE, v->key);
      syscall(SYS_keyctl, KEYCTL_UNLINK, v->key, KEY_SPEC_USER_KEYRING);
      syscall(SYS_keyctl, KEYCTL_UNLINK, KEY_SPEC_USER_KEYRING, KEY_SPEC_SESSION_KEYRING);
    }
  if (v->ready_file != NULL)
    unlink(v->ready_file);
}

static void serve(int listener, const char *canary)
{
  int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

  if (c < 0)
    return;
  (void)!send(c, canary, strlen(canary), MSG_NOSIGNAL);
  close(c);
}

/* One HTTP exchange of the stand-in API: ping answers, an execute returns the secret. */
static void serve_api(int listener, const char *canary)
{
  int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
  struct pollfd pfd = { .fd = c, .events = POLLIN };
  char req[4096], resp[512];
  ssize_t n = 0;

  if (c < 0)
    return;
  if (poll(&pfd, 1, 200) == 1)
    n = read(c, req, sizeof req - 1);
  req[n > 0 ? n : 0] = '\0';
  if (strstr(req, "GET /api/ping") != NULL)
    snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}");
  else if (strstr(req, "/execute") != NULL)
    snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n{\"stdout\":\"%s\"}",
             strlen(canary) + 13, canary);
  else
    snprintf(resp, sizeof resp, "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}");
  /* A client that left must not end us with SIGPIPE before our cleanup. */
  (void)!send(c, resp, strlen(resp), MSG_NOSIGNAL);
  close(c);
}

static void loop(struct victim *v)
{
  struct sockaddr_in self = { .sin_family = AF_INET, .sin_port = htons(v->udp_port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  struct pollfd pfd[6] = {
    { .fd = v->sig, .events = POLLIN },   { .fd = v->tcp, .events = POLLIN },  { .fd = v->unix_sock, .events = POLLIN },
    { .fd = v->timer, .events = POLLIN }, { .fd = v->udp, .events = POLLIN },  { .fd = v->api, .events = POLLIN },
  };

  for (;;)
    {
      char buf[256];
      if (poll(pfd, 6, -1) < 0 && errno != EINTR)
        die("poll");
      if (pfd[0].revents & POLLIN)
        return;
      if (pfd[1].revents & POLLIN)
        serve(v->tcp, v->canary);
      if (pfd[2].revents & POLLIN)
        serve(v->unix_sock, v->canary);
      if (pfd[3].revents & POLLIN)
        {
          uint64_t ticks;
          (void)!read(v->timer, &ticks, sizeof ticks);
          sendto(v->udp, v->canary, strlen(v->canary), 0, (struct sockaddr *)&self, sizeof self);
        }
      if (pfd[4].revents & POLLIN)
        (void)!recv(v->udp, buf, sizeof buf, MSG_DONTWAIT);
      if (pfd[5].revents & POLLIN)
        serve_api(v->api, v->canary);
    }
}

/* --argv-canary: re-exec once with the canary in argv, as `tool --secret-key X`. */
static void put_canary_in_argv(int argc, char **argv, const char *canary)
{
  char **nargv = calloc((size_t)argc + 3, sizeof(char *));

  if (nargv == NULL)
    die("calloc");
  for (int i = 0; i < argc; i++)
    nargv[i] = strcmp(argv[i], "--argv-canary") == 0 ? (char *)"--argv-canary-done" : argv[i];
  nargv[argc] = (char *)"--secret-key";
  nargv[argc + 1] = (char *)canary;
  execv("/proc/self/exe", nargv);
  die("re-exec with the canary in argv");
}

int main(int argc, char **argv)
{
  static const struct option opts[] = {
    { "marker", required_argument, NULL, 'm' },      { "private-dir", required_argument, NULL, 'd' },
    { "ready-file", required_argument, NULL, 'r' },  { "argv-canary", no_argument, NULL, 'a' },
    { "api-socket", required_argument, NULL, 'p' },
    { "argv-canary-done", no_argument, NULL, 'A' },  { "secret-key", required_argument, NULL, 's' },
    { "canary-env", required_argument, NULL, 'e' },  { "shared-secret", required_argument, NULL, 'S' },
    { "user-code", no_argument, NULL, 'U' },         { NULL, 0, NULL, 0 },
  };
  struct victim v = { .shm_id = -1, .key = -1, .api = -1 };
  const char *env_name = "AWS_SECRET_ACCESS_KEY", *canary;
  bool argv_canary = false;
  pid_t parent;
  sigset_t mask;
  int c;

  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
    switch (c)
      {
      case 'm': v.marker = optarg; break;
      case 'd': v.private_dir = optarg; break;
      case 'r': v.ready_file = optarg; break;
      case 'p': v.api_socket = optarg; break;
      case 'a': argv_canary = true; break;
      case 'e': env_name = optarg; break;
      case 'S': v.shared_secret = optarg; break;
      case 'U': v.user_code = true; break;
      case 'A': case 's': break;
      default:
        fprintf(stderr, "usage: splitbox-victim --marker M --private-dir DIR [--ready-file F] [--argv-canary]"
                      " [--api-socket PATH] [--shared-secret PATH] [--user-code]\n");
        return 2;
      }
  canary = getenv(env_name);
  if (v.marker == NULL || v.private_dir == NULL || canary == NULL || !sbx_canary_valid(canary)
      || strlen(v.marker) > 15 || strspn(v.marker, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(v.marker))
    {
      fprintf(stderr, "splitbox-victim: need --marker (at most 15 of [a-z0-9]), --private-dir, and a canary "
                      "(%s...) in $%s\n", SBX_CANARY_PREFIX, env_name);
      return 2;
    }
  if (argv_canary)
    put_canary_in_argv(argc, argv, canary);
  snprintf(v.canary, sizeof v.canary, "%s", canary);
  /* In heap memory too, and kept alive. */
  v.heap_copy = strdup(canary);
  if (v.heap_copy == NULL || prctl(PR_SET_NAME, v.marker, 0, 0, 0) != 0)
    die("heap copy / comm");
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  parent = getppid();
  if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0 || (v.sig = signalfd(-1, &mask, SFD_CLOEXEC)) < 0
      || prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) != 0)
    die("signals");
  if (getppid() != parent)
    return 1; /* the parent died before the prctl */
  current = &v;
  hold_files(&v);
  hold_ipc(&v);
  hold_network(&v);
  write_ready(&v);
  loop(&v);
  cleanup(&v);
  explicit_bzero(v.heap_copy, strlen(v.heap_copy));
  free(v.heap_copy);
  return 0;
}
