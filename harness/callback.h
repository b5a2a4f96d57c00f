/* A platform operation's callback, served by the harness itself on a unix
 * socket (for the conformance suite and the benchmark): it answers every
 * POST with {"handled":true,"request":BODY}, BODY being what the daemon sent. */
#pragma once

#include <pthread.h>

struct sbx_callback
{
  int listener;
  char path[108];
  pthread_t thread;
};

/* Serves on /tmp/sbx-NAME-PID.sock, mode 0666 (the daemon under test may run
 * as another uid), from a thread of its own. 0, or -1 with errno. */
int sbx_callback_start(struct sbx_callback *cb, const char *name);
void sbx_callback_stop(struct sbx_callback *cb);
