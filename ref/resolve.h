/* Path resolution beneath a root with openat2. */
#pragma once

struct open_how;
/* openat2, retried while the kernel answers EAGAIN. */
int sbx_openat2(int dirfd, const char *path, struct open_how *how);
