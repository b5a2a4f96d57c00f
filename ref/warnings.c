/* Warnings carried on every result: what this sandbox does not guarantee. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "executor.h"
#include "sandbox.h"

static int add(char **v, size_t *n, const char *text)
{
  v[*n] = strdup(text);
  if (v[*n] == NULL)
    return -1;
  (*n)++;
  return 0;
}

char **sbx_warnings_for(const struct sbx_sandbox *sb, enum sbx_context ctx)
{
  char **v = calloc(5, sizeof(char *));
  size_t n = 0;
  int r = 0;

  if (v == NULL)
    return NULL;
  if (sb->isolation == SBX_ISO_FALLBACK)
    {
      r |= add(v, &n,
               "isolation fallback: no namespaces on this host, process-level isolation only. Lost: process "
               "listing (user code sees platform processes), network sniffing and abstract sockets, and "
               "filesystem separation (user code sees the host filesystem), and platform commands follow symlinks "
               "that user code plants in the shared dir. Kept: scrubbed environment, own session and process "
               "group, no core dumps");
      if (geteuid() != 0)
        r |= add(v, &n,
                 "isolation fallback without root: user and platform commands share one uid, so user code can "
                 "read platform /proc/PID/environ, attach a debugger, read platform memory and the "
                 "platform-private directory");
      else
        r |= add(v, &n,
                 "isolation fallback as root: user code runs as an unprivileged uid with no capabilities, "
                 "which still protects /proc/PID/environ, ptrace and memory of platform processes");
    }
  if (sb->legacy)
    r |= add(v, &n,
             "legacy mode is deprecated: its sandbox-wide env vars are visible to user code; pass secrets in "
             "the env of each platform exec instead");
  if (ctx == SBX_CTX_USER && sb->user_network == SBX_NET_HOST && sb->isolation != SBX_ISO_FALLBACK)
    r |= add(v, &n,
             "user network is \"host\": user code shares the host's network namespace, so the platform's "
             "loopback services and abstract unix sockets are reachable from user code");
  if (r != 0)
    {
      for (size_t i = 0; i < n; i++)
        free(v[i]);
      free(v);
      return NULL;
    }
  return v;
}
