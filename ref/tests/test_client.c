/* libsplitbox-client against a real daemon: each test starts `splitbox
 * daemon` on a socket of its own (the namespace work happens in the daemon,
 * not in Criterion's threaded worker) and stops it at the end. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "splitbox.h"

static char work[64], sock[128], echo_sock[128];
static pid_t daemon_pid = -1, echo_pid = -1;
static struct sbx_client *client;

static pid_t spawn(char *const argv[])
{
  pid_t pid = fork();

  if (pid == 0)
    {
      execv(argv[0], argv);
      _exit(127);
    }
  return pid;
}

static void wait_for(const char *path)
{
  struct stat st;

  for (int i = 0; i < 200 && stat(path, &st) != 0; i++)
    usleep(20000);
}

static void stop(pid_t *pid)
{
  if (*pid > 0)
    {
      kill(*pid, SIGTERM);
      waitpid(*pid, NULL, 0);
      *pid = -1;
    }
}

static void start(void)
{
  struct sbx_error err = { 0 };
  struct sbx_client_options o = { .create = true };
  char state[128];

  snprintf(work, sizeof work, "/tmp/sbx-client-XXXXXX");
  cr_assert_not_null(mkdtemp(work));
  snprintf(sock, sizeof sock, "%s/api.sock", work);
  snprintf(echo_sock, sizeof echo_sock, "%s/echo.sock", work);
  snprintf(state, sizeof state, "%s/state", work);
  {
    char *argv[] = { getenv("SPLITBOX_CLI"), (char *)"daemon", (char *)"--socket", sock, (char *)"--state-dir", state,
                     NULL };
    cr_assert_not_null(argv[0], "SPLITBOX_CLI is set by meson");
    daemon_pid = spawn(argv);
  }
  {
    char *argv[] = { getenv("SBX_OP_ECHO"), echo_sock, NULL };
    cr_assert_not_null(argv[0], "SBX_OP_ECHO is set by meson");
    echo_pid = spawn(argv);
  }
  wait_for(sock);
  wait_for(echo_sock);
  client = sbx_open(sock, "t", &o, &err);
  cr_assert_not_null(client, "%s: %s", err.code, err.message);
}

static void finish(void)
{
  char cmd[128];

  sbx_close(client);
  client = NULL;
  stop(&daemon_pid);
  stop(&echo_pid);
  snprintf(cmd, sizeof cmd, "rm -rf %s", work);
  if (system(cmd) != 0)
    cr_log_warn("could not remove %s", work);
}

TestSuite(client, .init = start, .fini = finish, .timeout = 60);

Test(client, exec_in_both_contexts_with_env_cwd_and_exit_code, .timeout = 60)
{
  const char *env[] = { "TOKEN=s3cret", NULL };
  struct sbx_exec_options o = { .env = env, .cwd = "/platform" };
  struct sbx_result res;
  struct sbx_error err = { 0 };

  cr_assert_eq(sbx_platform_exec(client, "echo $TOKEN; pwd; exit 3", &o, &res, &err), 0, "%s", err.message);
  cr_expect_str_eq(res.stdout_buf, "s3cret\n/platform\n");
  cr_expect_eq(res.exit_code, 3);
  cr_expect(!res.success);
  cr_expect_str_eq(res.context, "platform");
  sbx_result_free(&res);
  cr_assert_eq(sbx_user_exec(client, "echo ${TOKEN:-none}; id -u", NULL, &res, &err), 0, "%s", err.message);
  cr_expect_str_eq(res.stdout_buf, "none\n1000\n", "the platform's env is not the user's");
  cr_expect(res.success);
  sbx_result_free(&res);
}

Test(client, a_platform_exec_is_pid_1_unless_under_init, .timeout = 60)
{
  struct sbx_result res;
  struct sbx_error err = { 0 };

  cr_assert_eq(sbx_platform_exec(client, "echo $$", NULL, &res, &err), 0, "%s", err.message);
  cr_expect_str_eq(res.stdout_buf, "1\n", "the command is its PID namespace's PID 1");
  sbx_result_free(&res);
  cr_assert_eq(sbx_platform_exec_under_init(client, "echo $$; kill $$; echo survived", NULL, &res, &err), 0, "%s",
               err.message);
  cr_expect(strcmp(res.stdout_buf, "1\n") != 0 && res.stdout_buf[0] != '\0', "under init it is not PID 1: %s",
            res.stdout_buf);
  cr_expect(strstr(res.stdout_buf, "survived") == NULL, "and dies of its own SIGTERM: %s", res.stdout_buf);
  cr_expect(!res.success);
  sbx_result_free(&res);
}

Test(client, timeout_is_command_timeout_with_the_result, .timeout = 60)
{
  struct sbx_exec_options o = { .timeout_ms = 200 };
  struct sbx_result res;
  struct sbx_error err = { 0 };

  cr_assert_eq(sbx_user_exec(client, "echo started; sleep 10", &o, &res, &err), -1);
  cr_expect_str_eq(err.code, "COMMAND_TIMEOUT");
  cr_expect_str_eq(res.stdout_buf, "started\n");
  sbx_result_free(&res);
}

Test(client, processes_start_list_get_logs_kill, .timeout = 60)
{
  struct sbx_process p, got, *list;
  struct sbx_result logs;
  struct sbx_error err = { 0 };
  size_t n;
  bool found = false;

  cr_assert_eq(sbx_platform_start_process(client, "echo up; sleep 100", NULL, &p, &err), 0, "%s", err.message);
  cr_assert_not_null(p.id);
  cr_assert_eq(sbx_list_processes(client, SBX_PLATFORM_CONTEXT, &list, &n, &err), 0, "%s", err.message);
  for (size_t i = 0; i < n; i++)
    found = found || strcmp(list[i].id, p.id) == 0;
  sbx_processes_free(list, n);
  cr_expect(found, "process/list has %s", p.id);
  cr_assert_eq(sbx_list_processes(client, SBX_USER_CONTEXT, &list, &n, &err), 0, "%s", err.message);
  cr_expect_eq(n, 0, "the user context lists none of the platform's processes");
  sbx_processes_free(list, n);
  /* The output comes when the command has run that far: poll, for up to 10 s. */
  for (int i = 0; i < 500; i++)
    {
      bool up;
      cr_assert_eq(sbx_get_process_logs(client, SBX_PLATFORM_CONTEXT, p.id, &logs, &err), 0, "%s", err.message);
      up = logs.stdout_buf != NULL && strcmp(logs.stdout_buf, "up\n") == 0;
      if (up || i == 499)
        break;
      sbx_result_free(&logs);
      usleep(20000);
    }
  cr_expect_str_eq(logs.stdout_buf, "up\n");
  sbx_result_free(&logs);
  cr_assert_eq(sbx_kill_process(client, SBX_PLATFORM_CONTEXT, p.id, SIGKILL, &err), 0, "%s", err.message);
  for (int i = 0; i < 500; i++)
    {
      cr_assert_eq(sbx_get_process(client, SBX_PLATFORM_CONTEXT, p.id, &got, &err), 0, "%s", err.message);
      if (strcmp(got.status, "running") != 0 || i == 499)
        break;
      sbx_process_free(&got);
      usleep(20000);
    }
  cr_expect_str_eq(got.status, "killed");
  sbx_process_free(&got);
  cr_expect_eq(sbx_kill_process(client, SBX_PLATFORM_CONTEXT, "proc-999", 0, &err), -1);
  cr_expect_str_eq(err.code, "PROCESS_NOT_FOUND");
  sbx_process_free(&p);
}

Test(client, files_round_trip_bytes_and_map_errors, .timeout = 60)
{
  static const char bytes[] = { 0, 1, 2, (char)0xff, 'x' };
  struct sbx_file_entry *list;
  struct sbx_error err = { 0 };
  char *data;
  size_t len, n;
  bool exists;

  cr_assert_eq(sbx_shared_write_file(client, "b.bin", bytes, sizeof bytes, &err), 0, "%s", err.message);
  cr_assert_eq(sbx_shared_read_file(client, "b.bin", &data, &len, &err), 0, "%s", err.message);
  cr_expect_eq(len, sizeof bytes);
  cr_expect_arr_eq(data, bytes, sizeof bytes);
  free(data);
  cr_assert_eq(sbx_shared_exists(client, "b.bin", &exists, &err), 0);
  cr_expect(exists);
  cr_assert_eq(sbx_shared_ls(client, ".", &list, &n, &err), 0, "%s", err.message);
  cr_assert_eq(n, 1);
  cr_expect_str_eq(list[0].name, "b.bin");
  cr_expect_str_eq(list[0].type, "file");
  cr_expect_eq(list[0].size, sizeof bytes);
  sbx_file_entries_free(list, n);
  cr_assert_eq(sbx_platform_write_file(client, "/platform/key", "k", 1, &err), 0, "%s", err.message);
  cr_expect_eq(sbx_user_read_file(client, "/platform/key", &data, &len, &err), -1);
  cr_expect_str_eq(err.code, "FILE_NOT_FOUND", "the user's view has no /platform");
  cr_expect_eq(sbx_shared_read_file(client, "../../etc/passwd", &data, &len, &err), -1);
  cr_expect_str_eq(err.code, "PATH_OUTSIDE_ROOT");
}

/* Past what base64 in JSON carries (the control: the JSON write refuses it), as raw bytes. */
Test(client, raw_files_past_the_json_cap_and_typed_errors, .timeout = 60)
{
  const size_t size = 12u * 1024 * 1024;
  char *big = malloc(size);
  struct sbx_error err = { 0 };
  char *data = NULL;
  size_t len = 0;

  cr_assert_not_null(big);
  for (size_t i = 0; i < size; i++)
    big[i] = (char)(i * 7 + i / 4096);
  cr_assert_eq(sbx_shared_write_file(client, "big", big, size, &err), -1, "the JSON write takes 12 MiB?");
  cr_expect_str_eq(err.code, "PAYLOAD_TOO_LARGE");
  cr_assert_eq(sbx_client_put_file(client, SBX_SHARED_FILES, "big", big, size, &err), 0, "%s", err.message);
  cr_assert_eq(sbx_client_get_file(client, SBX_SHARED_FILES, "big", &data, &len, &err), 0, "%s", err.message);
  cr_assert_eq(len, size);
  cr_expect(memcmp(data, big, size) == 0, "the bytes come back as written");
  free(data);
  /* A name that needs escaping in a query, in the user's view. */
  cr_assert_eq(sbx_client_put_file(client, SBX_USER_CONTEXT, "/tmp/a b%&c=+", "v\0w", 3, &err), 0, "%s", err.message);
  cr_assert_eq(sbx_user_read_file(client, "/tmp/a b%&c=+", &data, &len, &err), 0, "%s", err.message);
  cr_expect(len == 3 && memcmp(data, "v\0w", 3) == 0, "the JSON read sees the raw write");
  free(data);
  cr_expect_eq(sbx_client_put_file(client, SBX_SHARED_FILES, "../../etc/passwd", "x", 1, &err), -1);
  cr_expect_str_eq(err.code, "PATH_OUTSIDE_ROOT");
  cr_expect_eq(sbx_client_get_file(client, SBX_SHARED_FILES, "nope", &data, &len, &err), -1);
  cr_expect_str_eq(err.code, "FILE_NOT_FOUND");
  cr_expect(data == NULL && len == 0);
  free(big);
}

Test(client, operations_register_and_call, .timeout = 60)
{
  struct sbx_error err = { 0 };
  char *result = NULL;

  cr_assert_eq(sbx_register_operation(client, "echo", echo_sock, NULL, &err), 0, "%s", err.message);
  cr_assert_eq(sbx_call_operation(client, "echo", "{\"k\":[1,2]}", &result, &err), 0, "%s", err.message);
  cr_expect_str_eq(result,
                   "{\"handledBy\":\"sbx-op-echo\",\"request\":{\"operation\":\"echo\",\"sandboxId\":\"t\",\"params\":{\"k\":[1,2]}}}");
  free(result);
  cr_expect_eq(sbx_call_operation(client, "other", NULL, &result, &err), -1);
  cr_expect_str_eq(err.code, "OPERATION_NOT_FOUND");
  cr_expect_eq(sbx_call_operation(client, "echo", "{not json", &result, &err), -1);
  cr_expect_str_eq(err.code, "VALIDATION_FAILED");
  cr_assert_eq(sbx_unregister_operation(client, "echo", &err), 0, "%s", err.message);
  cr_expect_eq(sbx_call_operation(client, "echo", NULL, &result, &err), -1);
  cr_expect_str_eq(err.code, "OPERATION_NOT_FOUND");
}

#define THREADS 32

static void *exec_thread(void *arg)
{
  long n = (long)arg;
  char cmd[64], want[64];
  struct sbx_result res;
  struct sbx_error err = { 0 };
  long ok;

  snprintf(cmd, sizeof cmd, "echo run-%ld", n);
  snprintf(want, sizeof want, "run-%ld\n", n);
  ok = (n % 2 ? sbx_platform_exec : sbx_user_exec)(client, cmd, NULL, &res, &err) == 0 && res.stdout_buf != NULL
       && strcmp(res.stdout_buf, want) == 0;
  sbx_result_free(&res);
  return (void *)ok;
}

Test(client, one_handle_serves_32_threads_at_once, .timeout = 60)
{
  pthread_t t[THREADS];
  int good = 0;

  for (long i = 0; i < THREADS; i++)
    cr_assert_eq(pthread_create(&t[i], NULL, exec_thread, (void *)i), 0);
  for (int i = 0; i < THREADS; i++)
    {
      void *ok;
      pthread_join(t[i], &ok);
      good += ok != NULL;
    }
  cr_expect_eq(good, THREADS, "%d of %d concurrent execs came back right", good, THREADS);
}

Test(client, open_reports_an_unreachable_daemon_and_bad_ids, .timeout = 60)
{
  struct sbx_client_options o = { .create = true };
  struct sbx_error err = { 0 };
  struct sbx_result res;
  char missing[160];

  snprintf(missing, sizeof missing, "%s/none.sock", work);
  cr_expect_null(sbx_open(missing, "x", &o, &err));
  cr_expect_str_eq(err.code, "DAEMON_UNAVAILABLE");
  cr_expect_null(sbx_open(sock, "../x", NULL, &err));
  cr_expect_str_eq(err.code, "VALIDATION_FAILED");
  {
    struct sbx_client *compat = sbx_open(sock, NULL, NULL, &err);
    cr_assert_not_null(compat);
    cr_expect_eq(sbx_platform_exec(compat, "true", NULL, &res, &err), -1, "no platform without a sandbox id");
    cr_expect_str_eq(err.code, "VALIDATION_FAILED");
    cr_assert_eq(sbx_user_exec(compat, "echo compat", NULL, &res, &err), 0, "%s", err.message);
    cr_expect_str_eq(res.stdout_buf, "compat\n");
    sbx_result_free(&res);
    sbx_close(compat);
  }
}

/* ---- retries: a server of our own that resets a connection on demand ---- */

static struct
{
  int listen_fd;
  pthread_mutex_t lock;
  int reset_next; /* resets this many connections before answering */
  bool keep_alive; /* answers to GETs keep the connection open for the next request */
  int requests;   /* requests read, the sentinels not counted */
  char last[128]; /* "METHOD PATH" of the last one */
} rs = { .listen_fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };

/* Reads one request's head and body; its request line into line. */
static bool read_request(int fd, char *line, size_t size)
{
  char buf[8192];
  size_t len = 0;
  char *end = NULL, *cl;
  long body = 0;

  while (end == NULL)
    {
      ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
      if (n <= 0)
        return false;
      len += (size_t)n;
      buf[len] = '\0';
      end = strstr(buf, "\r\n\r\n");
    }
  if ((cl = strcasestr(buf, "Content-Length:")) != NULL && cl < end)
    body = strtol(cl + 15, NULL, 10);
  for (long left = body - (long)(len - (size_t)(end + 4 - buf)); left > 0;)
    {
      ssize_t n = read(fd, buf, sizeof buf < (size_t)left ? sizeof buf : (size_t)left);
      if (n <= 0)
        return false;
      left -= n;
    }
  snprintf(line, size, "%.*s", (int)strcspn(buf, "\r"), buf);
  return true;
}

static void *reset_server(void *arg)
{
  static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 33\r\n"
                           "Connection: close\r\n\r\n{\"success\":true,\"processes\":[]}\n\n";
  static const char ok_kept[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 33\r\n"
                                "\r\n{\"success\":true,\"processes\":[]}\n\n";
  int fd;

  (void)arg;
  while ((fd = accept4(rs.listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
    {
      char line[128];
      bool sentinel, reset, keep;

    next_request:
      if (!read_request(fd, line, sizeof line))
        {
          close(fd);
          continue;
        }
      sentinel = strstr(line, " /sentinel ") != NULL;
      pthread_mutex_lock(&rs.lock);
      reset = !sentinel && rs.reset_next > 0 && (!rs.keep_alive || strncmp(line, "POST ", 5) == 0);
      keep = !sentinel && !reset && rs.keep_alive && strncmp(line, "GET ", 4) == 0;
      if (reset)
        rs.reset_next--;
      if (!sentinel)
        {
          rs.requests++;
          snprintf(rs.last, sizeof rs.last, "%s", line);
        }
      pthread_mutex_unlock(&rs.lock);
      if (reset)
        {
          /* SO_LINGER 0: close sends a RST, what a crashed or restarted peer gives. */
          struct linger l = { .l_onoff = 1, .l_linger = 0 };
          setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        }
      else if (keep)
        {
          if (write(fd, ok_kept, sizeof ok_kept - 1) != (ssize_t)(sizeof ok_kept - 1))
            cr_log_warn("reset server: short write");
          goto next_request;
        }
      else if (write(fd, ok, sizeof ok - 1) != (ssize_t)(sizeof ok - 1))
        cr_log_warn("reset server: short write");
      close(fd);
    }
  return NULL;
}

/* The server has handled every connection made before this returns: it takes
 * them in order, and answers the sentinel last. */
static int requests_seen(const char *path)
{
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  static const char req[] = "GET /sentinel HTTP/1.1\r\nHost: x\r\n\r\n";
  char buf[256];
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), n;

  snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
  cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  cr_assert_eq(write(fd, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
  cr_assert_gt(read(fd, buf, sizeof buf), 0, "the sentinel is answered");
  close(fd);
  pthread_mutex_lock(&rs.lock);
  n = rs.requests;
  rs.requests = 0;
  pthread_mutex_unlock(&rs.lock);
  return n;
}

/* A connection reset before any answer: a request that may run twice is sent
 * again once, on a fresh connection; an exec never is. */
Test(client_retry, idempotent_requests_are_retried_once_and_exec_never, .timeout = 60)
{
  char dir[] = "/tmp/sbx-retry-XXXXXX", path[108];
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  struct sbx_client *c;
  struct sbx_error err = { 0 };
  struct sbx_result res;
  struct sbx_process *list = NULL;
  size_t n = 99;
  pthread_t t;

  cr_assert_not_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/reset.sock", dir);
  snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
  rs.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cr_assert_eq(bind(rs.listen_fd, (struct sockaddr *)&a, sizeof a), 0);
  cr_assert_eq(listen(rs.listen_fd, 16), 0);
  cr_assert_eq(pthread_create(&t, NULL, reset_server, NULL), 0);
  c = sbx_open(path, "t", NULL, &err);
  cr_assert_not_null(c, "%s", err.message);

  /* The control, and the exec case: the reset is real (the call fails), and
   * the exec reached the server once. */
  rs.reset_next = 1;
  cr_expect_eq(sbx_user_exec(c, "echo once", NULL, &res, &err), -1, "an exec whose connection was reset fails");
  cr_expect_str_eq(err.code, SBX_E_UNAVAILABLE, "%s: %s", err.code, err.message);
  cr_expect_eq(requests_seen(path), 1, "the exec was sent once, never again");
  cr_expect(strncmp(rs.last, "POST /api/sandboxes/t/user/execute ", 35) == 0, "%s", rs.last);
  memset(&err, 0, sizeof err);
  /* A GET: sent again on a fresh connection, and answered. */
  rs.reset_next = 1;
  cr_expect_eq(sbx_list_processes(c, SBX_USER_CONTEXT, &list, &n, &err), 0, "a GET is retried: %s: %s", err.code,
               err.message);
  cr_expect_eq(n, 0);
  sbx_processes_free(list, n);
  cr_expect_eq(requests_seen(path), 2, "the GET was sent twice");
  /* Only once: two resets in a row fail the GET. */
  rs.reset_next = 2;
  cr_expect_eq(sbx_list_processes(c, SBX_USER_CONTEXT, &list, &n, &err), -1);
  cr_expect_str_eq(err.code, SBX_E_UNAVAILABLE);
  cr_expect_eq(requests_seen(path), 2, "one retry, no more");

  /* On a reused connection libcurl itself sends again what died unanswered.
   * Control: the GET that leaves the connection open is answered; then the
   * exec on that connection is reset, and must reach the server once. */
  rs.keep_alive = true;
  cr_expect_eq(sbx_list_processes(c, SBX_USER_CONTEXT, &list, &n, &err), 0, "%s: %s", err.code, err.message);
  sbx_processes_free(list, n);
  rs.reset_next = 1;
  memset(&err, 0, sizeof err);
  cr_expect_eq(sbx_user_exec(c, "echo once", NULL, &res, &err), -1, "an exec on a reused connection that was reset fails");
  cr_expect_str_eq(err.code, SBX_E_UNAVAILABLE, "%s: %s", err.code, err.message);
  cr_expect_eq(requests_seen(path), 2, "the GET, and the exec once: libcurl did not send it again");
  rs.keep_alive = false;

  sbx_close(c);
  shutdown(rs.listen_fd, SHUT_RDWR);
  pthread_join(t, NULL);
  close(rs.listen_fd);
  unlink(path);
  rmdir(dir);
}
