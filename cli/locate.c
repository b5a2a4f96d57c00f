#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#ifndef SBX_LIBEXECDIR
#define SBX_LIBEXECDIR "/usr/local/libexec/splitbox"
#endif

/* Path of splitbox-init: beside this binary, in the build tree, in an install's libexec relative to it, else the
 * configured libexecdir. */
const char *sbx_cli_init_path(void)
{
  static char path[PATH_MAX];
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

  if (n > 0)
    {
      char *slash;
      self[n] = '\0';
      slash = strrchr(self, '/');
      if (slash != NULL)
        {
          *slash = '\0';
          /* Installed side by side, or the build tree (cli/splitbox, ref/splitbox-init). */
          if (snprintf(path, sizeof path, "%s/splitbox-init", self) < (int)sizeof path && access(path, X_OK) == 0)
            return path;
          if (snprintf(path, sizeof path, "%s/../ref/splitbox-init", self) < (int)sizeof path &&
              access(path, X_OK) == 0)
            return path;
          /* An install moved elsewhere: bin/splitbox and libexec/splitbox/splitbox-init. */
          if (snprintf(path, sizeof path, "%s/../libexec/splitbox/splitbox-init", self) < (int)sizeof path &&
              access(path, X_OK) == 0)
            return path;
        }
    }
  snprintf(path, sizeof path, "%s/splitbox-init", SBX_LIBEXECDIR);
  return path;
}
