/* splitbox conform --backend X [--tap|--xml FILE] [-- CRITERION-ARGS]: the
 * conformance suite (splitbox-conformance, a Criterion runner) against a
 * backend, for CI. The suite runs as a child writing TAP; its results decide
 * the exit status, so that a run that tested nothing is never a pass. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/backend.h"
#include "harness/conform_report.h"
#include "cleanup.h"
#include "cli.h"

#define EXIT_FAILED 1
#define EXIT_UNCHECKED 2

static const char conform_usage[] =
  "Usage: splitbox conform --backend NAME|PATH [--tap] [--xml FILE] [-- CRITERION-ARGS...]\n"
  "\n"
  "Runs the conformance suite (the design's API contract: exec, contexts, processes,\n"
  "files, errors, operations, modes) against a backend. --tap prints TAP on stdout;\n"
  "--xml writes JUnit XML. A feature the backend lacks is a skip, with the reason (in the\n"
  "TAP and in the XML's <skipped message=\"...\">).\n"
  "\n"
  "Exit status: 2 when nothing could be checked (the spec is missing or broken, the backend\n"
  "cannot run here, no test ran, the suite did not finish) or on bad usage; else 1 when a test\n"
  "failed; else 0.\n";

/* The backend must be there and able to run: otherwise every test would be a skip. Its spec's path goes to
 * the suite, which looks for names from its own place (libexec), not from this binary's. */
static int check_backend(const char *backend, char *spec_path, size_t len)
{
  struct sbx_backend *b = NULL;
  struct sbx_error err = { 0 };
  int r = 0;

  if (sbx_backend_load(backend, &b, &err) < 0)
    {
      fprintf(stderr, "splitbox conform: --backend %s: %s: %s\n", backend, err.code, err.message);
      return EXIT_UNCHECKED;
    }
  if (realpath(sbx_backend_info(b)->path, spec_path) == NULL)
    snprintf(spec_path, len, "%s", sbx_backend_info(b)->path);
  if (!sbx_backend_info(b)->available)
    {
      fprintf(stderr, "splitbox conform: --backend %s cannot run here, nothing was tested: %s\n", backend,
              sbx_backend_info(b)->reason);
      r = EXIT_UNCHECKED;
    }
  sbx_backend_close(b);
  return r;
}

static int run_suite(char **args)
{
  pid_t pid = fork();
  int status;

  if (pid < 0)
    return -1;
  if (pid == 0)
    {
      execv(args[0], args);
      fprintf(stderr, "splitbox conform: %s: %s\n", args[0], strerror(errno));
      _exit(127);
    }
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return status;
}

static int report(const char *tap_path, int status, bool tap, const char *xml, const char *backend)
{
  struct sbx_tap t = { 0 };
  struct sbx_error err = { 0 };
  FILE *in = fopen(tap_path, "re");
  int r;

  if (in == NULL || sbx_tap_parse(in, &t, &err) < 0)
    {
      fprintf(stderr, "splitbox conform: the suite left no readable TAP (%s)\n",
              in == NULL ? strerror(errno) : err.message);
      if (in != NULL)
        fclose(in);
      return EXIT_UNCHECKED;
    }
  fclose(in);
  if (tap && sbx_tap_write(&t, stdout, &err) < 0)
    fprintf(stderr, "splitbox conform: %s\n", err.message);
  if (xml != NULL)
    {
      char name[300];
      FILE *out = fopen(xml, "we");
      snprintf(name, sizeof name, "splitbox conform %s", backend);
      if (out == NULL || sbx_tap_junit(&t, name, out, &err) < 0 || fclose(out) != 0)
        {
          fprintf(stderr, "splitbox conform: write %s: %s\n", xml, err.message[0] ? err.message : strerror(errno));
          sbx_tap_free(&t);
          return EXIT_UNCHECKED;
        }
    }
  fprintf(stderr, "splitbox conform: %zu passed, %zu failed, %zu skipped (a feature the backend lacks)%s\n",
          t.count[SBX_TAP_PASS], t.count[SBX_TAP_FAIL], t.count[SBX_TAP_SKIP],
          t.count[SBX_TAP_EXCLUDED] > 0 ? ", the rest not selected" : "");
  if (t.count[SBX_TAP_FAIL] > 0)
    r = EXIT_FAILED;
  else if (t.count[SBX_TAP_PASS] == 0)
    {
      fprintf(stderr, "splitbox conform: no test ran: nothing was checked\n");
      r = EXIT_UNCHECKED;
    }
  else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    {
      /* No failure in the TAP, yet the suite did not end well: its results are not to be trusted. */
      fprintf(stderr, "splitbox conform: the suite ended with status %d and no failing test in its TAP\n", status);
      r = EXIT_UNCHECKED;
    }
  else
    r = 0;
  sbx_tap_free(&t);
  return r;
}

int sbx_cli_conform(int argc, char **argv)
{
  static const struct option opts[] = {
    { "backend", required_argument, NULL, 'b' }, { "tap", no_argument, NULL, 't' },
    { "xml", required_argument, NULL, 'x' },     { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *backend = NULL, *xml = NULL, *suite;
  bool tap = false;
  char *args[64], tap_arg[4200], dir[] = "/tmp/sbx-conform-XXXXXX", tap_path[sizeof dir + 16], spec_path[PATH_MAX];
  int c, n = 0, status, r;

  optind = 1;
  while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1)
    switch (c)
      {
      case 'b': backend = optarg; break;
      case 't': tap = true; break;
      case 'x': xml = optarg; break;
      case 'h': fputs(conform_usage, stdout); return 0;
      default: fputs(conform_usage, stderr); return EXIT_UNCHECKED;
      }
  if (backend == NULL)
    {
      fprintf(stderr, "splitbox conform: --backend is required\n\n%s", conform_usage);
      return EXIT_UNCHECKED;
    }
  if ((r = check_backend(backend, spec_path, sizeof spec_path)) != 0)
    return r;
  if ((suite = sbx_harness_tool("splitbox-conformance")) == NULL)
    {
      fprintf(stderr, "splitbox conform: cannot find splitbox-conformance beside %s, in its build tree or in the "
                      "install's libexec (set SPLITBOX_CONFORMANCE)\n", "this binary");
      return EXIT_UNCHECKED;
    }
  if (mkdtemp(dir) == NULL)
    {
      fprintf(stderr, "splitbox conform: mkdtemp: %s\n", strerror(errno));
      return EXIT_UNCHECKED;
    }
  snprintf(tap_path, sizeof tap_path, "%s/suite.tap", dir);
  snprintf(tap_arg, sizeof tap_arg, "--tap=%s", tap_path);
  args[n++] = (char *)suite;
  args[n++] = (char *)"--jobs";
  args[n++] = (char *)"2";
  args[n++] = tap_arg;
  for (int i = optind; i < argc && n < 62; i++)
    args[n++] = argv[i];
  args[n] = NULL;
  setenv("SPLITBOX_BACKEND", spec_path, 1);
  /* The suite's {splitbox} is this binary, wherever it was installed. */
  if (getenv("SPLITBOX_CLI") == NULL && sbx_harness_tool("splitbox") != NULL)
    setenv("SPLITBOX_CLI", sbx_harness_tool("splitbox"), 1);
  fflush(NULL);
  status = run_suite(args);
  if (status < 0)
    {
      fprintf(stderr, "splitbox conform: run %s: %s\n", suite, strerror(errno));
      r = EXIT_UNCHECKED;
    }
  else
    r = report(tap_path, status, tap, xml, backend);
  unlink(tap_path);
  rmdir(dir);
  return r;
}
