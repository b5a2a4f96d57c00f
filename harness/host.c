/* The host conditions an audit ran under: what decides its results as much
 * as the backends do. */
#include <cap-ng.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cleanup.h"
#include "executor.h"
#include "host.h"
#include "run.h"

/* The first line a tool prints for --version; NULL when it is not installed. */
static char *tool_version(const char *tool, const char *flag)
{
  _cleanup_free_ char *path = sbx_which(tool);
  char *argv[] = { path, (char *)flag, NULL };
  char *envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *)"LANG=C", NULL };
  struct sbx_error err = { 0 };
  struct sbx_bresult res;
  char *line;

  if (path == NULL || sbx_run(argv, envp, 5000, &res, &err) < 0)
    return NULL;
  line = res.out_len > 0 ? res.out : res.err;
  line[strcspn(line, "\n")] = '\0';
  line = strdup(line);
  sbx_bresult_free(&res);
  return line;
}

/* hidepid= of the /proc this process sees, or "none". */
static void proc_options(char *out, size_t len)
{
  FILE *f = fopen("/proc/self/mountinfo", "re");
  char line[4096];

  snprintf(out, len, "none");
  while (f != NULL && fgets(line, sizeof line, f) != NULL)
    {
      char *fields = strstr(line, " - proc ");
      char *hide;
      if (fields == NULL || strstr(line, " /proc ") == NULL)
        continue;
      if ((hide = strstr(fields, "hidepid=")) != NULL)
        snprintf(out, len, "%.*s", (int)strcspn(hide, ", \n"), hide);
      break;
    }
  if (f != NULL)
    fclose(f);
}

void sbx_capabilities_to_json(cJSON *obj)
{
  static const struct
  {
    const char *name;
    capng_type_t type;
  } sets[] = { { "effective", CAPNG_EFFECTIVE }, { "permitted", CAPNG_PERMITTED }, { "bounding", CAPNG_BOUNDING_SET } };
  static const struct
  {
    const char *name;
    unsigned cap;
  } notable[] = { { "CAP_SYS_ADMIN", CAP_SYS_ADMIN }, { "CAP_SYS_PTRACE", CAP_SYS_PTRACE }, { "CAP_NET_RAW", CAP_NET_RAW } };

  capng_clear(CAPNG_SELECT_BOTH);
  if (capng_get_caps_process() != 0)
    return;
  for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
    {
      char *text = capng_print_caps_text(CAPNG_PRINT_BUFFER, sets[i].type);
      cJSON_AddStringToObject(obj, sets[i].name, text != NULL ? text : "none");
      free(text);
    }
  for (size_t i = 0; i < sizeof notable / sizeof notable[0]; i++)
    cJSON_AddBoolToObject(obj, notable[i].name, capng_have_capability(CAPNG_EFFECTIVE, notable[i].cap));
}

cJSON *sbx_host_conditions(void)
{
  cJSON *h = cJSON_CreateObject(), *tools;
  struct utsname u;
  char buf[256];

  if (uname(&u) == 0)
    {
      snprintf(buf, sizeof buf, "%s %s %s", u.sysname, u.release, u.machine);
      cJSON_AddStringToObject(h, "kernel", buf);
      /* In a container uname's nodename is the pod's: a fleet job names the machine instead. */
      const char *host = getenv("SPLITBOX_HOSTNAME");
      cJSON_AddStringToObject(h, "hostname", host != NULL && host[0] != '\0' ? host : u.nodename);
    }
  /* The mode splitbox would run in here: what a fleet view compares across hosts. */
  {
    enum sbx_isolation mode;
    struct sbx_error err = { 0 };
    if (sbx_isolation_detect(&mode, &err) == 0)
      cJSON_AddStringToObject(h, "splitboxMode", sbx_isolation_name(mode));
  }
  cJSON_AddNumberToObject(h, "uid", geteuid());
  cJSON_AddNumberToObject(h, "gid", getegid());
  sbx_capabilities_to_json(cJSON_AddObjectToObject(h, "capabilities"));
  proc_options(buf, sizeof buf);
  cJSON_AddStringToObject(h, "procHidepid", buf);
  sbx_host_facts_to_json(h);
  tools = cJSON_AddObjectToObject(h, "tools");
  {
    static const char *const names[][2] = { { "bwrap", "--version" }, { "firejail", "--version" }, { "unshare", "--version" } };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
      {
        _cleanup_free_ char *v = tool_version(names[i][0], names[i][1]);
        if (v != NULL)
          cJSON_AddStringToObject(tools, names[i][0], v);
        else
          cJSON_AddNullToObject(tools, names[i][0]);
      }
  }
  return h;
}
