/* splitbox no-namespaces [--] COMMAND...: COMMAND, and all it starts, cannot
 * create namespaces (clone, unshare and setns with CLONE_NEW* fail with
 * EPERM). How to see, on any machine, what fallback mode gives. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "deny_namespaces.h"

int sbx_cli_no_namespaces(int argc, char **argv)
{
  int first = argc > 1 && strcmp(argv[1], "--") == 0 ? 2 : 1, r;

  if (first >= argc)
    {
      fputs("Usage: splitbox no-namespaces [--] COMMAND [ARG...]\n", stderr);
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
