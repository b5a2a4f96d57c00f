/* splitbox conform --backend X [--tap|--xml FILE] [-- CRITERION-ARGS]: the
 * conformance suite (splitbox-conformance, a Criterion runner) against a
 * backend, for CI. Its exit status is the suite's: 0 when every test passed
 * or was skipped with a reason. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/backend.h"
#include "cli.h"

static const char conform_usage[] =
  "Usage: splitbox conform --backend NAME|PATH [--tap] [--xml FILE] [-- CRITERION-ARGS...]\n"
  "\n"
  "Runs the conformance suite (the design's API contract: exec, contexts, processes,\n"
  "files, errors, operations, modes) against a backend. --tap prints TAP on stdout;\n"
  "--xml writes JUnit XML. A feature the backend lacks is a skip, with the reason.\n"
  "\n"
  "Exit status: 0 when no test failed, 1 when one did, 2 on bad usage.\n";

int sbx_cli_conform(int argc, char **argv)
{
  static const struct option opts[] = {
    { "backend", required_argument, NULL, 'b' }, { "tap", no_argument, NULL, 't' },
    { "xml", required_argument, NULL, 'x' },     { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *backend = NULL, *xml = NULL, *suite;
  bool tap = false;
  char *args[64], xml_arg[4200];
  int c, n = 0;

  optind = 1;
  while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1)
    switch (c)
      {
      case 'b': backend = optarg; break;
      case 't': tap = true; break;
      case 'x': xml = optarg; break;
      case 'h': fputs(conform_usage, stdout); return 0;
      default: fputs(conform_usage, stderr); return 2;
      }
  if (backend == NULL)
    {
      fprintf(stderr, "splitbox conform: --backend is required\n\n%s", conform_usage);
      return 2;
    }
  if ((suite = sbx_harness_tool("splitbox-conformance")) == NULL)
    {
      fprintf(stderr, "splitbox conform: cannot find splitbox-conformance (set SPLITBOX_CONFORMANCE)\n");
      return 2;
    }
  args[n++] = (char *)suite;
  args[n++] = (char *)"--jobs";
  args[n++] = (char *)"2";
  if (tap)
    args[n++] = (char *)"--tap=-";
  if (xml != NULL)
    {
      snprintf(xml_arg, sizeof xml_arg, "--xml=%s", xml);
      args[n++] = xml_arg;
    }
  for (int i = optind; i < argc && n < 62; i++)
    args[n++] = argv[i];
  args[n] = NULL;
  setenv("SPLITBOX_BACKEND", backend, 1);
  execv(suite, args);
  fprintf(stderr, "splitbox conform: %s: %s\n", suite, strerror(errno));
  return 2;
}
