/* Seccomp filters: export to BPF and loading. The user context's rules are
 * the table in seccomp_profile.c.
 *
 * libseccomp allocates while it builds a filter: that happens here, in the
 * executor, once per sandbox. A child only loads the finished BPF. */
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "seccomp_filter.h"
#include "seccomp_profile.h"

int sbx_seccomp_export(void *ctx, struct sock_fprog *prog)
{
  /* libseccomp 2.5 exports only to an fd. */
  _cleanup_close_ int fd = memfd_create("splitbox-seccomp", MFD_CLOEXEC);
  struct sock_filter *insns;
  struct stat st;
  int r;

  prog->len = 0;
  prog->filter = NULL;
  if (fd < 0)
    return -errno;
  if ((r = seccomp_export_bpf(ctx, fd)) != 0)
    return r;
  if (fstat(fd, &st) != 0)
    return -errno;
  if (st.st_size <= 0 || st.st_size % (off_t)sizeof *insns != 0 || st.st_size / (off_t)sizeof *insns > BPF_MAXINSNS)
    return -EINVAL;
  if ((insns = malloc((size_t)st.st_size)) == NULL)
    return -ENOMEM;
  if (pread(fd, insns, (size_t)st.st_size, 0) != st.st_size)
    {
      r = errno != 0 ? -errno : -EIO;
      free(insns);
      return r;
    }
  prog->len = (unsigned short)(st.st_size / (off_t)sizeof *insns);
  prog->filter = insns;
  return 0;
}

void sbx_seccomp_free(struct sock_fprog *prog)
{
  free(prog->filter);
  prog->filter = NULL;
  prog->len = 0;
}

int sbx_seccomp_load(const struct sock_fprog *prog)
{
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return -1;
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) == 0)
    return 0;
  /* Kernels before 3.17 have only the prctl. */
  if (errno != ENOSYS)
    return -1;
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog, 0, 0) == 0 ? 0 : -1;
}

int sbx_seccomp_user_filter(struct sock_fprog *prog, bool fallback)
{
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  int r = ctx != NULL ? 0 : -ENOMEM;

  prog->len = 0;
  prog->filter = NULL;
  if (r == 0)
    r = sbx_seccomp_profile_add(ctx);
  if (r == 0 && fallback)
    r = sbx_seccomp_profile_add_fallback(ctx);
  if (r == 0)
    r = sbx_seccomp_export(ctx, prog);
  seccomp_release(ctx);
  return r;
}

int sbx_seccomp_load_user(const struct sock_fprog *prog, struct sbx_error *err)
{
  if (sbx_seccomp_load(prog) != 0)
    return sbx_error_child(err, errno, SBX_E_SANDBOX, "load the user context's seccomp filter");
  return 0;
}
