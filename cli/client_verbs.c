/* splitbox exec|start|ps|kill|read|write|ls|call|sandbox: a running daemon,
 * driven through libsplitbox-client. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "cleanup.h"
#include "cli.h"
#include "splitbox.h"

#define EXIT_API 1
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3
#define EXIT_EXEC_TIMEOUT 124
#define EXIT_EXEC_FAILED 125
#define MAX_ENV 256
#define STDIN_MAX (64u * 1024 * 1024)

static const char verbs_usage[] =
  "Usage: splitbox VERB [--socket PATH | --url URL [--token-file FILE]] [--sandbox ID]\n"
  "                     [--context user|platform|shared] [--json] ...\n"
  "\n"
  "  exec  [--env NAME=VALUE]... [--cwd DIR] [--timeout MS] [--init] -- COMMAND...\n"
  "                          run COMMAND (joined by spaces, run by /bin/sh -c) and wait.\n"
  "                          --init (platform): under splitbox-init, not as PID 1 of its\n"
  "                          namespace (which ignores signals it has no handler for)\n"
  "  start [--env NAME=VALUE]... [--cwd DIR] -- COMMAND...   start a background process\n"
  "  ps                      list the context's processes\n"
  "  kill  ID [--signal N]   kill a process's tree (default SIGTERM)\n"
  "  read  PATH              print a file's bytes\n"
  "  write PATH [--content TEXT]   write TEXT, or standard input, to a file\n"
  "  ls    [PATH]            list a directory of the shared dir\n"
  "  call  NAME [--params JSON]    call a platform operation. Platform code calls on\n"
  "                          its own operations socket ($SPLITBOX_RUN_DIR/ops.sock, and\n"
  "                          `splitbox` is on its PATH); elsewhere it needs --sandbox\n"
  "  sandbox create ID [--body JSON]   create a sandbox (PUT /api/sandboxes/ID; the body\n"
  "                          sets its options: docs/API.md), idempotent\n"
  "  sandbox delete ID       delete a sandbox and everything in it\n"
  "  sandbox list            the daemon's sandboxes, one id per line (--json: the answer)\n"
  "\n"
  "The socket defaults to $SPLITBOX_SOCKET (or $SPLITBOX_URL with $SPLITBOX_TOKEN),\n"
  "the sandbox to $SPLITBOX_SANDBOX; without one the daemon's compatibility routes\n"
  "act on its \"default\" sandbox, user context only. The context defaults to user.\n"
  "\n"
  "Exit status: 0 on success; 1 when the daemon refused the request (its error code\n"
  "is printed); 2 on bad usage; 3 when the daemon cannot be reached. exec exits with\n"
  "the command's status, 124 when it timed out, and 125 when splitbox itself failed.\n";

struct verb_args
{
  const char *verb;
  const char *socket, *url, *token_file, *sandbox, *context;
  const char *cwd, *content, *params, *signal, *body;
  const char *env[MAX_ENV + 1];
  size_t n_env;
  long long timeout_ms;
  bool json, init;
  char **rest;
  int n_rest;
};

static int usage_error(const struct verb_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(const struct verb_args *a, const char *fmt, ...)
{
  va_list ap;

  fprintf(stderr, "splitbox %s: ", a->verb);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputs("\n(see `splitbox exec --help`)\n", stderr);
  return strcmp(a->verb, "exec") == 0 ? EXIT_EXEC_FAILED : EXIT_USAGE;
}

static int parse(int argc, char **argv, struct verb_args *a)
{
  static const struct option opts[] = {
    { "socket", required_argument, NULL, 's' },  { "url", required_argument, NULL, 'u' },
    { "token-file", required_argument, NULL, 'T' }, { "sandbox", required_argument, NULL, 'b' },
    { "context", required_argument, NULL, 'c' }, { "env", required_argument, NULL, 'e' },
    { "cwd", required_argument, NULL, 'C' },     { "timeout", required_argument, NULL, 't' },
    { "content", required_argument, NULL, 'x' }, { "params", required_argument, NULL, 'p' },
    { "signal", required_argument, NULL, 'S' },  { "json", no_argument, NULL, 'j' },
    { "body", required_argument, NULL, 'B' },    { "init", no_argument, NULL, 'I' },
    { "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
  };
  bool command_follows = strcmp(argv[0], "exec") == 0 || strcmp(argv[0], "start") == 0;
  int c;

  a->verb = argv[0];
  optind = 1;
  /* exec and start: options stop at the command, so its own options stay its own. */
  while ((c = getopt_long(argc, argv, command_follows ? "+h" : "h", opts, NULL)) != -1)
    switch (c)
      {
      case 's': a->socket = optarg; break;
      case 'u': a->url = optarg; break;
      case 'T': a->token_file = optarg; break;
      case 'b': a->sandbox = optarg; break;
      case 'c': a->context = optarg; break;
      case 'C': a->cwd = optarg; break;
      case 'x': a->content = optarg; break;
      case 'p': a->params = optarg; break;
      case 'B': a->body = optarg; break;
      case 'S': a->signal = optarg; break;
      case 'j': a->json = true; break;
      case 'I': a->init = true; break;
      case 'e':
        if (a->n_env == MAX_ENV || strchr(optarg, '=') == NULL)
          return usage_error(a, "--env takes NAME=VALUE (at most 256): \"%s\"", optarg);
        a->env[a->n_env++] = optarg;
        break;
      case 't':
        {
          char *end;
          errno = 0;
          a->timeout_ms = strtoll(optarg, &end, 10);
          if (errno != 0 || *end != '\0' || a->timeout_ms < 0)
            return usage_error(a, "--timeout takes milliseconds, a whole number >= 0: \"%s\"", optarg);
          break;
        }
      case 'h': fputs(verbs_usage, stdout); exit(0);
      default: return usage_error(a, "%s", "bad option");
      }
  /* User commands and started processes always run under an init. */
  if (a->init && strcmp(a->verb, "exec") != 0)
    return usage_error(a, "%s", "--init is for exec in the platform context");
  a->rest = argv + optind;
  a->n_rest = argc - optind;
  return 0;
}

static bool where_parse(const char *name, enum sbx_where *w)
{
  if (name == NULL || strcmp(name, "user") == 0)
    *w = SBX_USER_CONTEXT;
  else if (strcmp(name, "platform") == 0)
    *w = SBX_PLATFORM_CONTEXT;
  else if (strcmp(name, "shared") == 0)
    *w = SBX_SHARED_FILES;
  else
    return false;
  return true;
}

/* Prints err (as JSON with --json) and picks the exit status. */
static int report(const struct verb_args *a, const struct sbx_error *err)
{
  bool unreachable = strcmp(err->code, SBX_E_UNAVAILABLE) == 0;

  if (a->json)
    {
      cJSON *doc = cJSON_CreateObject();
      char *text;
      cJSON_AddBoolToObject(doc, "success", false);
      cJSON_AddStringToObject(doc, "code", err->code);
      cJSON_AddStringToObject(doc, "message", err->message);
      text = cJSON_PrintUnformatted(doc);
      puts(text != NULL ? text : "{\"success\":false}");
      free(text);
      cJSON_Delete(doc);
    }
  else
    fprintf(stderr, "splitbox %s: %s: %s\n", a->verb, err->code, err->message);
  if (strcmp(a->verb, "exec") == 0)
    return strcmp(err->code, "COMMAND_TIMEOUT") == 0 ? EXIT_EXEC_TIMEOUT : EXIT_EXEC_FAILED;
  return unreachable ? EXIT_UNREACHABLE : EXIT_API;
}

static void print_json(cJSON *doc)
{
  char *text = cJSON_PrintUnformatted(doc);
  puts(text != NULL ? text : "null");
  free(text);
  cJSON_Delete(doc);
}

static char *joined(char **argv, int n)
{
  size_t len = 1;
  char *s;

  for (int i = 0; i < n; i++)
    len += strlen(argv[i]) + 1;
  if ((s = calloc(1, len)) == NULL)
    return NULL;
  for (int i = 0; i < n; i++)
    {
      if (i > 0)
        strcat(s, " ");
      strcat(s, argv[i]);
    }
  return s;
}

static cJSON *process_json(const struct sbx_process *p)
{
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", p->id != NULL ? p->id : "");
  cJSON_AddNumberToObject(o, "pid", p->pid);
  cJSON_AddStringToObject(o, "command", p->command != NULL ? p->command : "");
  cJSON_AddStringToObject(o, "status", p->status != NULL ? p->status : "");
  if (p->exited)
    cJSON_AddNumberToObject(o, "exitCode", p->exit_code);
  return o;
}

static int do_exec(struct sbx_client *c, const struct verb_args *a, enum sbx_where w, bool background)
{
  struct sbx_exec_options o = { .env = a->n_env ? a->env : NULL, .cwd = a->cwd, .timeout_ms = a->timeout_ms };
  struct sbx_error err = { 0 };
  _cleanup_free_ char *command = joined(a->rest, a->n_rest);
  struct sbx_result res;
  struct sbx_process p;
  int r;

  if (a->n_rest == 0)
    return usage_error(a, "%s", "give the command after --");
  if (w == SBX_SHARED_FILES)
    return usage_error(a, "%s", "commands run in the user or the platform context");
  if (command == NULL)
    return EXIT_EXEC_FAILED;
  if (a->init && w != SBX_PLATFORM_CONTEXT)
    return usage_error(a, "%s", "--init is for exec in the platform context: user commands always have an init");
  if (background)
    {
      r = w == SBX_PLATFORM_CONTEXT ? sbx_platform_start_process(c, command, &o, &p, &err)
                                    : sbx_user_start_process(c, command, &o, &p, &err);
      if (r < 0)
        return report(a, &err);
      if (a->json)
        print_json(process_json(&p));
      else
        printf("%s\n", p.id != NULL ? p.id : "");
      sbx_process_free(&p);
      return 0;
    }
  if (w == SBX_PLATFORM_CONTEXT)
    r = a->init ? sbx_platform_exec_under_init(c, command, &o, &res, &err) : sbx_platform_exec(c, command, &o, &res, &err);
  else
    r = sbx_user_exec(c, command, &o, &res, &err);
  if (r < 0 && res.stdout_buf == NULL && res.stderr_buf == NULL)
    return report(a, &err);
  if (a->json)
    {
      cJSON *doc = cJSON_CreateObject();
      cJSON_AddBoolToObject(doc, "success", res.success && r == 0);
      cJSON_AddNumberToObject(doc, "exitCode", res.exit_code);
      cJSON_AddStringToObject(doc, "stdout", res.stdout_buf != NULL ? res.stdout_buf : "");
      cJSON_AddStringToObject(doc, "stderr", res.stderr_buf != NULL ? res.stderr_buf : "");
      cJSON_AddNumberToObject(doc, "duration", res.duration_ms);
      cJSON_AddStringToObject(doc, "context", res.context != NULL ? res.context : "");
      cJSON_AddStringToObject(doc, "isolation", res.isolation != NULL ? res.isolation : "");
      if (r < 0)
        cJSON_AddStringToObject(doc, "code", err.code);
      print_json(doc);
    }
  else
    {
      fwrite(res.stdout_buf, 1, res.stdout_len, stdout);
      fwrite(res.stderr_buf, 1, res.stderr_len, stderr);
      for (char **warning = res.warnings; warning != NULL && *warning != NULL; warning++)
        fprintf(stderr, "splitbox exec: warning: %s\n", *warning);
      if (r < 0)
        fprintf(stderr, "splitbox exec: %s: %s\n", err.code, err.message);
    }
  fflush(stdout);
  r = r < 0 ? (strcmp(err.code, "COMMAND_TIMEOUT") == 0 ? EXIT_EXEC_TIMEOUT : EXIT_EXEC_FAILED) : res.exit_code;
  sbx_result_free(&res);
  return r;
}

static int do_ps(struct sbx_client *c, const struct verb_args *a, enum sbx_where w)
{
  struct sbx_error err = { 0 };
  struct sbx_process *list;
  size_t n;

  if (sbx_list_processes(c, w, &list, &n, &err) < 0)
    return report(a, &err);
  if (a->json)
    {
      cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "processes");
      for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, process_json(&list[i]));
      print_json(doc);
    }
  else
    {
      printf("%-12s %8s %-10s %s\n", "ID", "PID", "STATUS", "COMMAND");
      for (size_t i = 0; i < n; i++)
        printf("%-12s %8d %-10s %s\n", list[i].id != NULL ? list[i].id : "?", list[i].pid,
               list[i].status != NULL ? list[i].status : "?", list[i].command != NULL ? list[i].command : "");
    }
  sbx_processes_free(list, n);
  return 0;
}

static int do_kill(struct sbx_client *c, const struct verb_args *a, enum sbx_where w)
{
  struct sbx_error err = { 0 };
  int signo = 0;

  if (a->n_rest != 1)
    return usage_error(a, "%s", "give one process id");
  if (a->signal != NULL)
    {
      char *end;
      long v = strtol(a->signal, &end, 10);
      if (*end != '\0' || v < 1 || v > 64)
        return usage_error(a, "--signal takes a number from 1 to 64: \"%s\"", a->signal);
      signo = (int)v;
    }
  if (sbx_kill_process(c, w, a->rest[0], signo, &err) < 0)
    return report(a, &err);
  if (a->json)
    {
      cJSON *doc = cJSON_CreateObject();
      cJSON_AddBoolToObject(doc, "success", true);
      cJSON_AddStringToObject(doc, "processId", a->rest[0]);
      print_json(doc);
    }
  return 0;
}

static int do_read(struct sbx_client *c, const struct verb_args *a, enum sbx_where w)
{
  struct sbx_error err = { 0 };
  _cleanup_free_ char *data = NULL;
  size_t len;

  if (a->n_rest != 1)
    return usage_error(a, "%s", "give one path");
  if (sbx_client_get_file(c, w, a->rest[0], &data, &len, &err) < 0)
    return report(a, &err);
  if (a->json)
    {
      cJSON *doc = cJSON_CreateObject();
      _cleanup_free_ char *encoded = NULL;
      cJSON_AddBoolToObject(doc, "success", true);
      cJSON_AddStringToObject(doc, "path", a->rest[0]);
      cJSON_AddNumberToObject(doc, "size", (double)len);
      /* A JSON string cannot hold every byte: base64 unless it is plain text. */
      if (memchr(data, '\0', len) == NULL && cJSON_AddStringToObject(doc, "content", data) != NULL)
        cJSON_AddStringToObject(doc, "encoding", "utf-8");
      else if ((encoded = sbx_base64_encode(data, len)) != NULL)
        {
          cJSON_AddStringToObject(doc, "content", encoded);
          cJSON_AddStringToObject(doc, "encoding", "base64");
        }
      print_json(doc);
    }
  else
    fwrite(data, 1, len, stdout);
  return 0;
}

static char *read_stdin(size_t *len)
{
  size_t cap = 65536;
  char *buf = malloc(cap);
  ssize_t n = 0;

  *len = 0;
  while (buf != NULL && ((n = read(0, buf + *len, cap - *len)) > 0 || (n < 0 && errno == EINTR)))
    {
      if (n < 0)
        continue;
      *len += (size_t)n;
      if (*len == cap)
        {
          char *grown = cap >= STDIN_MAX ? NULL : realloc(buf, cap * 2);
          if (grown == NULL)
            {
              free(buf);
              return NULL;
            }
          buf = grown;
          cap *= 2;
        }
    }
  if (n < 0)
    {
      /* A partial read is no file to store. */
      free(buf);
      return NULL;
    }
  return buf;
}

static int do_write(struct sbx_client *c, const struct verb_args *a, enum sbx_where w)
{
  struct sbx_error err = { 0 };
  _cleanup_free_ char *from_stdin = NULL;
  size_t len;

  if (a->n_rest != 1)
    return usage_error(a, "%s", "give one path");
  if (a->content == NULL && (from_stdin = read_stdin(&len)) == NULL)
    return usage_error(a, "%s", "cannot read standard input (at most 64 MiB)");
  if (a->content != NULL)
    len = strlen(a->content);
  if (sbx_client_put_file(c, w, a->rest[0], a->content != NULL ? a->content : from_stdin, len, &err) < 0)
    return report(a, &err);
  if (a->json)
    {
      cJSON *doc = cJSON_CreateObject();
      cJSON_AddBoolToObject(doc, "success", true);
      cJSON_AddStringToObject(doc, "path", a->rest[0]);
      cJSON_AddNumberToObject(doc, "size", (double)len);
      print_json(doc);
    }
  return 0;
}

static int do_ls(struct sbx_client *c, const struct verb_args *a)
{
  struct sbx_error err = { 0 };
  struct sbx_file_entry *list;
  size_t n;

  if (a->n_rest > 1)
    return usage_error(a, "%s", "give at most one path");
  if (sbx_shared_ls(c, a->n_rest == 1 ? a->rest[0] : ".", &list, &n, &err) < 0)
    return report(a, &err);
  if (a->json)
    {
      cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "files");
      for (size_t i = 0; i < n; i++)
        {
          cJSON *f = cJSON_CreateObject();
          cJSON_AddStringToObject(f, "name", list[i].name != NULL ? list[i].name : "");
          cJSON_AddStringToObject(f, "type", list[i].type != NULL ? list[i].type : "");
          cJSON_AddNumberToObject(f, "size", (double)list[i].size);
          cJSON_AddItemToArray(arr, f);
        }
      print_json(doc);
    }
  else
    for (size_t i = 0; i < n; i++)
      printf("%-9s %12llu %s\n", list[i].type != NULL ? list[i].type : "?", list[i].size,
             list[i].name != NULL ? list[i].name : "?");
  sbx_file_entries_free(list, n);
  return 0;
}

static int do_call(struct sbx_client *c, const struct verb_args *a)
{
  struct sbx_error err = { 0 };
  _cleanup_free_ char *result = NULL;

  if (a->n_rest != 1)
    return usage_error(a, "%s", "give one operation name");
  if (sbx_call_operation(c, a->rest[0], a->params, &result, &err) < 0)
    return report(a, &err);
  puts(result);
  return 0;
}

/* sandbox create|delete|list: the daemon's /api/sandboxes routes. */
static int do_sandbox(struct sbx_client *c, const struct verb_args *a)
{
  const char *what = a->n_rest > 0 ? a->rest[0] : "";
  const char *id = a->n_rest > 1 ? a->rest[1] : a->sandbox;
  _cleanup_free_ char *answer = NULL, *path = NULL;
  struct sbx_error err = { 0 };
  bool list = strcmp(what, "list") == 0;
  long status = 0;

  if (!list && strcmp(what, "create") != 0 && strcmp(what, "delete") != 0)
    return usage_error(a, "%s", "sandbox takes create ID, delete ID or list");
  if (list ? a->n_rest != 1 : (id == NULL || id[0] == '\0' || a->n_rest > 2))
    return usage_error(a, "sandbox %s takes %s", what, list ? "no argument" : "one id");
  if (asprintf(&path, list ? "/api/sandboxes" : "/api/sandboxes/%s", id) < 0)
    return EXIT_API;
  if (sbx_request(c, list ? "GET" : strcmp(what, "create") == 0 ? "PUT" : "DELETE", path,
                  strcmp(what, "create") == 0 ? (a->body != NULL ? a->body : "{}") : NULL, &status, &answer, &err) < 0)
    return report(a, &err);
  if (status < 200 || status >= 300)
    {
      _cleanup_json_ cJSON *doc = cJSON_Parse(answer != NULL ? answer : "");
      const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "code"));
      const char *message = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "message"));
      snprintf(err.code, sizeof err.code, "%s", code != NULL ? code : "HTTP_ERROR");
      snprintf(err.message, sizeof err.message, "%s (HTTP %ld)", message != NULL ? message : "the daemon refused",
               status);
      return report(a, &err);
    }
  if (a->json || !list)
    {
      if (a->json)
        puts(answer != NULL ? answer : "{}");
      return 0;
    }
  {
    _cleanup_json_ cJSON *doc = cJSON_Parse(answer != NULL ? answer : "");
    const cJSON *arr = cJSON_IsArray(doc) ? doc : cJSON_GetObjectItemCaseSensitive(doc, "sandboxes"), *sb;
    cJSON_ArrayForEach(sb, arr)
      {
        const char *sid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sb, "id"));
        if (sid != NULL)
          puts(sid);
      }
  }
  return 0;
}

/* Platform code's operations socket: under SPLITBOX_RUN_DIR, which the daemon
 * sets for platform commands, else in its view's /run/splitbox. NULL when
 * neither exists: then this is not platform code of a splitbox daemon. */
static char *platform_ops_socket(void)
{
  const char *run = getenv("SPLITBOX_RUN_DIR");
  char *path = NULL;

  if (asprintf(&path, "%s/ops.sock", run != NULL && run[0] != '\0' ? run : "/run/splitbox") < 0)
    return NULL;
  if ((run == NULL || run[0] == '\0') && access(path, F_OK) != 0)
    {
      free(path);
      return NULL;
    }
  return path;
}

int sbx_cli_client_verb(int argc, char **argv)
{
  struct verb_args a = { 0 };
  struct sbx_client_options o = { 0 };
  struct sbx_error err = { 0 };
  _cleanup_free_ char *token = NULL, *ops_socket = NULL;
  const char *target;
  struct sbx_client *c;
  enum sbx_where w;
  bool is_call = strcmp(argv[0], "call") == 0;
  int r;

  if ((r = parse(argc, argv, &a)) != 0)
    return r;
  if (!where_parse(a.context, &w))
    return usage_error(&a, "--context takes user, platform or shared: \"%s\"", a.context);
  target = a.socket != NULL ? a.socket : a.url;
  /* Platform code calls on its own view's operations socket, which names the
   * sandbox; anywhere else, call goes to the daemon like every verb. */
  if (target == NULL && is_call && a.sandbox == NULL && (ops_socket = platform_ops_socket()) != NULL)
    target = ops_socket;
  /* An empty variable is an unset one; an empty --sandbox is an error. */
  if (a.sandbox == NULL && ops_socket == NULL && getenv("SPLITBOX_SANDBOX") != NULL && getenv("SPLITBOX_SANDBOX")[0] != '\0')
    a.sandbox = getenv("SPLITBOX_SANDBOX");
  if (target == NULL && getenv("SPLITBOX_SOCKET") != NULL && getenv("SPLITBOX_SOCKET")[0] != '\0')
    target = getenv("SPLITBOX_SOCKET");
  if (target == NULL && getenv("SPLITBOX_URL") != NULL && getenv("SPLITBOX_URL")[0] != '\0')
    target = getenv("SPLITBOX_URL");
  if (target == NULL || target[0] == '\0')
    return usage_error(&a, "%s", "no daemon: give --socket PATH or --url URL (or set SPLITBOX_SOCKET)");
  if (is_call && ops_socket == NULL && a.sandbox == NULL && a.socket == NULL && a.url == NULL)
    return usage_error(&a, "%s", "call on the daemon's socket needs --sandbox ID (or SPLITBOX_SANDBOX); "
                                 "only platform code has an operations socket of its own");
  if (a.token_file != NULL && (token = sbx_cli_read_token(a.token_file)) == NULL)
    return usage_error(&a, "cannot read a token from %s", a.token_file);
  o.token = token != NULL ? token : getenv("SPLITBOX_TOKEN");
  c = sbx_open(target, a.sandbox, &o, &err);
  if (c == NULL)
    return report(&a, &err);
  if (strcmp(a.verb, "exec") == 0 || strcmp(a.verb, "start") == 0)
    r = do_exec(c, &a, w, strcmp(a.verb, "start") == 0);
  else if (strcmp(a.verb, "ps") == 0)
    r = w == SBX_SHARED_FILES ? usage_error(&a, "%s", "processes live in the user or the platform context")
                              : do_ps(c, &a, w);
  else if (strcmp(a.verb, "kill") == 0)
    r = do_kill(c, &a, w);
  else if (strcmp(a.verb, "read") == 0)
    r = do_read(c, &a, w);
  else if (strcmp(a.verb, "write") == 0)
    r = do_write(c, &a, w);
  else if (strcmp(a.verb, "sandbox") == 0)
    r = do_sandbox(c, &a);
  else if (strcmp(a.verb, "ls") == 0)
    r = a.context != NULL && w != SBX_SHARED_FILES ? usage_error(&a, "%s", "ls lists the shared directory only")
                                                   : do_ls(c, &a);
  else
    r = do_call(c, &a);
  sbx_close(c);
  return r;
}

bool sbx_cli_is_client_verb(const char *verb)
{
  static const char *const verbs[] = { "exec", "start", "ps", "kill", "read", "write", "ls", "call", "sandbox" };

  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    if (strcmp(verb, verbs[i]) == 0)
      return true;
  return false;
}

void sbx_cli_client_usage(FILE *out)
{
  fputs(verbs_usage, out);
}
