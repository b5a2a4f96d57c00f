/* sbx-no-namespaces COMMAND [ARG...]: runs COMMAND on a simulated host
 * without namespaces (see deny_namespaces.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "deny_namespaces.h"

int main(int argc, char **argv)
{
  int r;

  if (argc < 2)
    {
      fprintf(stderr, "usage: sbx-no-namespaces COMMAND [ARG...]\n");
      return 2;
    }
  r = sbx_deny_namespaces();
  if (r != 0)
    {
      fprintf(stderr, "sbx-no-namespaces: install seccomp filter: %s\n", strerror(-r));
      return 1;
    }
  execvp(argv[1], argv + 1);
  fprintf(stderr, "sbx-no-namespaces: exec %s: %s\n", argv[1], strerror(errno));
  return 127;
}
