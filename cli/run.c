/* splitbox run: one command, one context, one fresh sandbox. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "executor.h"

#define EXIT_TIMEOUT 124
#define EXIT_EXECUTOR 125
#define MAX_ENV 1024

static const char run_usage[] =
  "Usage: splitbox run --context user|platform [OPTION...] -- COMMAND [ARG...]\n"
  "\n"
  "Create a sandbox, run COMMAND in one of its two contexts, tear everything down,\n"
  "and exit with COMMAND's exit code.\n"
  "\n"
  "The user context is a sandbox of its own user, PID, mount, IPC, UTS and network\n"
  "namespaces: an unprivileged uid, no capabilities, no_new_privs, a fresh /proc, a\n"
  "minimal /dev, read-only system directories, private /tmp and HOME, and the shared\n"
  "directory. The platform context gets fresh PID, mount and IPC namespaces beside\n"
  "it (never above it), sees the host's filesystem, a private /tmp and HOME, and\n"
  "the platform-private directory /platform. Neither context inherits this\n"
  "program's environment: each gets PATH, HOME, LANG and TERM, plus --env.\n"
  "\n"
  "COMMAND and its ARGs are joined with spaces and run by /bin/sh -c, so quote\n"
  "shell syntax once: splitbox run --context user -- 'echo $HOME'.\n"
  "\n"
  "Options:\n"
  "  -c, --context CTX          user or platform (required)\n"
  "  -e, --env NAME=VALUE       set a variable for COMMAND (repeatable); NAME must be\n"
  "                             letters, digits and '_'; PATH is fixed for platform\n"
  "  -e, --env NAME             pass NAME from splitbox's own environment: keeps a\n"
  "                             secret out of the process list\n"
  "  -C, --cwd DIR              working directory, a path inside the context\n"
  "  -t, --timeout-ms N         kill COMMAND's whole process tree after N ms (0: none)\n"
  "      --init                 platform: run COMMAND under splitbox-init, not as its\n"
  "                             PID namespace's PID 1 (which ignores signals it has no\n"
  "                             handler for, even `kill $$`); one exec more\n"
  "      --shared DIR           host directory to share (default: a fresh one)\n"
  "      --shared-path PATH     where the shared directory appears (default /app)\n"
  "      --user-network MODE    isolated (default, only lo) or host\n"
  "      --platform-network MODE  host (default) or isolated\n"
  "      --platform-host-fs MODE  rw (default: the host's files as they are) or ro (the\n"
  "                             host read-only, but for the shared dir, /platform,\n"
  "                             /tmp and HOME)\n"
  SBX_CLI_LIMITS_USAGE
  "      --require-isolation    fail with NAMESPACE_NOT_SUPPORTED rather than fall back\n"
  "                             to process-level isolation\n"
  "      --legacy-env NAME=VALUE  legacy mode: a sandbox-wide variable visible to both\n"
  "                             contexts (deprecated, insecure; for comparison only)\n"
  "      --state-dir DIR        keep sandbox state in DIR (default: a temporary dir)\n"
  "      --user-uid N           a fixed host uid and gid for user code when run as root\n"
  "                             (default: one of the sandbox's own, from the splitbox\n"
  "                             user's subordinate range; 100000 without one)\n"
  "      --output-cap BYTES     capture at most BYTES of stdout and of stderr\n"
  "                             (default 16 MiB); the rest is dropped and flagged\n"
  "      --json                 print the ExecResult as JSON instead of the output\n"
  "  -h, --help                 show this text\n"
  "\n"
  "Isolation: `namespaces` as root or with CAP_SYS_ADMIN, `userns` when unprivileged\n"
  "user namespaces are allowed, else `fallback` (process-level only; every result\n"
  "then carries a warning naming the guarantees lost).\n"
  "\n"
  "Exit status: COMMAND's exit code (128+N when killed by signal N), 124 on a\n"
  "timeout, 125 when splitbox itself failed (the error is on stderr), 2 on bad usage.\n";

struct run_args
{
  struct sbx_options opts;
  struct sbx_exec_request req;
  const char *env[MAX_ENV + 1];
  char *env_owned[MAX_ENV];
  size_t n_owned;
  const char *legacy_env[MAX_ENV + 1];
  size_t n_env, n_legacy;
  bool json, have_context;
  char *command;
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
  va_list ap;

  fputs("splitbox run: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputs("\nTry `splitbox run --help`.\n", stderr);
  return 2;
}

static int parse_number(const char *s, long long min, long long max, long long *out)
{
  char *end;
  long long v;

  errno = 0;
  v = strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

static char *join_command(int argc, char **argv)
{
  size_t len = 1;
  char *s;

  for (int i = 0; i < argc; i++)
    len += strlen(argv[i]) + 1;
  s = calloc(1, len);
  if (s == NULL)
    return NULL;
  for (int i = 0; i < argc; i++)
    {
      if (i > 0)
        strcat(s, " ");
      strcat(s, argv[i]);
    }
  return s;
}

enum
{
  OPT_SHARED = 256,
  OPT_SHARED_PATH,
  OPT_USER_NET,
  OPT_PLATFORM_NET,
  OPT_PLATFORM_HOST_FS,
  OPT_PIDS_MAX,
  OPT_MEMORY_MAX,
  OPT_CPU_WEIGHT,
  OPT_SHARED_MAX,
  OPT_REQUIRE,
  OPT_LEGACY_ENV,
  OPT_STATE_DIR,
  OPT_USER_UID,
  OPT_OUTPUT_CAP,
  OPT_JSON,
  OPT_INIT,
};

static const struct option long_opts[] = {
  { "context", required_argument, NULL, 'c' },
  { "env", required_argument, NULL, 'e' },
  { "cwd", required_argument, NULL, 'C' },
  { "timeout-ms", required_argument, NULL, 't' },
  { "shared", required_argument, NULL, OPT_SHARED },
  { "shared-path", required_argument, NULL, OPT_SHARED_PATH },
  { "user-network", required_argument, NULL, OPT_USER_NET },
  { "platform-network", required_argument, NULL, OPT_PLATFORM_NET },
  { "platform-host-fs", required_argument, NULL, OPT_PLATFORM_HOST_FS },
  { "pids-max", required_argument, NULL, OPT_PIDS_MAX },
  { "memory-max", required_argument, NULL, OPT_MEMORY_MAX },
  { "cpu-weight", required_argument, NULL, OPT_CPU_WEIGHT },
  { "shared-max", required_argument, NULL, OPT_SHARED_MAX },
  { "require-isolation", no_argument, NULL, OPT_REQUIRE },
  { "legacy-env", required_argument, NULL, OPT_LEGACY_ENV },
  { "state-dir", required_argument, NULL, OPT_STATE_DIR },
  { "user-uid", required_argument, NULL, OPT_USER_UID },
  { "output-cap", required_argument, NULL, OPT_OUTPUT_CAP },
  { "json", no_argument, NULL, OPT_JSON },
  { "init", no_argument, NULL, OPT_INIT },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static int parse_option(struct run_args *a, int c, const char *arg)
{
  long long n;
  enum sbx_context ctx;

  switch (c)
    {
    case 'c':
      if (sbx_context_parse(arg, &ctx) < 0)
        return usage_error("--context must be user or platform, not \"%s\"", arg);
      a->req.context = ctx;
      a->have_context = true;
      return 0;
    case 'e':
      if (a->n_env >= MAX_ENV)
        return usage_error("too many --env options (at most %d)", MAX_ENV);
      if (strchr(arg, '=') == NULL)
        {
          /* --env NAME passes our own NAME, so a secret need not appear in argv. */
          const char *value = getenv(arg);
          char *entry = NULL;
          if (value == NULL)
            return usage_error("--env %s: no such variable in splitbox's environment", arg);
          if (asprintf(&entry, "%s=%s", arg, value) < 0)
            return usage_error("%s", "out of memory");
          a->env_owned[a->n_owned++] = entry;
          arg = entry;
        }
      a->env[a->n_env++] = arg;
      return 0;
    case 'C':
      a->req.cwd = arg;
      return 0;
    case 't':
      if (parse_number(arg, LLONG_MIN, LLONG_MAX, &n) < 0)
        return usage_error("--timeout-ms needs a whole number of milliseconds, not \"%s\"", arg);
      a->req.timeout_ms = n; /* a negative value is refused by the library, with its code */
      return 0;
    case OPT_SHARED:
      a->opts.shared_dir = arg;
      return 0;
    case OPT_SHARED_PATH:
      a->opts.shared_path = arg;
      return 0;
    case OPT_USER_NET:
      return sbx_network_parse(arg, &a->opts.user_network) < 0
               ? usage_error("--user-network must be isolated or host, not \"%s\"", arg)
               : 0;
    case OPT_PLATFORM_NET:
      return sbx_network_parse(arg, &a->opts.platform_network) < 0
               ? usage_error("--platform-network must be isolated or host, not \"%s\"", arg)
               : 0;
    case OPT_PIDS_MAX:
    case OPT_MEMORY_MAX:
    case OPT_CPU_WEIGHT:
    case OPT_SHARED_MAX:
      return sbx_cli_limit_option(c == OPT_PIDS_MAX     ? "pids-max"
                                  : c == OPT_MEMORY_MAX ? "memory-max"
                                  : c == OPT_SHARED_MAX ? "shared-max"
                                                        : "cpu-weight",
                                  arg, &a->opts.limits) < 0
               ? usage_error("%s", "see the limit above")
               : 0;
    case OPT_PLATFORM_HOST_FS:
      if (strcmp(arg, "ro") != 0 && strcmp(arg, "rw") != 0)
        return usage_error("--platform-host-fs must be ro or rw, not \"%s\"", arg);
      a->opts.platform_host_readonly = strcmp(arg, "ro") == 0;
      return 0;
    case OPT_REQUIRE:
      a->opts.require_isolation = true;
      return 0;
    case OPT_LEGACY_ENV:
      if (a->n_legacy >= MAX_ENV)
        return usage_error("too many --legacy-env options (at most %d)", MAX_ENV);
      a->legacy_env[a->n_legacy++] = arg;
      a->opts.legacy = true;
      return 0;
    case OPT_STATE_DIR:
      a->opts.state_dir = arg;
      return 0;
    case OPT_USER_UID:
      if (parse_number(arg, 1, 4294967294LL, &n) < 0)
        return usage_error("--user-uid needs a uid from 1 to 4294967294, not \"%s\"", arg);
      a->opts.user_host_uid = (uid_t)n;
      a->opts.user_host_gid = (gid_t)n;
      return 0;
    case OPT_OUTPUT_CAP:
      if (parse_number(arg, 1, LLONG_MAX, &n) < 0)
        return usage_error("--output-cap needs a positive number of bytes, not \"%s\"", arg);
      a->opts.output_cap = (size_t)n;
      return 0;
    case OPT_JSON:
      a->json = true;
      return 0;
    case OPT_INIT:
      a->req.init = true;
      return 0;
    default:
      return usage_error("%s", "unknown option");
    }
}

static int print_json(const struct sbx_exec_result *res, const struct sbx_error *err, bool failed)
{
  cJSON *doc = failed && res->command == NULL ? sbx_error_to_json(err) : sbx_exec_result_to_json(res);
  char *text;

  if (doc != NULL && failed && res->command != NULL)
    {
      cJSON_AddStringToObject(doc, "code", err->code);
      cJSON_AddStringToObject(doc, "error", err->message);
    }
  text = doc != NULL ? cJSON_PrintUnformatted(doc) : NULL;
  cJSON_Delete(doc);
  if (text == NULL)
    {
      fputs("splitbox run: out of memory while printing JSON\n", stderr);
      return -1;
    }
  puts(text);
  free(text);
  return 0;
}

static void print_plain(const struct sbx_exec_result *res)
{
  if (res->stdout_len > 0)
    fwrite(res->stdout_buf, 1, res->stdout_len, stdout);
  if (res->stderr_len > 0)
    fwrite(res->stderr_buf, 1, res->stderr_len, stderr);
  for (char **w = res->warnings; w != NULL && *w != NULL; w++)
    fprintf(stderr, "splitbox: warning: %s\n", *w);
  if (res->stdout_truncated || res->stderr_truncated)
    fputs("splitbox: warning: output was truncated at --output-cap\n", stderr);
}

static int run(struct run_args *a, int argc, char **argv)
{
  struct sbx_error err = { 0 };
  struct sbx_exec_result res;
  struct sbx_sandbox *sb;
  int c, r;

  memset(&res, 0, sizeof res);
  optind = 1;
  while ((c = getopt_long(argc, argv, "+c:e:C:t:h", long_opts, NULL)) != -1)
    {
      if (c == 'h')
        {
          fputs(run_usage, stdout);
          return 0;
        }
      if (c == '?')
        return usage_error("%s", "invalid option");
      if (parse_option(a, c, optarg) != 0)
        return 2;
    }
  if (!a->have_context)
    return usage_error("%s", "--context is required");
  if (optind >= argc)
    return usage_error("%s", "no COMMAND given");
  a->command = join_command(argc - optind, argv + optind);
  if (a->command == NULL)
    return usage_error("%s", "out of memory");
  a->req.command = a->command;
  a->req.env = a->env;
  a->opts.legacy_env = a->legacy_env;
  a->opts.init_path = sbx_cli_init_path();
  a->opts.die_with_parent = true;

  sb = sbx_sandbox_create(&a->opts, &err);
  if (sb == NULL)
    {
      if (a->json)
        print_json(&res, &err, true);
      fprintf(stderr, "splitbox run: %s: %s\n", err.code, err.message);
      return EXIT_EXECUTOR;
    }
  r = sbx_exec(sb, &a->req, &res, &err);
  sbx_sandbox_destroy(sb);
  if (a->json)
    print_json(&res, &err, r < 0);
  else
    print_plain(&res);
  if (r < 0)
    {
      fprintf(stderr, "splitbox run: %s: %s\n", err.code, err.message);
      r = strcmp(err.code, SBX_E_TIMEOUT) == 0 ? EXIT_TIMEOUT : EXIT_EXECUTOR;
    }
  else
    r = res.exit_code;
  sbx_exec_result_clear(&res);
  return r;
}

int sbx_cli_run(int argc, char **argv)
{
  _cleanup_free_ struct run_args *a = calloc(1, sizeof *a);
  int r;

  if (a == NULL)
    return usage_error("%s", "out of memory");
  r = run(a, argc, argv);
  free(a->command);
  for (size_t i = 0; i < a->n_owned; i++)
    free(a->env_owned[i]);
  return r;
}
