/* processes: the container API's process routes, in both contexts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conform.h"

TestSuite(processes, .timeout = 120);

static const char *ctx_section(int c)
{
  return c == 0 ? "user" : "platform";
}

Test(processes, start_list_get_logs_kill_and_the_status_after_kill, .timeout = 120)
{
  struct sbx_backend *b = conf_open();

  conf_need(b, "api");
  for (int c = 0; c < 2; c++)
    {
      long status;
      char tail[128], marker[24], body[160];
      cJSON *doc, *p;
      const cJSON *item;
      char id[65] = "";
      bool listed = false;

      conf_marker(marker);
      snprintf(body, sizeof body, "{\"command\":\"echo hello; exec sleep 30.%s\"}", marker);
      doc = conf_api(b, ctx_section(c), "POST", "process/start", body, &status);
      cr_assert_eq(status, 200, "%s process/start: %ld", ctx_section(c), status);
      snprintf(id, sizeof id, "%s", conf_str(doc, "processId"));
      cr_expect(id[0] != '\0' && cJSON_IsNumber(cJSON_GetObjectItem(doc, "pid")), "processId and pid");
      cJSON_Delete(doc);
      doc = conf_api(b, ctx_section(c), "GET", "process/list", NULL, &status);
      cr_expect_eq(status, 200);
      cJSON_ArrayForEach(item, cJSON_GetObjectItem(doc, "processes"))
        listed = listed || strcmp(conf_str(item, "id"), id) == 0;
      cr_expect(listed, "%s: process/list has %s", ctx_section(c), id);
      cJSON_Delete(doc);
      snprintf(tail, sizeof tail, "process/%s", id);
      doc = conf_api(b, ctx_section(c), "GET", tail, NULL, &status);
      p = cJSON_GetObjectItem(doc, "process");
      cr_expect_str_eq(conf_str(p, "status"), "running");
      cr_expect(strstr(conf_str(p, "command"), marker) != NULL);
      cJSON_Delete(doc);
      /* The output comes when the command has run that far: poll, for up to 10 s. */
      snprintf(tail, sizeof tail, "process/%s/logs", id);
      for (int i = 0; i < 500; i++)
        {
          doc = conf_api(b, ctx_section(c), "GET", tail, NULL, &status);
          if (strcmp(conf_str(doc, "stdout"), "hello\n") == 0 || i == 499)
            break;
          cJSON_Delete(doc);
          usleep(20000);
        }
      cr_expect_str_eq(conf_str(doc, "stdout"), "hello\n");
      cJSON_Delete(doc);
      snprintf(tail, sizeof tail, "process/%s", id);
      doc = conf_api(b, ctx_section(c), "DELETE", tail, "{\"signal\":\"SIGKILL\"}", &status);
      cr_expect_eq(status, 200, "kill: %ld", status);
      cJSON_Delete(doc);
      for (int i = 0; i < 100; i++)
        {
          doc = conf_api(b, ctx_section(c), "GET", tail, NULL, &status);
          p = cJSON_GetObjectItem(doc, "process");
          if (strcmp(conf_str(p, "status"), "running") != 0)
            break;
          cJSON_Delete(doc);
          doc = NULL;
          usleep(20000);
        }
      cr_expect_str_eq(conf_str(p, "status"), "killed", "the status after a kill");
      cr_expect(cJSON_IsNumber(cJSON_GetObjectItem(p, "exitCode")), "an exit code after the kill");
      cr_expect(conf_str(p, "endTime")[0] != '\0', "an end time after the kill");
      cJSON_Delete(doc);
      cr_expect_eq(conf_host_count(marker), 0, "the killed process is gone");
    }
  sbx_backend_close(b);
}

Test(processes, no_zombies_are_left, .timeout = 120)
{
  struct sbx_backend *b = conf_open();
  struct sbx_bresult r;

  conf_need(b, "persistent-user");
  /* Orphans of many execs: the context must reap them. */
  for (int i = 0; i < 5; i++)
    {
      r = conf_exec(b, SBX_BCTX_USER, "sh -c 'sleep 0.1 &' ; true", NULL, NULL, 0);
      sbx_bresult_free(&r);
    }
  /* The orphans end within 0.1 s and are reaped asynchronously: poll, for up to 10 s. */
  for (int i = 0; i < 100; i++)
    {
      r = conf_exec(b, SBX_BCTX_USER, "ps -eo stat= | grep -c '^Z'; ps -eo args | grep -q '^ps -eo args' && echo ps-ok", NULL, NULL, 0);
      if (strcmp(r.out, "0\nps-ok\n") == 0 || i == 99)
        break;
      sbx_bresult_free(&r);
      usleep(100000);
    }
  /* The second line: ps lists itself, so a ps that shows nothing cannot pass. */
  cr_expect_str_eq(r.out, "0\nps-ok\n", "zombies in the user context, then ps's own line: %s", r.out);
  sbx_bresult_free(&r);
  sbx_backend_close(b);
}
