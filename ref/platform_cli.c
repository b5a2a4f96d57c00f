/* The daemon's CLI in every platform view. A platform command's PATH is fixed
 * to the host's dirs and its /tmp is private, so a CLI run from a build tree
 * or a prefix off PATH is otherwise out of reach. It appears in the run dir
 * (read-only in the view, absent from user views), so user code gains nothing. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "executor.h"
#include "platform_cli.h"
#include "sandbox.h"

int sbx_platform_cli_install(struct sbx_sandbox *sb, struct sbx_error *err)
{
  char dir[PATH_MAX], entry[PATH_MAX];
  _cleanup_close_ int fd = -1;

  if (sb->platform_cli == NULL)
    return 0;
  if (sb->platform_cli[0] != '/')
    return sbx_error_set(err, EINVAL, SBX_E_VALIDATION, "the platform CLI must be an absolute path: %s",
                         sb->platform_cli);
  if (snprintf(dir, sizeof dir, "%s/" SBX_PLATFORM_CLI_DIR, sb->platform_run_dir) >= (int)sizeof dir
      || snprintf(entry, sizeof entry, "%s/splitbox", dir) >= (int)sizeof entry)
    return sbx_error_set(err, ENAMETOOLONG, SBX_E_VALIDATION, "platform run dir too long");
  if (mkdir(dir, 0755) != 0 && errno != EEXIST)
    return sbx_error_errno(err, errno, SBX_E_INTERNAL, "create %s", dir);
  sb->platform_cli_dir = strdup(sb->isolation == SBX_ISO_FALLBACK ? dir : SBX_PLATFORM_RUN_PATH "/" SBX_PLATFORM_CLI_DIR);
  if (sb->platform_cli_dir == NULL)
    return sbx_error_errno(err, ENOMEM, SBX_E_INTERNAL, "platform CLI");
  if (sb->isolation == SBX_ISO_FALLBACK)
    {
      if (symlink(sb->platform_cli, entry) != 0 && errno != EEXIST)
        return sbx_error_errno(err, errno, SBX_E_INTERNAL, "link %s", entry);
      return 0;
    }
  if (access(sb->platform_cli, X_OK) != 0)
    return sbx_error_errno(err, errno, SBX_E_VALIDATION, "platform CLI %s", sb->platform_cli);
  fd = open(entry, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0755);
  if (fd < 0)
    return sbx_error_errno(err, errno, SBX_E_INTERNAL, "create %s", entry);
  return 0;
}
