/* Status records: what a child says on an exec's status pipe, and how the
 * executor turns a FAILED one back into an error. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "proto.h"
#include "io.h"
#include "status.h"

int sbx_status_write(int fd, int kind, int value, int errno_, const char *msg)
{
  struct sbx_status_rec rec;

  memset(&rec, 0, sizeof rec);
  rec.kind = kind;
  rec.value = value;
  rec.errno_ = errno_;
  if (msg != NULL)
    snprintf(rec.msg, sizeof rec.msg, "%s", msg);
  /* One write of less than PIPE_BUF: never interleaved with another writer's. */
  return sbx_write_all(fd, &rec, sizeof rec);
}

void sbx_status_fail(int fd, const struct sbx_error *err)
{
  char msg[sizeof ((struct sbx_status_rec *)0)->msg];

  /* Carry the code in front of the message; the reader splits it off. */
  sbx_join_cut(msg, sizeof msg, err->code, "|", err->message);
  /* Negative: from sbx_error_child, the errno's text still to be added. */
  if (err->errno_ < 0)
    (void)sbx_status_write(fd, SBX_ST_FAILED, SBX_FAILED_ERRNO_TEXT, -err->errno_, msg);
  else
    (void)sbx_status_write(fd, SBX_ST_FAILED, 0, err->errno_, msg);
}

int sbx_status_read(int fd, struct sbx_status_rec *rec)
{
  size_t got = 0;

  while (got < sizeof *rec)
    {
      ssize_t n = sbx_read_retry(fd, (char *)rec + got, sizeof *rec - got);
      if (n < 0)
        return -1;
      if (n == 0)
        {
          if (got == 0)
            return 0;
          errno = EPROTO;
          return -1;
        }
      got += (size_t)n;
    }
  rec->msg[sizeof rec->msg - 1] = '\0';
  return 1;
}

int sbx_status_record_error(const struct sbx_status_rec *rec, struct sbx_error *err)
{
  const char *bar = strchr(rec->msg, '|');
  char code[40];

  if (bar == NULL)
    sbx_error_set(err, rec->errno_, SBX_E_SANDBOX, "%s", rec->msg);
  else
    {
      snprintf(code, sizeof code, "%.*s", (int)(bar - rec->msg), rec->msg);
      sbx_error_set(err, rec->errno_, code, "%s", bar + 1);
    }
  /* The child could not say the errno's text: here we can. */
  if (err != NULL && rec->value == SBX_FAILED_ERRNO_TEXT)
    {
      char what[sizeof err->message];
      memcpy(what, err->message, sizeof what);
      sbx_join_cut(err->message, sizeof err->message, what, ": ", strerror(rec->errno_));
    }
  return -1;
}
