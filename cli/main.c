/* splitbox: the command-line front of libsplitbox. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int sbx_cli_verbosity;

bool sbx_cli_colour(FILE *f)
{
  const char *no_colour = getenv("NO_COLOR"), *term = getenv("TERM");

  /* https://no-color.org: present and not empty turns colour off. */
  return isatty(fileno(f)) && (no_colour == NULL || no_colour[0] == '\0') && (term == NULL || strcmp(term, "dumb") != 0);
}

/* -q/--quiet, -v/--verbose and -V/--version, for every verb: taken out of its
 * arguments wherever they are before "--" (before the command, for the verbs
 * whose command follows its options), so that no verb parses them. 1 when
 * --version was asked for. */
static int global_flags(int *argc, char **argv)
{
  bool command_follows = strcmp(argv[1], "exec") == 0 || strcmp(argv[1], "start") == 0
                         || strcmp(argv[1], "no-namespaces") == 0;
  int out = 2, version = 0, i;

  for (i = 2; i < *argc; i++)
    {
      const char *a = argv[i];
      if (strcmp(a, "--") == 0 || (command_follows && a[0] != '-'))
        break;
      if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
        sbx_cli_verbosity = -1;
      else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
        sbx_cli_verbosity = 1;
      else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0)
        version = 1;
      else
        argv[out++] = argv[i];
    }
  for (; i < *argc; i++)
    argv[out++] = argv[i];
  argv[out] = NULL;
  *argc = out;
  return version;
}

static const char usage[] =
  "Usage: splitbox COMMAND [OPTION...]\n"
  "\n"
  "Run untrusted user code beside trusted platform commands, with the platform's\n"
  "secrets out of the user's reach.\n"
  "\n"
  "Commands:\n"
  "  run       run one command in the user or platform context of a fresh sandbox\n"
  "  daemon    serve sandboxes over an HTTP+JSON API on a unix socket\n"
  "  audit     run every attack probe against every backend: the guarantee table\n"
  "  backends  list the known backends (or spec files), and whether each can run here; check FILE...\n"
  "  bench     latency of every backend's operations, as ratios to the spawn floor\n"
  "  caps      what isolation this machine can give (--verify: measured by the audit)\n"
  "  conform   run the conformance suite (the design's API contract) against a backend\n"
  "  report    render FILE: re-render an audit's report.json\n"
  "  exec, start, ps, kill, read, write, ls, call\n"
  "            drive a running daemon (`splitbox exec --help`)\n"
  "  no-namespaces [--] COMMAND...\n"
  "            run COMMAND where creating namespaces fails (a seccomp filter), as on a\n"
  "            host without them: what fallback mode gives there\n"
  "  help      show this text, or `splitbox run --help` for a command's options\n"
  "  version   print the version\n"
  "\n"
  "Every command also takes -q/--quiet (no progress), -v/--verbose (more of it) and\n"
  "-V/--version. Colour only on a terminal, never with NO_COLOR set.\n";

int main(int argc, char **argv)
{
  if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
    {
      fputs(usage, argc < 2 ? stderr : stdout);
      return argc < 2 ? 2 : 0;
    }
  if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0
      || global_flags(&argc, argv))
    {
      puts("splitbox " SBX_VERSION);
      return 0;
    }
  if (strcmp(argv[1], "run") == 0)
    return sbx_cli_run(argc - 1, argv + 1);
  if (strcmp(argv[1], "daemon") == 0)
    return sbx_cli_daemon(argc - 1, argv + 1);
  if (strcmp(argv[1], "no-namespaces") == 0)
    return sbx_cli_no_namespaces(argc - 1, argv + 1);
  if (strcmp(argv[1], "audit") == 0)
    return sbx_cli_audit(argc - 1, argv + 1);
  if (strcmp(argv[1], "bench") == 0)
    return sbx_cli_bench(argc - 1, argv + 1);
  if (strcmp(argv[1], "caps") == 0)
    return sbx_cli_caps(argc - 1, argv + 1);
  if (strcmp(argv[1], "conform") == 0)
    return sbx_cli_conform(argc - 1, argv + 1);
  if (strcmp(argv[1], "backends") == 0)
    return sbx_cli_backends(argc - 1, argv + 1);
  if (strcmp(argv[1], "report") == 0)
    return sbx_cli_report(argc - 1, argv + 1);
  if (sbx_cli_is_client_verb(argv[1]))
    return sbx_cli_client_verb(argc - 1, argv + 1);
  fprintf(stderr, "splitbox: unknown command \"%s\"\n\n%s", argv[1], usage);
  return 2;
}
