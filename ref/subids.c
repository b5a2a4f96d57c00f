/* Userns mode without root: the kernel lets an unprivileged caller map only
 * its own uid, so user code and platform commands would share one host uid,
 * and with it every file in the shared dir, whatever its mode. shadow's
 * setuid newuidmap and newgidmap map the ranges /etc/subuid and /etc/subgid
 * give the caller, as rootless podman uses them: user code runs as one of
 * those ids, the platform stays the caller. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "io.h"
#include "remove_tree.h"
#include "subids.h"

/* Setuid root, or with file capabilities (as some distributions ship them). */
static bool privileged_helper(const char *path)
{
  struct stat st;

  if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || access(path, X_OK) != 0)
    return false;
  if ((st.st_mode & S_ISUID) && st.st_uid == 0)
    return true;
  return getxattr(path, "security.capability", NULL, 0) > 0;
}

/* name on PATH, then in /usr/bin. */
static bool find_helper(const char *name, char *out, size_t len)
{
  const char *path = getenv("PATH");
  _cleanup_free_ char *copy = strdup(path != NULL ? path : "");
  char *save = NULL;

  if (copy == NULL)
    return false;
  for (char *dir = strtok_r(copy, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save))
    if (dir[0] == '/' && snprintf(out, len, "%s/%s", dir, name) < (int)len && privileged_helper(out))
      return true;
  snprintf(out, len, "/usr/bin/%s", name);
  return privileged_helper(out);
}

/* The caller's range in one file: by user name, else by uid (both forms are valid there). */
static int caller_range(const char *file, const char *name, struct sbx_uid_range *r)
{
  char uid[16];

  if (name != NULL && sbx_subid_range(file, name, r) == 0)
    return 0;
  snprintf(uid, sizeof uid, "%u", (unsigned)getuid());
  return sbx_subid_range(file, uid, r);
}

int sbx_subids_find(struct sbx_subids *s, struct sbx_error *why)
{
  struct passwd pw, *res = NULL;
  char buf[2048];
  struct sbx_uid_range g = { 0 };
  const char *name;

  memset(s, 0, sizeof *s);
  name = getpwuid_r(getuid(), &pw, buf, sizeof buf, &res) == 0 && res != NULL ? pw.pw_name : NULL;
  if (caller_range(SBX_SUBUID_FILE, name, &s->range) < 0 || caller_range(SBX_SUBGID_FILE, name, &g) < 0)
    return sbx_error_set(why, ENOENT, SBX_E_SANDBOX, "uid %u (%s) has no subordinate ids in %s and %s",
                         (unsigned)getuid(), name != NULL ? name : "no account", SBX_SUBUID_FILE, SBX_SUBGID_FILE);
  if (!find_helper("newuidmap", s->newuidmap, sizeof s->newuidmap)
      || !find_helper("newgidmap", s->newgidmap, sizeof s->newgidmap))
    return sbx_error_set(why, ENOENT, SBX_E_SANDBOX,
                         "no setuid newuidmap and newgidmap on PATH or in /usr/bin (Debian's package uidmap)");
  s->range.gid_start = g.start;
  if (g.count < s->range.count)
    s->range.count = g.count;
  snprintf(s->range.source, sizeof s->range.source, "%s of %s", SBX_SUBUID_FILE, name != NULL ? name : "the caller");
  return 0;
}

/* Where this caller's ids are locked: the same directory for every executor
 * of the caller, whatever its environment says, and the caller's alone. */
static int lock_dir(char *out, size_t len, struct sbx_error *err)
{
  struct stat st;

  snprintf(out, len, "/run/user/%u", (unsigned)getuid());
  if (lstat(out, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid())
    snprintf(out, len, "/run/user/%u/splitbox-subids", (unsigned)getuid());
  else
    snprintf(out, len, "/tmp/splitbox-subids-%u", (unsigned)getuid());
  if (mkdir(out, 0700) != 0 && errno != EEXIST)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "create %s", out);
  /* Another user may have made it first, in /tmp: then its locks are not ours to trust. */
  if (lstat(out, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 022) != 0)
    return sbx_error_set(err, EPERM, SBX_E_SANDBOX, "%s is not a directory of uid %u's alone: remove it", out,
                         (unsigned)getuid());
  return 0;
}

int sbx_subids_take(const struct sbx_subids *s, uid_t *uid, gid_t *gid, int *lock_fd, struct sbx_error *err)
{
  char dir[128];

  if (lock_dir(dir, sizeof dir, err) < 0 || sbx_uid_take(&s->range, dir, uid, lock_fd, err) < 0)
    return sbx_error_prefix(err, "subordinate id");
  *gid = s->range.gid_start + (*uid - s->range.start);
  return 0;
}

/* helper PID INSIDE OUTSIDE COUNT ...; its stderr becomes the error's text. */
static int run_helper(const char *helper, pid_t pid, const struct sbx_id_map *map, size_t n, struct sbx_error *err)
{
  char args[8][3][16], pidbuf[16], out[256] = "";
  char *argv[3 + 8 * 3 + 1];
  char *const envp[] = { NULL };
  posix_spawn_file_actions_t fa;
  int pipefd[2], status = 0, r;
  size_t k = 0, got = 0;
  pid_t child;
  ssize_t m;

  if (n > 8)
    return sbx_error_set(err, EINVAL, SBX_E_INTERNAL, "%s: too many ranges", helper);
  snprintf(pidbuf, sizeof pidbuf, "%d", (int)pid);
  argv[k++] = (char *)helper;
  argv[k++] = pidbuf;
  for (size_t i = 0; i < n; i++)
    {
      snprintf(args[i][0], sizeof args[i][0], "%u", map[i].inside);
      snprintf(args[i][1], sizeof args[i][1], "%u", map[i].outside);
      snprintf(args[i][2], sizeof args[i][2], "%u", map[i].count);
      for (int j = 0; j < 3; j++)
        argv[k++] = args[i][j];
    }
  argv[k] = NULL;
  if (pipe2(pipefd, O_CLOEXEC) != 0)
    return sbx_error_errno(err, errno, SBX_E_SANDBOX, "pipe");
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  r = posix_spawn(&child, helper, &fa, NULL, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  close(pipefd[1]);
  if (r != 0)
    {
      close(pipefd[0]);
      return sbx_error_errno(err, r, SBX_E_SANDBOX, "run %s", helper);
    }
  while (got < sizeof out - 1 && (m = sbx_read_retry(pipefd[0], out + got, sizeof out - 1 - got)) > 0)
    got += (size_t)m;
  out[got] = '\0';
  close(pipefd[0]);
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR)
      return sbx_error_errno(err, errno, SBX_E_SANDBOX, "wait for %s", helper);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    {
      out[strcspn(out, "\n")] = '\0';
      return sbx_error_set(err, EPERM, SBX_E_SANDBOX, "%s failed (status %d): %s", helper, status,
                           out[0] != '\0' ? out : "no message");
    }
  return 0;
}

int sbx_subids_write_maps(const struct sbx_subids *s, pid_t pid, const struct sbx_id_map *uids, size_t n_uids,
                          const struct sbx_id_map *gids, size_t n_gids, struct sbx_error *err)
{
  if (run_helper(s->newuidmap, pid, uids, n_uids, err) < 0 || run_helper(s->newgidmap, pid, gids, n_gids, err) < 0)
    return -1;
  return 0;
}

void sbx_subids_remove_tree(const char *path)
{
  struct sbx_subids s;
  struct sbx_error err = { 0 };
  int sync[2], status;
  char byte = 0;
  pid_t pid;

  if (sbx_subids_find(&s, &err) < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) != 0)
    {
      sbx_remove_tree(path);
      return;
    }
  pid = fork();
  if (pid == 0)
    {
      close(sync[0]);
      /* Root of a namespace mapping the caller and its whole range: every file
       * either made is ours to remove there. Dumpable, for newuidmap. */
      if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0 || unshare(CLONE_NEWUSER) != 0
          || sbx_write_all(sync[1], &byte, 1) != 0 || sbx_read_retry(sync[1], &byte, 1) != 1)
        _exit(1);
      sbx_remove_tree(path);
      _exit(0);
    }
  close(sync[1]);
  if (pid > 0 && sbx_read_retry(sync[0], &byte, 1) == 1)
    {
      struct sbx_id_map u[] = { { 0, (unsigned)getuid(), 1 }, { 1, (unsigned)s.range.start, (unsigned)s.range.count } };
      struct sbx_id_map g[] = { { 0, (unsigned)getgid(), 1 },
                                { 1, (unsigned)s.range.gid_start, (unsigned)s.range.count } };
      if (sbx_subids_write_maps(&s, pid, u, 2, g, 2, &err) == 0)
        (void)!sbx_write_all(sync[0], &byte, 1);
    }
  close(sync[0]);
  if (pid > 0)
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
      ;
  /* Whatever that could not reach (no helpers that work, say). */
  sbx_remove_tree(path);
}
