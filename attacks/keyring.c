/* keyring: keys listed in /proc/keys (whose descriptions may carry a secret,
 * as they do a token's name), /proc/key-users, and the user and session
 * keyrings' contents. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe.h"
#include "report.h"

#define KEYCTL_READ 11
#define KEY_SPEC_SESSION_KEYRING -3
#define KEY_SPEC_USER_KEYRING -4
#define KEY_SPEC_USER_SESSION_KEYRING -5

static void read_key(struct probe *p, long id, const char *how)
{
  char buf[65536], target[32];
  long n;

  snprintf(target, sizeof target, "key %ld", id);
  n = syscall(SYS_keyctl, KEYCTL_READ, id, buf, sizeof buf);
  if (n < 0)
    {
      probe_attempt(p, "keyctl-read", target, false, errno, "%s", how);
      return;
    }
  probe_scan(p, buf, (size_t)(n < (long)sizeof buf ? n : (long)sizeof buf));
  probe_attempt(p, "keyctl-read", target, true, 0, "%s, %ld bytes", how, n);
}

/* A keyring's payload is the list of the keys it links. */
static void read_keyring(struct probe *p, long ring, const char *how)
{
  int32_t ids[1024];
  long n = syscall(SYS_keyctl, KEYCTL_READ, ring, ids, sizeof ids);

  probe_attempt(p, "keyctl-read-keyring", how, n >= 0, errno, "%ld bytes", n);
  for (long i = 0; n > 0 && i < n / 4 && i < 1024; i++)
    read_key(p, ids[i], how);
}

void probe_keyring(struct probe *p)
{
  size_t len = 0;
  char *keys = probe_read_file("/proc/keys", 1 << 20, &len);

  if (keys != NULL)
    {
      size_t before = report_found_count();
      probe_scan(p, keys, len);
      probe_attempt(p, "read", "/proc/keys", true, 0, "%zu token(s) in the key descriptions",
                    report_found_count() - before);
    }
  else
    probe_attempt(p, "read", "/proc/keys", false, errno, NULL);
  {
    size_t ulen = 0;
    char *users = probe_read_file("/proc/key-users", 1 << 20, &ulen);
    probe_attempt(p, "read", "/proc/key-users", users != NULL, errno, NULL);
    if (users != NULL)
      probe_scan(p, users, ulen);
    free(users);
  }
  for (char *line = keys; line != NULL && *line != '\0'; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
    {
      long id = strtol(line, NULL, 16);
      if (id > 0)
        read_key(p, id, "/proc/keys");
    }
  free(keys);
  read_keyring(p, KEY_SPEC_USER_KEYRING, "@u");
  read_keyring(p, KEY_SPEC_SESSION_KEYRING, "@s");
  read_keyring(p, KEY_SPEC_USER_SESSION_KEYRING, "@us");
}
