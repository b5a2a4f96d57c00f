/* splitbox caps [--json] [--verify]: what isolation this machine can give,
 * checked (namespaces are tried), and with --verify measured by the audit. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/audit.h"
#include "harness/backend.h"
#include "harness/caps_report.h"
#include "cli.h"
#include "harness/report.h"

#define EXIT_FULL 0
#define EXIT_CONTRADICTED 1
#define EXIT_ERROR 2
#define EXIT_FALLBACK_ONLY 3

static const char caps_usage[] =
  "Usage: splitbox caps [--json] [--verify] [--assume-mode namespaces|userns|fallback]\n"
  "\n"
  "What isolation this machine can give: identity and capabilities, which namespaces can be\n"
  "created (tried, in a child), the sysctls that decide user namespaces, seccomp, Landlock,\n"
  "Yama, /proc, cgroups, the sandbox tools, and a verdict: the mode splitbox uses here and,\n"
  "for each row of the security table, whether it is enforced and what would change that.\n"
  "Each row's claim comes from the mode and the facts measured here, and says why.\n"
  "--verify runs the audit against splitbox as it runs here, and prints claimed beside measured.\n"
  "--assume-mode claims as if splitbox ran in that mode (with the namespaces it presumes), to\n"
  "show that --verify catches a claim that does not hold.\n"
  "\n"
  "Exit status: 1 when --verify found a claim the audit contradicts (a row claimed enforced that\n"
  "leaked or could not be run, or one claimed lost that was blocked); else 0 when the namespaces\n"
  "are available (namespaces or userns mode: the verdict names any guarantee lost even so), 3\n"
  "when only fallback is; 2 on errors.\n";

static const char *str(const cJSON *o, const char *name)
{
  const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
  return s != NULL ? s : "";
}

static bool flag(const cJSON *o, const char *name)
{
  return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, name));
}

static void print_human(const cJSON *r)
{
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "identity"), *ns = cJSON_GetObjectItemCaseSensitive(r, "namespaces");
  const cJSON *k = cJSON_GetObjectItemCaseSensitive(r, "kernel"), *t = cJSON_GetObjectItemCaseSensitive(r, "tools");
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, "verdict"), *item;

  printf("Identity\n  uid %d (euid %d), gid %d\n", (int)cJSON_GetNumberValue(cJSON_GetObjectItem(id, "uid")),
         (int)cJSON_GetNumberValue(cJSON_GetObjectItem(id, "euid")), (int)cJSON_GetNumberValue(cJSON_GetObjectItem(id, "gid")));
  printf("  effective: %s\n  permitted: %s\n  bounding:  %s\n", str(id, "effective"), str(id, "permitted"),
         str(id, "bounding"));
  printf("  CAP_SYS_ADMIN %s, CAP_SYS_PTRACE %s, CAP_NET_RAW %s\n", flag(id, "CAP_SYS_ADMIN") ? "yes" : "no",
         flag(id, "CAP_SYS_PTRACE") ? "yes" : "no", flag(id, "CAP_NET_RAW") ? "yes" : "no");
  printf("\nNamespaces (tried in a child)\n");
  cJSON_ArrayForEach(item, ns)
    printf("  %-8s %-9s alone: %-30s inside a new user namespace: %s\n", item->string,
           flag(item, "available") ? "available" : "NO", flag(item, "alone") ? "yes" : str(item, "aloneError"),
           flag(item, "withUserNamespace") ? "yes" : "no");
  printf("\nUser-namespace sysctls\n");
  cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(r, "userNamespaceSysctls"))
    {
      const cJSON *value = cJSON_GetObjectItemCaseSensitive(item, "value");
      char shown[32] = "-";
      if (cJSON_IsNumber(value))
        snprintf(shown, sizeof shown, "%.0f", value->valuedouble);
      printf("  %-46s %-7s %s\n", str(item, "name"), shown, str(item, "effect"));
    }
  printf("\nKernel\n  %s\n  seccomp: %s; Landlock ABI %d; Yama ptrace_scope %d; /proc %s\n", str(k, "release"),
         flag(k, "seccompFilterApplied") ? "a filter is applied to this process" : "available, none applied here",
         (int)cJSON_GetNumberValue(cJSON_GetObjectItem(k, "landlockAbi")),
         (int)cJSON_GetNumberValue(cJSON_GetObjectItem(k, "yamaPtraceScope")), str(k, "procHidepid"));
  printf("  cgroup v2 %s%s; dev.tty.legacy_tiocsti %d\n", flag(k, "cgroup2") ? "yes" : "no",
         flag(k, "cgroupWritable") ? " (writable here)" : "",
         (int)cJSON_GetNumberValue(cJSON_GetObjectItem(k, "legacyTiocsti")));
  {
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(r, "limits");
    const char *warning = str(l, "warning");
    printf("  limits of user code: %s%s%s%s\n", str(l, "mechanism"),
           flag(l, "memory") ? " (processes, memory, CPU)" : " (processes only: memory and CPU are not limited)",
           warning[0] != '\0' ? "; " : "", warning);
  }
  printf("\nTools\n");
  cJSON_ArrayForEach(item, t)
    if (strcmp(item->string, "bwrapSetuid") != 0)
      printf("  %-9s %s\n", item->string, cJSON_IsString(item) ? item->valuestring : "not installed");
  printf("  bwrap setuid: %s\n", flag(t, "bwrapSetuid") ? "yes" : "no");
  {
    /* "Full isolation" only when no row is lost: userns mode without
     * subordinate ids has the namespaces, and still loses ownership. */
    int lost = 0, rows = 0;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(v, "rows"))
      {
        rows++;
        lost += !flag(item, "enforced");
      }
    if (!flag(v, "fullIsolation"))
      printf("\nVerdict: splitbox runs in %s mode here (process-level isolation only)\n", str(v, "mode"));
    else if (lost > 0)
      printf("\nVerdict: splitbox runs in %s mode here (namespaces, but %d of %d guarantees LOST, below)\n",
             str(v, "mode"), lost, rows);
    else
      printf("\nVerdict: splitbox runs in %s mode here (full isolation)\n", str(v, "mode"));
  }
  cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(v, "rows"))
    printf("  %-46s %s: %s\n", str(item, "row"), flag(item, "enforced") ? "enforced" : "LOST", str(item, "because"));
  cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(v, "toGetFullIsolation"))
    printf("  to get full isolation: %s\n", item->valuestring);
}

/* The audit of splitbox as it runs here, beside the verdict's claims. */
static int verify(cJSON *report, bool json)
{
  char spec[PATH_MAX];
  const char *backends[] = { spec, NULL };
  struct sbx_audit_options o = { .backends = backends, .quiet = true };
  struct sbx_error err = { 0 };
  cJSON *audit = NULL, *rows = cJSON_CreateArray(), *item;
  int contradicted = 0;

  snprintf(spec, sizeof spec, "%s/../backends-caps/splitbox-here.json", sbx_backends_dir());
  if (sbx_audit_run(&o, &audit, &err) < 0)
    {
      fprintf(stderr, "splitbox caps --verify: %s: %s\n", err.code, err.message);
      cJSON_Delete(rows);
      return -1;
    }
  cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(report, "verdict"), "rows"))
    {
      char channels[512];
      const char *measured = sbx_report_row(audit, "splitbox-here", str(item, "row"), channels, sizeof channels);
      bool claimed = flag(item, "enforced");
      cJSON *r = cJSON_CreateObject();
      /* A claim is contradicted when a row said enforced is measured leaking, or could not be run, or
       * a row said lost is measured blocked (the claim is wrong either way).
       * UNVERIFIED is no contradiction: the control could not leak here either (sniffing needs
       * CAP_NET_RAW, which no unprivileged process has), so the row is unmeasurable, and says so. */
      bool bad = claimed ? (measured == NULL || strcmp(measured, SBX_OUTCOME_LEAKED) == 0
                            || strcmp(measured, SBX_OUTCOME_ERROR) == 0)
                         : (measured != NULL && strcmp(measured, SBX_OUTCOME_BLOCKED) == 0);
      contradicted += bad;
      cJSON_AddStringToObject(r, "row", str(item, "row"));
      cJSON_AddStringToObject(r, "claimed", claimed ? "enforced" : "lost");
      cJSON_AddStringToObject(r, "measured", measured != NULL ? measured : "NOT RUN");
      if (channels[0] != '\0')
        cJSON_AddStringToObject(r, "channels", channels);
      cJSON_AddBoolToObject(r, "agrees", !bad);
      cJSON_AddItemToArray(rows, r);
    }
  cJSON_AddItemToObject(report, "verify", rows);
  if (!json)
    {
      printf("\nClaimed vs measured (an audit of splitbox as it runs here, %.1f s)\n",
             cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(audit, "durationMs")) / 1000.0);
      printf("  %-46s %-9s %s\n", "row", "claimed", "measured");
      cJSON_ArrayForEach(item, rows)
        printf("  %-46s %-9s %s%s%s%s%s\n", str(item, "row"), str(item, "claimed"), str(item, "measured"),
               str(item, "channels")[0] ? " (" : "", str(item, "channels"), str(item, "channels")[0] ? ")" : "",
               !flag(item, "agrees")                       ? "   <- the claim does not hold"
               : strcmp(str(item, "measured"), "UNVERIFIED") == 0 ? "   (the control could not leak here either)"
                                                                   : "");
    }
  cJSON_Delete(audit);
  return contradicted;
}

int sbx_cli_caps(int argc, char **argv)
{
  static const struct option opts[] = {
    { "json", no_argument, NULL, 'j' }, { "verify", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' },
    { "assume-mode", required_argument, NULL, 'a' },
    { NULL, 0, NULL, 0 },
  };
  bool json = false, do_verify = false;
  enum sbx_isolation mode, assumed = SBX_ISO_FALLBACK, *assume = NULL;
  cJSON *report;
  int c, contradicted = 0;

  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
    switch (c)
      {
      case 'j': json = true; break;
      case 'v': do_verify = true; break;
      case 'a':
        if (strcmp(optarg, "namespaces") == 0)
          assumed = SBX_ISO_NAMESPACES;
        else if (strcmp(optarg, "userns") == 0)
          assumed = SBX_ISO_USERNS;
        else if (strcmp(optarg, "fallback") == 0)
          assumed = SBX_ISO_FALLBACK;
        else
          {
            fprintf(stderr, "splitbox caps: unknown mode \"%s\" (namespaces, userns, fallback)\n", optarg);
            return EXIT_ERROR;
          }
        assume = &assumed;
        break;
      case 'h': fputs(caps_usage, stdout); return 0;
      default: fputs(caps_usage, stderr); return EXIT_ERROR;
      }
  report = sbx_caps_report_assuming(assume, &mode);
  if (report == NULL)
    return EXIT_ERROR;
  if (!json)
    print_human(report);
  if (do_verify && (contradicted = verify(report, json)) < 0)
    {
      cJSON_Delete(report);
      return EXIT_ERROR;
    }
  if (json)
    {
      char *text = cJSON_Print(report);
      puts(text != NULL ? text : "{}");
      free(text);
    }
  cJSON_Delete(report);
  if (contradicted > 0)
    return EXIT_CONTRADICTED;
  return mode == SBX_ISO_FALLBACK ? EXIT_FALLBACK_ONLY : EXIT_FULL;
}
