/* The bare backend: victim and probe as plain processes of one uid, in the
 * same namespaces, as today's SDK runs them. Every probe must find the canary
 * here (its positive control). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "probe_table.h"

struct bare
{
  char dir[64];        /* /tmp/sbx-bare-XXXXXX: platform/, home/, app/ */
  char canary[64];
  char marker[16];
  char ready[128];
  pid_t victim;
  pid_t server;        /* the fake control plane, when started */
  bool shared_secret;  /* set before bare_start_victim: the victim leaves a 0600 canary file in app/ */
  long key;
  int shm_id, tcp_port;
  char abstract[64], posix_shm[64], private_file[256], aws_file[256], tmp_file[256];
};

/* Prepares the run's directory, canary and marker. */
bool bare_init(struct bare *b);
/* Starts the victim; with via_parent, under an intermediate parent that bare_kill_parent ends. */
bool bare_start_victim(struct bare *b, bool argv_canary);
/* Reads what the victim's ready file names into b; false if unreadable or a value does not fit. */
bool bare_read_ready(struct bare *b);
/* Runs the probe; returns its stdout (malloc'd). canary_env: today's SDK hands its env to user code. */
char *bare_probe(struct bare *b, const char *name, bool canary_env);
/* A fake executor API on a unix socket in the run's dir: it answers every execute with the canary. */
bool bare_start_control_plane(struct bare *b);
/* A platform command of today's SDK in the shared dir, with npm's PATH. */
void bare_platform_command(struct bare *b);
bool bare_hijacked(struct bare *b);
/* symlink-deputy's platform step, as the audit runs it: append to out-M.log and copy cfg-M.json in app/.
 * 1: it followed a plant (the canary copied in, or its line landed outside app/), 0: not, -1: it did not run. */
int bare_deputy_step(struct bare *b);
/* SIGTERM to the victim; returns what it left behind (empty string if nothing). */
char *bare_stop(struct bare *b);
void bare_cleanup(struct bare *b);

/* The positive control of probe d: victim and probe as bare processes, set up
 * as its table entry says (the canary in the victim, in argv, in the probe's
 * env, a fake executor API, a platform command). */
enum bare_outcome
{
  BARE_LEAKED,      /* the probe found the leak its table entry names */
  BARE_NOT_SHOWN,   /* it ran and did not: its check cannot be shown to work */
  BARE_UNSUPPORTED, /* the kernel lacks the technique */
};
/* *report (malloc'd): what it was to find, the probe's output, and anything
 * the victim left behind (which makes the outcome BARE_NOT_SHOWN too). */
enum bare_outcome bare_control(const struct sbx_probe_def *d, char **report);
