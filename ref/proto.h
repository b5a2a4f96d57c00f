/* Wire formats between the executor, its supervisors and splitbox-init.
 * Both ends are built from the same tree, but the executor treats every byte
 * that comes from inside the user sandbox as untrusted. */
#pragma once

#include <limits.h>
#include <signal.h>
#include <stdint.h>

/* Status records, written to an exec's status pipe. Each is smaller than
 * PIPE_BUF, so writes by several processes never interleave. */
enum sbx_status_kind
{
  SBX_ST_GPID = 1, /* value: host pid of the platform namespace's init */
  SBX_ST_STARTED,  /* value: pid of the command, inside its context */
  SBX_ST_EXITED,   /* value: raw wait status of the command */
  SBX_ST_FAILED,   /* errno_ and msg: why the command could not start; value
                      SBX_FAILED_ERRNO_TEXT: the reader appends ": strerror(errno_)" */
  SBX_ST_READY,    /* a setup step finished */
};

/* A child before its exec cannot call strerror (a lock, maybe an allocation). */
#define SBX_FAILED_ERRNO_TEXT 1

struct sbx_status_rec
{
  int32_t kind;
  int32_t value;
  int32_t errno_;
  char msg[244];
};

/* Requests to splitbox-init over its SOCK_SEQPACKET control socket. */
enum sbx_init_op
{
  SBX_OP_SPAWN = 1, /* fds: payload memfd, stdin, stdout, stderr, status pipe */
  SBX_OP_KILL,      /* signal the process tree of request id */
  SBX_OP_OPEN,      /* fds: reply socket[, dir]; opens path as the user (beneath dir if given), replies errno + fd */
  SBX_OP_RENAME,    /* fds: reply socket, dir; path "FROM\0TO", two names in dir: renames FROM to TO as the
                       user (TO empty: unlinks FROM), replies errno */
  SBX_OP_LINK,      /* fds: reply socket, dir, file; path NAME: gives the unnamed file (O_TMPFILE, opened by
                       OPEN) the name NAME in dir, as the user; replies errno */
};

struct sbx_init_msg
{
  uint32_t op;
  uint32_t flags; /* OPEN: open flags */
  uint64_t id;
  int32_t sig;
  uint32_t mode;  /* OPEN: creation mode */
  char path[PATH_MAX];
};

struct sbx_init_reply
{
  int32_t errno_;
};

#define SBX_INIT_CONTROL_FD 3

/* A supervisor's parent-death signal: it kills the command's whole tree,
 * where SIGKILL would end the supervisor alone and orphan the tree. */
#define SBX_SIG_PARENT_DIED (SIGRTMIN + 2)

/* `splitbox-init supervise [--ns-init]` finds, from fd 3 on: the payload
 * memfd, the command's stdin, stdout and stderr, the status pipe, and the
 * executor's lifeline (a pipe's read end that hangs up when the executor dies). */
#define SBX_SUPERVISE_FIRST_FD 3
#define SBX_SUPERVISE_FDS 6
#define SBX_SPAWN_FDS 5

/* What a spare platform init does with the job it is sent: supervise the
 * command (a started process, an exec with "init"), or become it, as PID 1
 * (an exec, where a platform user namespace keeps the executor from making
 * one itself without a fork on the command's path). */
#define SBX_JOB_SUPERVISE 1u
#define SBX_JOB_EXEC_AS_PID1 2u
