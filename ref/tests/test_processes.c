/* Started processes: lifecycle, visibility per context, and tree kills. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"

static bool start(struct world *w, enum sbx_context ctx, const char *cmd, struct sbx_process_info *info)
{
  struct sbx_exec_request req = { .context = ctx, .command = cmd };
  struct sbx_error err = { 0 };

  if (sbx_process_start(w->sb, &req, info, &err) < 0)
    {
      scenario_report(w, "FAIL start `%s`: %s: %s", cmd, err.code, err.message);
      return false;
    }
  return true;
}

static enum sbx_process_status wait_for_end(struct world *w, enum sbx_context ctx, const char *id, int *exit_code)
{
  struct sbx_process_info info;
  struct sbx_error err = { 0 };

  for (int i = 0; i < 400; i++)
    {
      if (sbx_process_get(w->sb, ctx, id, &info, &err) < 0)
        {
          scenario_report(w, "FAIL get %s: %s", id, err.message);
          return SBX_PROC_ERROR;
        }
      if (info.status != SBX_PROC_RUNNING)
        {
          enum sbx_process_status st = info.status;
          *exit_code = info.exit_code;
          EXPECT(w, info.end_time >= info.start_time, "end time");
          sbx_process_info_clear(&info);
          return st;
        }
      sbx_process_info_clear(&info);
      usleep(10000);
    }
  scenario_report(w, "FAIL %s still running after 4 s", id);
  return SBX_PROC_RUNNING;
}

/* Zombies among our own children (platform inits and fallback supervisors are ours). */
static int host_zombie_children(void)
{
  char path[64], buf[512];
  int count = 0;
  DIR *d = opendir("/proc");
  struct dirent *de;

  while (d != NULL && (de = readdir(d)) != NULL)
    {
      int pid = atoi(de->d_name), ppid = 0;
      char state = 0, *paren;
      FILE *f;
      if (pid <= 0)
        continue;
      snprintf(path, sizeof path, "/proc/%d/stat", pid);
      if ((f = fopen(path, "r")) == NULL)
        continue;
      if (fgets(buf, sizeof buf, f) != NULL && (paren = strrchr(buf, ')')) != NULL
          && sscanf(paren + 1, " %c %d", &state, &ppid) == 2 && state == 'Z' && ppid == getpid())
        count++;
      fclose(f);
    }
  if (d != NULL)
    closedir(d);
  return count;
}

static void no_zombies(struct world *w, enum sbx_context ctx)
{
  char *out;

  /* Reaping is asynchronous: give it up to 2 s. */
  for (int i = 0; i < 200 && host_zombie_children() != 0; i++)
    usleep(10000);
  EXPECT(w, host_zombie_children() == 0, "the executor has %d unreaped children", host_zombie_children());
  if (ctx != SBX_CTX_USER || sbx_sandbox_isolation(w->sb) == SBX_ISO_FALLBACK)
    return;
  out = scenario_exec(w, SBX_CTX_USER, "ps -eo stat=,args= | grep '^Z' || true", NULL, NULL);
  EXPECT(w, out != NULL && out[0] == '\0', "zombies in the user sandbox:\n%s", out ? out : "");
  free(out);
}

static void lifecycle(struct world *w)
{
  static const enum sbx_context both[] = { SBX_CTX_USER, SBX_CTX_PLATFORM };

  for (size_t c = 0; c < 2; c++)
    {
      enum sbx_context ctx = both[c];
      struct sbx_process_info p, *list = NULL;
      struct sbx_error err = { 0 };
      char *out = NULL, *errout = NULL, needle[64], cmd[200];
      size_t out_len = 0, err_len = 0, n = 0;
      unsigned token;
      int code = -1;
      bool listed = false;

      scenario_random_token(needle, sizeof needle, "");
      snprintf(needle, sizeof needle, "sleep 50.%.6u", (unsigned)strtoul(needle + 26, NULL, 16) % 1000000);
      snprintf(cmd, sizeof cmd, "echo hello; echo oops >&2; %s & %s", needle, needle);
      if (!start(w, ctx, cmd, &p))
        continue;
      EXPECT(w, p.status == SBX_PROC_RUNNING && p.pid > 0 && p.id[0] != '\0', "started: %s pid %d",
             sbx_process_status_name(p.status), (int)p.pid);
      EXPECT(w, sbx_process_list(w->sb, ctx, &list, &n, &err) == 0, "list: %s", err.message);
      for (size_t i = 0; i < n; i++)
        listed |= strcmp(list[i].id, p.id) == 0 && list[i].status == SBX_PROC_RUNNING;
      sbx_process_list_free(list, n);
      EXPECT(w, listed, "the process is listed in its own context");
      EXPECT(w, sbx_process_list(w->sb, ctx == SBX_CTX_USER ? SBX_CTX_PLATFORM : SBX_CTX_USER, &list, &n, &err) == 0,
             "list other");
      for (size_t i = 0; i < n; i++)
        EXPECT(w, strcmp(list[i].id, p.id) != 0, "a %s process is listed in the other context",
               sbx_context_name(ctx));
      sbx_process_list_free(list, n);
      /* The sleeps run once the shell is past its echoes. */
      for (int i = 0; i < 500 && scenario_host_processes(needle) < 2; i++)
        usleep(10000);
      EXPECT(w, sbx_process_logs(w->sb, ctx, p.id, &out, &out_len, &errout, &err_len, &err) == 0, "logs: %s",
             err.message);
      EXPECT(w, out && strcmp(out, "hello\n") == 0 && errout && strcmp(errout, "oops\n") == 0, "logs: [%s] [%s]",
             out ? out : "", errout ? errout : "");
      free(out);
      free(errout);
      EXPECT(w, scenario_host_processes(needle) >= 2, "the shell and its sleeps run before the kill (%d)",
             scenario_host_processes(needle));
      EXPECT(w, sbx_process_kill(w->sb, ctx, p.id, SIGKILL, &err) == 0, "kill: %s", err.message);
      EXPECT(w, wait_for_end(w, ctx, p.id, &code) == SBX_PROC_KILLED, "status after kill");
      EXPECT(w, code == 128 + SIGKILL, "exit code after kill: %d", code);
      /* The whole tree, not just the shell, and no zombies. */
      EXPECT(w, scenario_host_processes(needle) == 0, "`%s` survived the kill of its process", needle);
      no_zombies(w, ctx);
      EXPECT(w, sbx_process_get(w->sb, ctx, "proc-999999", &p, &err) < 0
                  && strcmp(err.code, SBX_E_PROCESS_NOT_FOUND) == 0,
             "missing process: %s", err.code);
      EXPECT(w, sbx_process_kill(w->sb, ctx, "nope", SIGTERM, &err) < 0
                  && strcmp(err.code, SBX_E_PROCESS_NOT_FOUND) == 0,
             "kill missing: %s", err.code);
      sbx_process_info_clear(&p);

      if (!start(w, ctx, "exit 7", &p))
        continue;
      EXPECT(w, wait_for_end(w, ctx, p.id, &code) == SBX_PROC_FAILED && code == 7, "exit 7: code %d", code);
      sbx_process_info_clear(&p);
      /* The trap is set once its sleep runs. The sleep's argument is built by
       * the shell, so that only the sleep matches, not the shell's command line. */
      scenario_random_token(needle, sizeof needle, "");
      token = (unsigned)strtoul(needle + 26, NULL, 16) % 1000000;
      snprintf(needle, sizeof needle, "sleep 5.%.6u", token);
      snprintf(cmd, sizeof cmd, "trap 'exit 0' TERM; sleep 5.$(echo %.6u) & wait", token);
      if (!start(w, ctx, cmd, &p))
        continue;
      for (int i = 0; i < 500 && scenario_host_processes(needle) < 1; i++)
        usleep(10000);
      EXPECT(w, scenario_host_processes(needle) == 1, "`%s` runs before the SIGTERM", needle);
      EXPECT(w, sbx_process_kill(w->sb, ctx, p.id, SIGTERM, &err) == 0, "SIGTERM: %s", err.message);
      EXPECT(w, wait_for_end(w, ctx, p.id, &code) != SBX_PROC_RUNNING, "SIGTERM ends a process that traps it");
      sbx_process_info_clear(&p);
    }
}

/* The design's second test, both ways, and user processes seeing each other. */
static void visibility(struct world *w)
{
  struct sbx_process_info user_proc, platform_proc;
  char token[64], ucmd[128], pcmd[128], *out;

  scenario_random_token(token, sizeof token, "");
  snprintf(ucmd, sizeof ucmd, "sleep 61.%.6u", (unsigned)strtoul(token + 26, NULL, 16) % 1000000);
  snprintf(pcmd, sizeof pcmd, "sleep 62.%.6u", (unsigned)strtoul(token + 26, NULL, 16) % 1000000);
  if (!start(w, SBX_CTX_USER, ucmd, &user_proc))
    return;
  if (!start(w, SBX_CTX_PLATFORM, pcmd, &platform_proc))
    return;
  out = scenario_exec(w, SBX_CTX_USER, "ps -eo args", NULL, NULL);
  EXPECT(w, out && strstr(out, ucmd) != NULL, "a started user process is visible to a later user exec:\n%s", out ? out : "");
  EXPECT(w, out && strstr(out, pcmd) == NULL, "user exec sees the platform process:\n%s", out ? out : "");
  free(out);
  out = scenario_exec(w, SBX_CTX_PLATFORM, "ps -eo args", NULL, NULL);
  EXPECT(w, out && strstr(out, pcmd) == NULL, "a platform exec sees another platform command:\n%s", out ? out : "");
  EXPECT(w, out && strstr(out, ucmd) == NULL, "platform exec sees the user process:\n%s", out ? out : "");
  free(out);
  sbx_process_info_clear(&user_proc);
  sbx_process_info_clear(&platform_proc);
}

/* A daemon (setsid, orphaned) of a user process that still runs is that
 * process's: another command's end leaves it alone, its own command's end
 * takes it. So does the end of an exec, for one the exec left behind. */
static void detached_children(struct world *w)
{
  struct sbx_process_info owner;
  struct sbx_error err = { 0 };
  char token[64], daemon[64], owner_cmd[64], cmd[256], *out;
  unsigned n;
  int code = -1;

  scenario_random_token(token, sizeof token, "");
  n = (unsigned)strtoul(token + 26, NULL, 16) % 1000000;
  snprintf(daemon, sizeof daemon, "sleep 63.%.6u", n);
  /* Built by the shell: its own command line must not match. */
  snprintf(owner_cmd, sizeof owner_cmd, "sleep 64.%.6u", n);
  snprintf(cmd, sizeof cmd, "setsid -f sleep 63.$(echo %.6u) >/dev/null 2>&1; exec sleep 64.$(echo %.6u)", n, n);
  if (!start(w, SBX_CTX_USER, cmd, &owner))
    return;
  /* Once the shell has become the owner's sleep, setsid -f is done: its own
   * process (which also matches) has exited, and the daemon runs. */
  for (int i = 0; i < 200 && scenario_host_processes(owner_cmd) == 0; i++)
    usleep(10000);
  EXPECT(w, scenario_host_processes(daemon) == 1, "the daemon runs before another command (%d)",
         scenario_host_processes(daemon));
  out = scenario_exec(w, SBX_CTX_USER, "true", NULL, NULL);
  free(out);
  EXPECT(w, scenario_host_processes(daemon) == 1, "the running process's daemon was killed by another command's end (%d)",
         scenario_host_processes(daemon));
  EXPECT(w, sbx_process_kill(w->sb, SBX_CTX_USER, owner.id, SIGKILL, &err) == 0, "kill: %s", err.message);
  EXPECT(w, wait_for_end(w, SBX_CTX_USER, owner.id, &code) == SBX_PROC_KILLED, "status after kill");
  EXPECT(w, scenario_host_processes(daemon) == 0, "`%s` outlived the process that started it", daemon);
  sbx_process_info_clear(&owner);
  /* An exec's own detached daemon, double-forked: gone when the exec returns. */
  snprintf(cmd, sizeof cmd, "setsid -f sleep 63.$(echo %.6u) >/dev/null 2>&1", n);
  out = scenario_exec(w, SBX_CTX_USER, cmd, NULL, NULL);
  free(out);
  EXPECT(w, scenario_host_processes(daemon) == 0, "`%s` outlived its exec", daemon);
  no_zombies(w, SBX_CTX_USER);
}

SCENARIO_TEST(processes_root, detached_children, MODE_ROOT, detached_children, NULL)
SCENARIO_TEST(processes_userns, detached_children, MODE_USERNS, detached_children, NULL)
SCENARIO_TEST(processes_root, lifecycle, MODE_ROOT, lifecycle, NULL)
SCENARIO_TEST(processes_userns, lifecycle, MODE_USERNS, lifecycle, NULL)
SCENARIO_TEST(processes_fallback, lifecycle, MODE_FALLBACK_ROOT, lifecycle, NULL)
SCENARIO_TEST(processes_root, visibility, MODE_ROOT, visibility, NULL)
SCENARIO_TEST(processes_userns, visibility, MODE_USERNS, visibility, NULL)
