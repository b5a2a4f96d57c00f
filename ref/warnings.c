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
  char **v = calloc(9, sizeof(char *));
  size_t n = 0;
  int r = 0;

  if (v == NULL)
    return NULL;
  if (sb->isolation == SBX_ISO_FALLBACK)
    {
      char text[1024];

      r |= add(v, &n,
               "isolation fallback: no namespaces on this host, process-level isolation only. Lost: process "
               "listing (user code sees platform processes and their command lines), network sniffing and "
               "loopback services, and platform commands follow symlinks that user code plants in the shared "
               "dir. Kept: scrubbed environment, own session and process group, no core dumps, no AF_UNIX "
               "sockets for user code (the daemon's control socket is out of reach)");
      if (sb->landlock_abi > 0)
        {
          snprintf(text, sizeof text,
                   "isolation fallback: Landlock ABI %d confines user code's files to the system directories "
                   "(read-only), /dev, /proc, the shared dir, its HOME and TMPDIR, and keeps it from ptrace, "
                   "/proc/PID/environ and memory of platform processes%s",
                   sb->landlock_abi,
                   sb->landlock_abi >= 6 ? ", from signalling them and from their abstract sockets"
                                         : "; this ABI (before 6) cannot stop signals to platform processes nor "
                                           "connections to their abstract sockets");
          r |= add(v, &n, text);
        }
      else
        {
          snprintf(text, sizeof text,
                   "isolation fallback without Landlock (%s): user code sees the host's filesystem, and can signal "
                   "platform processes and reach their abstract sockets",
                   sb->landlock_why);
          r |= add(v, &n, text);
        }
      if (geteuid() != 0)
        r |= add(v, &n,
                 sb->landlock_abi > 0
                   ? "isolation fallback without root: user and platform commands share one uid, so a file the "
                     "platform leaves in the shared dir is user code's to read, change or hard-link, whatever its "
                     "mode"
                   : "isolation fallback without root and without Landlock: user and platform commands share one "
                     "uid, so user code can read platform /proc/PID/environ, attach a debugger, read platform "
                     "memory and the platform-private directory");
      else
        r |= add(v, &n,
                 "isolation fallback as root: user code runs as an unprivileged uid with no capabilities, "
                 "which still protects /proc/PID/environ, ptrace and memory of platform processes");
    }
  if (sb->isolation == SBX_ISO_USERNS && !sb->user_subids)
    {
      char text[1024];
      snprintf(text, sizeof text,
               "userns mode without subordinate ids (%s): user code and platform commands are one host uid, so a "
               "file the platform leaves in the shared dir is user code's to read, chmod or hard-link whatever its "
               "mode, and git's safe.directory does not protect the platform there. Give the daemon's user ranges "
               "in /etc/subuid and /etc/subgid and install newuidmap (Debian's uidmap)",
               sb->subids_why);
      r |= add(v, &n, text);
    }
  if (ctx == SBX_CTX_USER && sb->user_uid_shared && geteuid() == 0)
    {
      char text[512];
      snprintf(text, sizeof text,
               "one host uid (%lu) for user code of every sandbox that has no uid range: they share its process "
               "limits and signals (%s)",
               (unsigned long)sb->user_host_uid, sb->user_uid_why);
      r |= add(v, &n, text);
    }
  if (ctx == SBX_CTX_USER && sb->cgroup.mechanism == SBX_LIMIT_RLIMIT)
    {
      char text[512];
      snprintf(text, sizeof text,
               "limits: only user code's processes are limited (RLIMIT_NPROC); its memory and CPU are not, for no "
               "cgroup is writable here (%s)",
               sb->cgroup.why_not_cgroup);
      r |= add(v, &n, text);
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
