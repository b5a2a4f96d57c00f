/* File operations: per-context views, the shared directory, and escapes. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scenario.h"

static void round_trip(struct world *w, enum sbx_scope scope, const char *path, const char *data, size_t len)
{
  struct sbx_error err = { 0 };
  char *back = NULL;
  size_t back_len = 0;

  EXPECT(w, sbx_file_write(w->sb, scope, path, data, len, &err) == 0, "write %s: %s %s", path, err.code,
         err.message);
  EXPECT(w, sbx_file_read(w->sb, scope, path, &back, &back_len, &err) == 0, "read %s: %s %s", path, err.code,
         err.message);
  EXPECT(w, back != NULL && back_len == len && memcmp(back, data, len) == 0, "%s came back different", path);
  free(back);
}

static void refused(struct world *w, enum sbx_scope scope, const char *path, const char *code)
{
  struct sbx_error err = { 0 };
  char *data = NULL;
  size_t len = 0;
  int r = sbx_file_read(w->sb, scope, path, &data, &len, &err);

  EXPECT(w, r < 0 && strcmp(err.code, code) == 0, "read %s: want %s, got %d %s (%s)", path, code, r, err.code,
         err.message);
  free(data);
}

static void shared_files(struct world *w)
{
  char binary[256], *out;
  struct sbx_dirent *list = NULL;
  struct sbx_error err = { 0 };
  size_t n = 0;
  bool exists = false, found = false;
  char cmd[600], abs_path[600];
  const char *shared = sbx_sandbox_shared_path(w->sb, SBX_CTX_USER);

  for (int i = 0; i < 256; i++)
    binary[i] = (char)i;
  round_trip(w, SBX_SCOPE_SHARED, "bin.dat", binary, sizeof binary);
  /* An absolute path under the shared dir names the same file. */
  snprintf(abs_path, sizeof abs_path, "%s/bin.dat", sbx_sandbox_shared_path(w->sb, SBX_CTX_PLATFORM));
  if (sbx_sandbox_isolation(w->sb) != SBX_ISO_FALLBACK)
    round_trip(w, SBX_SCOPE_SHARED, abs_path, binary, sizeof binary);
  EXPECT(w, sbx_file_exists(w->sb, SBX_SCOPE_SHARED, "bin.dat", &exists, &err) == 0 && exists, "exists");
  EXPECT(w, sbx_file_exists(w->sb, SBX_SCOPE_SHARED, "nope", &exists, &err) == 0 && !exists, "not exists");
  EXPECT(w, sbx_file_list(w->sb, SBX_SCOPE_SHARED, ".", &list, &n, &err) == 0, "list: %s", err.message);
  for (size_t i = 0; i < n; i++)
    found |= strcmp(list[i].name, "bin.dat") == 0 && list[i].type == 'f' && list[i].size == 256;
  EXPECT(w, found, "list shows bin.dat");
  sbx_dirent_list_free(list, n);
  /* Both contexts see what the API wrote, and what the other context wrote. */
  snprintf(cmd, sizeof cmd, "cmp -s %s/bin.dat - < %s/bin.dat && echo same; echo from-user > %s/u.txt", shared,
           shared, shared);
  out = scenario_exec(w, SBX_CTX_USER, cmd, NULL, NULL);
  EXPECT(w, out && strcmp(out, "same\n") == 0, "user context: %s", out);
  free(out);
  snprintf(cmd, sizeof cmd, "cat %s/u.txt; echo from-platform > %s/p.txt",
           sbx_sandbox_shared_path(w->sb, SBX_CTX_PLATFORM), sbx_sandbox_shared_path(w->sb, SBX_CTX_PLATFORM));
  out = scenario_exec(w, SBX_CTX_PLATFORM, cmd, NULL, NULL);
  EXPECT(w, out && strcmp(out, "from-user\n") == 0, "platform context: %s", out);
  free(out);
  snprintf(cmd, sizeof cmd, "cat %s/p.txt", shared);
  out = scenario_exec(w, SBX_CTX_USER, cmd, NULL, NULL);
  EXPECT(w, out && strcmp(out, "from-platform\n") == 0, "user reads the platform's shared file: %s", out);
  free(out);
  /* A file the API wrote into the shared dir stays writable by user code. */
  snprintf(cmd, sizeof cmd, "echo changed > %s/bin.dat && echo ok", shared);
  out = scenario_exec(w, SBX_CTX_USER, cmd, NULL, NULL);
  EXPECT(w, out && strcmp(out, "ok\n") == 0, "user code rewrites an API-written file: %s", out);
  free(out);
}

static void shared_escapes_are_refused(struct world *w)
{
  char cmd[600];
  const char *shared = sbx_sandbox_shared_path(w->sb, SBX_CTX_USER);
  struct sbx_error err = { 0 };

  refused(w, SBX_SCOPE_SHARED, "../../etc/shadow", SBX_E_PATH_OUTSIDE_ROOT);
  refused(w, SBX_SCOPE_SHARED, "../platform/x", SBX_E_PATH_OUTSIDE_ROOT);
  refused(w, SBX_SCOPE_SHARED, "/etc/shadow", SBX_E_PATH_OUTSIDE_ROOT);
  refused(w, SBX_SCOPE_SHARED, "/platform/x", SBX_E_PATH_OUTSIDE_ROOT);
  refused(w, SBX_SCOPE_SHARED, "missing.txt", SBX_E_FILE_NOT_FOUND);
  refused(w, SBX_SCOPE_SHARED, "", SBX_E_VALIDATION);
  /* Symlinks planted by user code: absolute, relative out, and through /proc. */
  snprintf(cmd, sizeof cmd,
           "cd %s && ln -s /platform/x abs && ln -s ../../../../etc/shadow rel && ln -s /proc/self/root/etc/shadow "
           "magic && mkdir d && ln -s /etc d2 && mkfifo fifo",
           shared);
  free(scenario_exec(w, SBX_CTX_USER, cmd, NULL, NULL));
  refused(w, SBX_SCOPE_SHARED, "abs", SBX_E_PATH_OUTSIDE_ROOT);
  refused(w, SBX_SCOPE_SHARED, "rel", SBX_E_PATH_OUTSIDE_ROOT);
  refused(w, SBX_SCOPE_SHARED, "magic", SBX_E_PATH_OUTSIDE_ROOT);
  refused(w, SBX_SCOPE_SHARED, "d2/passwd", SBX_E_PATH_OUTSIDE_ROOT);
  refused(w, SBX_SCOPE_SHARED, "d", SBX_E_IS_DIRECTORY);
  /* A FIFO must neither block the executor nor be written through. */
  refused(w, SBX_SCOPE_SHARED, "fifo", SBX_E_NOT_REGULAR);
  EXPECT(w, sbx_file_write(w->sb, SBX_SCOPE_SHARED, "abs", "x", 1, &err) < 0
              && strcmp(err.code, SBX_E_PATH_OUTSIDE_ROOT) == 0,
         "write through an absolute symlink: %s", err.code);
  EXPECT(w, sbx_file_write(w->sb, SBX_SCOPE_SHARED, "fifo", "x", 1, &err) < 0, "write to a FIFO succeeded");
}

static void context_files(struct world *w)
{
  struct sbx_error err = { 0 };
  char *out;
  bool exists = true;

  round_trip(w, SBX_SCOPE_PLATFORM, "/platform/creds", "platform-only", 13);
  round_trip(w, SBX_SCOPE_USER, "/tmp/user.txt", "user data", 9);
  out = scenario_exec(w, SBX_CTX_USER, "cat /tmp/user.txt", NULL, NULL);
  EXPECT(w, out && strcmp(out, "user data") == 0, "user exec sees the user file: %s", out);
  free(out);
  out = scenario_exec(w, SBX_CTX_PLATFORM, "cat /platform/creds", NULL, NULL);
  EXPECT(w, out && strcmp(out, "platform-only") == 0, "platform exec sees the platform file: %s", out);
  free(out);
  /* The user view has no /platform; ".." cannot climb out of the user's root. */
  refused(w, SBX_SCOPE_USER, "/platform/creds", SBX_E_FILE_NOT_FOUND);
  refused(w, SBX_SCOPE_USER, "/../../platform/creds", SBX_E_FILE_NOT_FOUND);
  EXPECT(w, sbx_file_exists(w->sb, SBX_SCOPE_USER, "/platform", &exists, &err) == 0 && !exists,
         "/platform exists in the user view");
  /* User file operations use the user's credentials, not the executor's. */
  refused(w, SBX_SCOPE_USER, "/etc/shadow", SBX_E_PERMISSION);
  EXPECT(w, sbx_file_write(w->sb, SBX_SCOPE_USER, "/etc/passwd", "x", 1, &err) < 0, "user wrote /etc/passwd");
  /* Symlinks in the user view resolve inside it. */
  free(scenario_exec(w, SBX_CTX_USER, "ln -s /../../../platform/creds /tmp/l", NULL, NULL));
  refused(w, SBX_SCOPE_USER, "/tmp/l", SBX_E_FILE_NOT_FOUND);
}

/* The review's findings: symlinks user code plants under /app must not steer
 * the root executor, and its writes must never hand over a file's old contents. */
static void platform_scope_stays_in_its_areas(struct world *w)
{
  struct sbx_error err = { 0 };
  char cmd[600], host[700];
  const char *shared = sbx_sandbox_shared_path(w->sb, SBX_CTX_USER);
  struct stat st;

  round_trip(w, SBX_SCOPE_PLATFORM, "/platform/token", "TOPSECRET", 9);
  snprintf(cmd, sizeof cmd, "ln -s /platform %s/results && ln -s /etc %s/etc && ln -s /proc/self %s/self", shared,
           shared, shared);
  free(scenario_exec(w, SBX_CTX_USER, cmd, NULL, NULL));
  snprintf(cmd, sizeof cmd, "%s/results/token", sbx_sandbox_shared_path(w->sb, SBX_CTX_PLATFORM));
  refused(w, SBX_SCOPE_PLATFORM, cmd, SBX_E_PATH_OUTSIDE_ROOT);
  EXPECT(w, sbx_file_write(w->sb, SBX_SCOPE_PLATFORM, cmd, "pwned", 5, &err) < 0, "write through a planted link");
  snprintf(cmd, sizeof cmd, "%s/self/environ", sbx_sandbox_shared_path(w->sb, SBX_CTX_PLATFORM));
  refused(w, SBX_SCOPE_PLATFORM, cmd, SBX_E_PATH_OUTSIDE_ROOT);
  refused(w, SBX_SCOPE_PLATFORM, "/platform/../etc/passwd", SBX_E_PATH_OUTSIDE_ROOT);
  refused(w, SBX_SCOPE_PLATFORM, "/etc/passwd", SBX_E_PATH_OUTSIDE_ROOT);
  refused(w, SBX_SCOPE_PLATFORM, "/root/.bashrc", SBX_E_PATH_OUTSIDE_ROOT);
  EXPECT(w, sbx_file_write(w->sb, SBX_SCOPE_PLATFORM, "/root/x", "x", 1, &err) < 0, "platform write to the host's /root");
  round_trip(w, SBX_SCOPE_PLATFORM, "/platform/token", "TOPSECRET", 9);

  /* A platform-written shared file keeps its owner when the API rewrites it. */
  snprintf(cmd, sizeof cmd, "umask 077; echo TOPSECRET > %s/report.txt", sbx_sandbox_shared_path(w->sb, SBX_CTX_PLATFORM));
  free(scenario_exec(w, SBX_CTX_PLATFORM, cmd, NULL, NULL));
  EXPECT(w, sbx_file_write(w->sb, SBX_SCOPE_SHARED, "report.txt", "new", 3, &err) == 0, "%s", err.message);
  snprintf(host, sizeof host, "%s/report.txt", sbx_sandbox_shared_host_dir(w->sb));
  EXPECT(w, stat(host, &st) == 0 && st.st_uid == geteuid(), "the rewritten file changed owner to %u", st.st_uid);
  /* A hard link user code made is never written through. */
  snprintf(cmd, sizeof cmd, "cd %s && echo mine > a && ln a b", shared);
  free(scenario_exec(w, SBX_CTX_USER, cmd, NULL, NULL));
  EXPECT(w, sbx_file_write(w->sb, SBX_SCOPE_SHARED, "b", "x", 1, &err) < 0 && strcmp(err.code, SBX_E_PERMISSION) == 0,
         "write through a hard link: %s", err.code);
}

/* Entries of the shared dir on the host whose name starts with prefix. */
static int entries_starting(struct world *w, const char *prefix)
{
  DIR *d = opendir(sbx_sandbox_shared_host_dir(w->sb));
  struct dirent *de;
  int n = 0;

  while (d != NULL && (de = readdir(d)) != NULL)
    n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
  if (d != NULL)
    closedir(d);
  return n;
}

/* Every scope writes (makes, then replaces) a file and leaves nothing beside
 * it: a user write's unnamed file is opened and named by the user context
 * (splitbox-init, or in fallback a child as the user). */
static void writes_leave_nothing_beside(struct world *w)
{
  char user_path[600], platform_path[600];

  snprintf(user_path, sizeof user_path, "%s/w-user", sbx_sandbox_shared_path(w->sb, SBX_CTX_USER));
  /* The platform names the shared dir by the path sb->shared_path, in every mode. */
  snprintf(platform_path, sizeof platform_path, "/app/w-platform");
  for (int i = 0; i < 2; i++)
    {
      const char *data = i == 0 ? "first" : "again";
      round_trip(w, SBX_SCOPE_USER, user_path, data, 5);
      round_trip(w, SBX_SCOPE_SHARED, "w-shared", data, 5);
      round_trip(w, SBX_SCOPE_PLATFORM, platform_path, data, 5);
    }
  EXPECT(w, entries_starting(w, "w-") == 3, "the three files are there (%d)", entries_starting(w, "w-"));
  EXPECT(w, entries_starting(w, ".w-") == 0, "%d temporary files left beside them", entries_starting(w, ".w-"));
}

/* Where an unnamed file cannot be named (no /proc to link it through), a write
 * still succeeds, the named way. Root only: a mount namespace whose /proc is
 * an empty tmpfs, in a child (the test's worker has threads). */
static void writes_without_proc_take_the_named_way(struct world *w)
{
  pid_t child = fork();
  int status = 0;

  if (child == 0)
    {
      struct sbx_error err = { 0 };
      char *back = NULL;
      size_t len = 0;
      if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0
          || mount("none", "/proc", "tmpfs", 0, NULL) != 0)
        _exit(2);
      if (access("/proc/self/fd", F_OK) == 0)
        _exit(3); /* the control: the unnamed way must be closed here */
      if (sbx_file_write(w->sb, SBX_SCOPE_SHARED, "noproc", "named way", 9, &err) != 0)
        _exit(4);
      if (sbx_file_read(w->sb, SBX_SCOPE_SHARED, "noproc", &back, &len, &err) != 0 || len != 9
          || memcmp(back, "named way", 9) != 0)
        _exit(5);
      _exit(0);
    }
  EXPECT(w, child > 0 && waitpid(child, &status, 0) == child, "fork");
  EXPECT(w, WIFEXITED(status) && WEXITSTATUS(status) == 0,
         "without /proc: exit %d (2 no namespace, 3 /proc still there, 4 the write failed, 5 read back wrong)",
         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  EXPECT(w, entries_starting(w, ".noproc") == 0, "%d temporary files left", entries_starting(w, ".noproc"));
}

#define MODES(name, fn)                                                                                       \
  SCENARIO_TEST(files_root, name, MODE_ROOT, fn, NULL)                                                        \
  SCENARIO_TEST(files_userns, name, MODE_USERNS, fn, NULL)

MODES(shared_files_from_both_sides, shared_files)
MODES(shared_escapes_are_refused, shared_escapes_are_refused)
MODES(context_files, context_files)
MODES(platform_scope_stays_in_its_areas, platform_scope_stays_in_its_areas)
SCENARIO_TEST(files_fallback, shared_files_from_both_sides, MODE_FALLBACK_ROOT, shared_files, NULL)
SCENARIO_TEST(files_fallback, shared_escapes_are_refused, MODE_FALLBACK_ROOT, shared_escapes_are_refused, NULL)
MODES(writes_leave_nothing_beside, writes_leave_nothing_beside)
SCENARIO_TEST(files_fallback, writes_leave_nothing_beside, MODE_FALLBACK_ROOT, writes_leave_nothing_beside, NULL)
SCENARIO_TEST(files_root, writes_without_proc_take_the_named_way, MODE_ROOT, writes_without_proc_take_the_named_way,
              NULL)
