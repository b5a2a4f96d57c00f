#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

bool sbx_join_cut(char *dst, size_t size, const char *a, const char *sep, const char *b)
{
  const char *parts[] = { a, sep, b };
  size_t used = 0;

  for (size_t i = 0; i < 3; i++)
    {
      size_t len = strlen(parts[i]), room = size - 1 - used;
      if (len > room)
        {
          memcpy(dst + used, parts[i], room);
          dst[size - 1] = '\0';
          return false;
        }
      memcpy(dst + used, parts[i], len);
      used += len;
    }
  dst[used] = '\0';
  return true;
}

static void set_code(struct sbx_error *err, const char *code)
{
  snprintf(err->code, sizeof err->code, "%s", code);
}

int sbx_error_set(struct sbx_error *err, int errno_, const char *code, const char *fmt, ...)
{
  va_list ap;

  if (err == NULL)
    return -1;
  err->errno_ = errno_;
  set_code(err, code);
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return -1;
}

int sbx_error_errno(struct sbx_error *err, int errno_, const char *code, const char *fmt, ...)
{
  char what[200];
  va_list ap;

  if (err == NULL)
    return -1;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  err->errno_ = errno_;
  set_code(err, code);
  sbx_join_cut(err->message, sizeof err->message, what, ": ", strerror(errno_));
  return -1;
}

int sbx_error_child(struct sbx_error *err, int errno_, const char *code, const char *fmt, ...)
{
  va_list ap;

  if (err == NULL)
    return -1;
  err->errno_ = -errno_;
  set_code(err, code);
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return -1;
}

int sbx_error_prefix(struct sbx_error *err, const char *fmt, ...)
{
  char prefix[128];
  char old[sizeof err->message];
  va_list ap;

  if (err == NULL)
    return -1;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, err->message, sizeof old);
  sbx_join_cut(err->message, sizeof err->message, prefix, ": ", old);
  return -1;
}

static const struct
{
  int errno_;
  const char *code;
} errno_codes[] = {
  { ENOENT, SBX_E_FILE_NOT_FOUND },
  { ENOTDIR, SBX_E_FILE_NOT_FOUND },
  { EACCES, SBX_E_PERMISSION },
  { EPERM, SBX_E_PERMISSION },
  { EISDIR, SBX_E_IS_DIRECTORY },
  { EROFS, SBX_E_READ_ONLY },
  /* openat2 RESOLVE_BENEATH refuses an escape with EXDEV, a symlink with ELOOP. */
  { EXDEV, SBX_E_PATH_OUTSIDE_ROOT },
  { ELOOP, SBX_E_PATH_OUTSIDE_ROOT },
  { ENAMETOOLONG, SBX_E_VALIDATION },
  { EFBIG, SBX_E_TOO_LARGE },
  { ENXIO, SBX_E_NOT_REGULAR },
};

const char *sbx_error_code_for_errno(int errno_)
{
  for (size_t i = 0; i < sizeof errno_codes / sizeof errno_codes[0]; i++)
    if (errno_codes[i].errno_ == errno_)
      return errno_codes[i].code;
  return SBX_E_INTERNAL;
}
