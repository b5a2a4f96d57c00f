/* splitbox no-namespaces [--] COMMAND...: COMMAND, and all it starts, cannot
 * create namespaces (clone, unshare and setns with CLONE_NEW* fail with
 * EPERM). How to see, on any machine, what fallback mode gives. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "deny_namespaces.h"

static const char usage[] =
  "Usage: splitbox no-namespaces [--] COMMAND [ARG...]\n"
  "\n"
  "Runs COMMAND under a seccomp filter that makes clone, clone3, unshare and setns\n"
  "with namespace flags fail (EPERM), for COMMAND and all it starts: a host without\n"
  "namespaces, on any machine. `splitbox no-namespaces splitbox caps` shows what\n"
  "fallback mode gives there. A COMMAND named --help goes after --.\n"
  "\n"
  "Exit status: COMMAND's; 125 when the filter cannot be installed, 126 when COMMAND\n"
  "cannot run, 127 when it is not found, 2 on bad usage.\n";

int sbx_cli_no_namespaces(int argc, char **argv)
{
  int first = argc > 1 && strcmp(argv[1], "--") == 0 ? 2 : 1, r;

  if (first == 1 && argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
    {
      fputs(usage, stdout);
      return 0;
    }
  if (first >= argc)
    {
      fputs(usage, stderr);
      return 2;
    }
  if ((r = sbx_deny_namespaces()) != 0)
    {
      fprintf(stderr, "splitbox no-namespaces: install the seccomp filter: %s\n", strerror(-r));
      return 125;
    }
  execvp(argv[first], argv + first);
  fprintf(stderr, "splitbox no-namespaces: %s: %s\n", argv[first], strerror(errno));
  return errno == ENOENT ? 127 : 126;
}
