/* splitbox-demo: what scripts/audit runs until `splitbox audit` exists. A
 * platform command holds a fresh canary secret; user code tries each attack
 * of the design's security table against it. A row says LEAKED only when the
 * canary itself came back. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cli.h"
#include "executor.h"

/* @M stands for the victim's marker, @P for the host path of /platform. The
 * marker reaches the shell through $M: in its argv the shell would find itself. */
static const struct
{
  const char *row, *command, *leak_sign;
} attacks[] = {
  { "Read env vars", "echo \"$AWS_SECRET_ACCESS_KEY\"; env", NULL },
  { "Read /proc/*/environ", "cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'", NULL },
  { "Process listing (ps)", "ps -eo pid,args", "@M" },
  { "Debugger attach",
    "for p in $(pgrep -f \"$M\"); do cat /proc/$p/syscall >/dev/null 2>&1 && echo ATTACHABLE $p; done; true",
    "ATTACHABLE" },
  { "Memory reading",
    "for p in $(pgrep -f \"$M\"); do r=$(grep '\\[stack\\]' /proc/$p/maps | cut -d' ' -f1); e=$((0x${r#*-})); "
    "dd if=/proc/$p/mem bs=4096 skip=$((e / 4096 - 32)) count=32 2>/dev/null | tr '\\0' '\\n'; done; true",
    NULL },
  { "Filesystem access", "cat /platform/credentials @P/credentials /proc/*/root/platform/credentials 2>/dev/null; true",
    NULL },
};

/* Returns a copy of text with @M and @P replaced. */
static char *expand(const char *text, const char *marker, const char *private_dir)
{
  size_t cap = strlen(text) * 4 + 1024, o = 0;
  char *out = malloc(cap);

  if (out == NULL)
    return NULL;
  for (const char *p = text; *p != '\0' && o + 600 < cap; p++)
    {
      const char *sub = p[0] == '@' && p[1] == 'M' ? marker : p[0] == '@' && p[1] == 'P' ? private_dir : NULL;
      if (sub != NULL)
        {
          o += (size_t)snprintf(out + o, cap - o, "%s", sub);
          p++;
        }
      else
        out[o++] = *p;
    }
  out[o] = '\0';
  return out;
}

int main(int argc, char **argv)
{
  bool verbose = argc > 1 && strcmp(argv[1], "--verbose") == 0;
  struct sbx_options opts = { .init_path = sbx_cli_init_path(), .die_with_parent = true };
  struct sbx_error err = { 0 };
  struct sbx_sandbox *sb;
  struct sbx_process_info victim;
  unsigned char raw[16];
  char canary[64], env_entry[96], marker[64], marker_env[80], victim_cmd[96], private_dir[PATH_MAX];
  const char *env[] = { env_entry, NULL };
  int leaks = 0;

  if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
    return 2;
  strcpy(canary, "SPLITBOX-CANARY-");
  for (size_t i = 0; i < sizeof raw; i++)
    sprintf(canary + strlen(canary), "%02x", raw[i]);
  snprintf(env_entry, sizeof env_entry, "AWS_SECRET_ACCESS_KEY=%s", canary);
  /* A unique sleep duration marks the victim, so that listing it can be told apart. */
  snprintf(marker, sizeof marker, "86400.%06u", (raw[0] << 16 | raw[1] << 8 | raw[2]) % 1000000);
  snprintf(victim_cmd, sizeof victim_cmd, "exec sleep %s", marker);
  snprintf(marker_env, sizeof marker_env, "M=%s", marker);

  sb = sbx_sandbox_create(&opts, &err);
  if (sb == NULL)
    {
      fprintf(stderr, "splitbox-demo: %s: %s\n", err.code, err.message);
      return 2;
    }
  printf("splitbox reference executor, isolation mode: %s\n\n", sbx_isolation_name(sbx_sandbox_isolation(sb)));
  snprintf(private_dir, sizeof private_dir, "%s/platform", sbx_sandbox_state_dir(sb));
  {
    struct sbx_exec_request req = { .context = SBX_CTX_PLATFORM, .command = victim_cmd, .env = env };
    char creds[128];
    snprintf(creds, sizeof creds, "[default]\naws_secret_access_key=%s\n", canary);
    if (sbx_file_write(sb, SBX_SCOPE_PLATFORM, "/platform/credentials", creds, strlen(creds), &err) < 0
        || sbx_process_start(sb, &req, &victim, &err) < 0)
      {
        fprintf(stderr, "splitbox-demo: set up the platform victim: %s: %s\n", err.code, err.message);
        sbx_sandbox_destroy(sb);
        return 2;
      }
  }
  printf("A platform process (sleep %s) holds a fresh canary in its environment and in\n"
         "/platform/credentials. User code attempts, one row of the design's table each:\n\n", marker);
  printf("| %-22s | %-8s |\n|%s|%s|\n", "attack vector", "result", "------------------------", "----------");
  for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++)
    {
      char *command = expand(attacks[i].command, marker, private_dir);
      char *sign = attacks[i].leak_sign != NULL ? expand(attacks[i].leak_sign, marker, private_dir) : NULL;
      const char *user_env[] = { marker_env, NULL };
      struct sbx_exec_request req = { .context = SBX_CTX_USER, .command = command, .env = user_env,
                                      .timeout_ms = 20000 };
      struct sbx_exec_result res;
      int r = command != NULL ? sbx_exec(sb, &req, &res, &err) : -1;
      bool leaked = r == 0 && res.stdout_buf != NULL && strstr(res.stdout_buf, sign != NULL ? sign : canary) != NULL;

      free(command);
      free(sign);
      if (verbose && r == 0)
        fprintf(stderr, "%s\n", res.stdout_buf);
      printf("| %-22s | %-8s |\n", attacks[i].row, r < 0 ? "error" : leaked ? "LEAKED" : "blocked");
      leaks += leaked;
      if (i == 0)
        for (char **w = res.warnings; w != NULL && *w != NULL; w++)
          fprintf(stderr, "warning: %s\n", *w);
      sbx_exec_result_clear(&res);
    }
  sbx_process_info_clear(&victim);
  sbx_sandbox_destroy(sb);
  printf("\n%s\n", leaks ? "The canary leaked: see the warnings above." : "The canary never reached user code.");
  return leaks ? 1 : 0;
}
