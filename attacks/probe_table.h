/* The probes and the rows of the guarantee table they test: defined here
 * once, read by the probe binary (main.c), the harness (the audit, its
 * reports) and the tests. Adding a probe is its source file (listed in
 * attacks/meson.build) plus one SBX_PROBE_TABLE entry.
 *
 * libc only: the static probe binary links this. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Row texts show in the audit's table, in the README generated from it, in
 * `splitbox caps` and in policy files (fixtures/policies): renaming one is a
 * visible change. The design document's seven rows come first. */
#define SBX_ROW_ENV "Read env vars"
#define SBX_ROW_PROC_ENVIRON "Read /proc/*/environ"
#define SBX_ROW_PS "Process listing (ps)"
#define SBX_ROW_DEBUGGER "Debugger attach"
#define SBX_ROW_MEMORY "Memory reading"
#define SBX_ROW_SNIFF "Network sniffing"
#define SBX_ROW_FILES "Filesystem access"
#define SBX_ROW_IPC "IPC (SysV shm, POSIX shm, keyrings)"
#define SBX_ROW_NET_SERVICES "Network services (loopback, abstract sockets)"
#define SBX_ROW_CONTROL_PLANE "Control plane (executor API)"
#define SBX_ROW_OWNERSHIP "Ownership in the shared dir"
#define SBX_ROW_SIGNALS "Signals to platform processes"
#define SBX_ROW_PATH_HIJACK "Path hijack of platform commands"
#define SBX_ROW_SYMLINKS "Symlinks in the shared dir"
#define SBX_ROW_INTEGRITY "Integrity of the platform's files"
#define SBX_ROW_CAPS "Capabilities of user code"
#define SBX_ROW_KERNEL "Kernel surface (io_uring, bpf, nested userns)"
#define SBX_ROW_LIMITS "Resource limits (processes)"
#define SBX_ROW_XTENANT_PLATFORM "Cross-tenant: another sandbox's platform"
#define SBX_ROW_XTENANT_USER "Cross-tenant: another sandbox's user code"

struct sbx_row_def
{
  const char *name;
  const char *kind; /* confidentiality, integrity */
  bool design;      /* one of the design document's seven rows */
};

enum sbx_leak_kind
{
  SBX_LEAK_CANARY,  /* the run's canary among the tokens found */
  SBX_LEAK_VISIBLE, /* ps-scan: the victim is visible */
  SBX_LEAK_STOPPED, /* signal: user code stopped the victim */
  SBX_LEAK_HIJACK,  /* path-hijack: a plant ran in a platform command */
  SBX_LEAK_CAPS,    /* capabilities, kernel-surface, integrity: observed.dangerous (what user code can do) is not empty */
  SBX_LEAK_EXECUTE, /* control-plane: the canary, or a platform execute from user code ran (observed.executed) */
  SBX_LEAK_DEPUTY,  /* symlink-deputy: a platform step followed a plant (copied the canary in, or wrote outside) */
  SBX_LEAK_TENANT,  /* cross-tenant: the canary, or the other sandbox's victim visible (or alive behind /proc) or stopped */
};

/* Where the victim runs: in the audited sandbox's platform context, or in a
 * second sandbox of the same backend (tenant B), against which the probe runs
 * as user code of the first. */
enum sbx_victim_place
{
  SBX_VICTIM_PLATFORM,         /* this sandbox's platform */
  SBX_VICTIM_TENANT_PLATFORM,  /* another sandbox's platform */
  SBX_VICTIM_TENANT_USER,      /* another sandbox's user code */
};

struct sbx_probe_def
{
  const char *name; /* splitbox-probe NAME */
  const char *row;  /* one of SBX_ROW_* */
  const char *technique;  /* for people: what the probe tries */
  /* The exact technique names (probe_attempt's) the probe attempts whatever
   * the backend, comma-separated: the audit makes a cell ERROR when one is
   * missing from its report (a technique skipped proves nothing). Only the
   * unconditional ones: not those that follow a finding. */
  const char *techniques;
  enum sbx_leak_kind leak; /* what counts as a leak */
  bool victim;             /* needs the platform-side victim */
  bool argv_canary;        /* the victim carries the canary in argv too (--argv-canary) */
  bool api_socket;         /* the victim also serves a stand-in executor API (--api-socket) */
  bool env_canary;         /* positive control: user code gets the canary in its env, as today's SDK hands it */
  bool shared_secret;      /* the victim also leaves a 0600 file of the canary in the shared dir (--shared-secret) */
  enum sbx_victim_place place; /* where the victim runs (default: this sandbox's platform) */
};

/* The cross-tenant probes run other probes' attacks as parts (attacks/cross_tenant.c): each part's
 * unconditional techniques, named "part/technique". */
#define SBX_XTENANT_TECHNIQUES                                                                                \
  "proc-environ/read,proc-cmdline/read,ps-scan/readdir,ps-scan/kill-oracle,proc-mem/find-target,"             \
  "ptrace/find-target,signal/find-target,ipc-sysv/read,ipc-sysv/SHM_INFO,posix-shm/read,net-connect/read,"    \
  "unix-abstract/read"

/* One entry per probe: P(id, designated initializers of struct sbx_probe_def).
 * id names its function, probe_<id>(struct probe *) in attacks/<id>.c, and
 * its tests. A list rather than a plain array so that the probe binary can
 * bind each entry to its function while the harness links no probe code. */
#define SBX_PROBE_TABLE(P)                                                                                    \
  P(env_self, .name = "env-self", .row = SBX_ROW_ENV, .leak = SBX_LEAK_CANARY, .victim = true,                \
    .techniques = "environ,proc-environ,parent-environ,list",                                                 \
    .env_canary = true, .technique = "own environment, the parent's, and inherited fds (read, peeked)")                      \
  P(proc_environ, .name = "proc-environ", .row = SBX_ROW_PROC_ENVIRON, .leak = SBX_LEAK_CANARY, .victim = true, \
    .techniques = "read",                                                                                     \
    .technique = "read /proc/*/environ")                                                                      \
  P(proc_cmdline, .name = "proc-cmdline", .row = SBX_ROW_PROC_ENVIRON, .leak = SBX_LEAK_CANARY, .victim = true, \
    .techniques = "read",                                                                                     \
    .argv_canary = true, .technique = "read /proc/*/cmdline (secrets passed in argv)")                        \
  P(ps_scan, .name = "ps-scan", .row = SBX_ROW_PS, .leak = SBX_LEAK_VISIBLE, .victim = true,                  \
    .techniques = "readdir,kill-oracle",                                                                      \
    .technique = "readdir /proc, and a kill(pid, 0)/getpgid oracle over the pid range")                       \
  P(ptrace, .name = "ptrace", .row = SBX_ROW_DEBUGGER, .leak = SBX_LEAK_CANARY, .victim = true,               \
    .techniques = "find-target",                                                                              \
    .technique = "PTRACE_SEIZE marker processes, PEEKDATA over stack and heap")                               \
  P(proc_mem, .name = "proc-mem", .row = SBX_ROW_MEMORY, .leak = SBX_LEAK_CANARY, .victim = true,             \
    .techniques = "find-target",                                                                              \
    .technique = "read /proc/PID/mem over the victim's writable mappings")                                    \
  P(vm_readv, .name = "vm-readv", .row = SBX_ROW_MEMORY, .leak = SBX_LEAK_CANARY, .victim = true,             \
    .techniques = "find-target",                                                                              \
    .technique = "process_vm_readv over the victim's writable mappings")                                      \
  P(pidfd_getfd, .name = "pidfd-getfd", .row = SBX_ROW_MEMORY, .leak = SBX_LEAK_CANARY, .victim = true,       \
    .techniques = "find-target",                                                                              \
    .technique = "pidfd_open + pidfd_getfd to steal the victim's fds, then read them")                        \
  P(net_sniff, .name = "net-sniff", .row = SBX_ROW_SNIFF, .leak = SBX_LEAK_CANARY, .victim = true,            \
    .techniques = "socket(AF_PACKET)",                                                                        \
    .technique = "AF_PACKET raw socket on every interface for about 1 s")                                     \
  P(proc_root, .name = "proc-root", .row = SBX_ROW_FILES, .leak = SBX_LEAK_CANARY, .victim = true,            \
    .techniques = "find-target",                                                                              \
    .technique = "read through /proc/PID/root, /proc/PID/cwd and /proc/PID/fd/*")                             \
  P(fs_scan, .name = "fs-scan", .row = SBX_ROW_FILES, .leak = SBX_LEAK_CANARY, .victim = true,                \
    .techniques = "read,mountinfo",                                                                           \
    .technique = "search the backend's private and shared dirs, usual places and every readable mount, by content")            \
  P(mount_escape, .name = "mount-escape", .row = SBX_ROW_FILES, .leak = SBX_LEAK_CANARY, .victim = true,      \
    .techniques = "unshare(CLONE_NEWUSER|CLONE_NEWNS),setns(mnt)",                                            \
    .technique = "mount, unshare+mount, setns into the victim, open_by_handle_at on every mount, chroot")                    \
  P(ipc_sysv, .name = "ipc-sysv", .row = SBX_ROW_IPC, .leak = SBX_LEAK_CANARY, .victim = true,                \
    .techniques = "read,SHM_INFO",                                                                            \
    .technique = "SysV shm: /proc/sysvipc/shm and SHM_STAT, attach and read")                                 \
  P(posix_shm, .name = "posix-shm", .row = SBX_ROW_IPC, .leak = SBX_LEAK_CANARY, .victim = true,              \
    .techniques = "read",                                                                                     \
    .technique = "read /dev/shm/*")                                                                           \
  P(keyring, .name = "keyring", .row = SBX_ROW_IPC, .leak = SBX_LEAK_CANARY, .victim = true,                  \
    .techniques = "read,keyctl-read-keyring",                                                                 \
    .technique = "/proc/keys and /proc/key-users, then keyctl read of user, session and found keys")                              \
  P(net_connect, .name = "net-connect", .row = SBX_ROW_NET_SERVICES, .leak = SBX_LEAK_CANARY, .victim = true, \
    .techniques = "read",                                                                                     \
    .technique = "connect to loopback TCP listeners from /proc/net/tcp{,6} and read")                        \
  P(unix_abstract, .name = "unix-abstract", .row = SBX_ROW_NET_SERVICES, .leak = SBX_LEAK_CANARY,             \
    .techniques = "read",                                                                                     \
    .victim = true, .technique = "connect to abstract unix sockets from /proc/net/unix and read")             \
  P(control_plane, .name = "control-plane", .row = SBX_ROW_CONTROL_PLANE, .leak = SBX_LEAK_EXECUTE,           \
    .techniques = "search unix sockets,read loopback listeners",                                              \
    .victim = true, .api_socket = true,                                                                       \
    .technique = "ask the backend's API and the run's own endpoints for a platform execute; others: connect only") \
  P(ownership, .name = "ownership", .row = SBX_ROW_OWNERSHIP, .leak = SBX_LEAK_CANARY, .victim = true,          \
    .techniques = "stat,read,chmod 0644,link",                                                                \
    .shared_secret = true, .technique = "read, chmod and hard-link the platform's 0600 file in the shared dir")  \
  P(signal, .name = "signal", .row = SBX_ROW_SIGNALS, .leak = SBX_LEAK_STOPPED, .victim = true,               \
    .techniques = "find-target",                                                                              \
    .technique = "SIGSTOP/SIGCONT the victim")                                                                \
  P(path_hijack, .name = "path-hijack", .row = SBX_ROW_PATH_HIJACK, .leak = SBX_LEAK_HIJACK, .victim = true,  \
    .techniques = "plant",                                                                                    \
    .technique = "plant zip, aws, git, sh, env in the shared dir for a platform command")                     \
  P(symlink_deputy, .name = "symlink-deputy", .row = SBX_ROW_SYMLINKS, .leak = SBX_LEAK_DEPUTY, .victim = true, \
    .techniques = "symlink",                                                                                  \
    .technique = "symlinks in the shared dir to the private canary and outside it, for a deploy step that "      \
                 "appends to a log and copies a config")                                                        \
  P(integrity, .name = "integrity", .row = SBX_ROW_INTEGRITY, .leak = SBX_LEAK_CAPS, .victim = true,            \
    .techniques = "create,read",                                                                              \
    .technique = "create and remove a marker in the platform's PATH dirs, /etc, the private dir and its HOME; " \
                 "read /etc/shadow")                                                                            \
  P(capabilities, .name = "capabilities", .row = SBX_ROW_CAPS, .leak = SBX_LEAK_CAPS,                         \
    .techniques = "capng_get_caps_process,find a setuid or file-capability program",                          \
    .technique = "capability sets, uid map, no_new_privs and seccomp mode")                                   \
  P(kernel_surface, .name = "kernel-surface", .row = SBX_ROW_KERNEL, .leak = SBX_LEAK_CAPS,                   \
    .techniques = "io_uring_setup,unshare(CLONE_NEWUSER),unshare(CLONE_NEWNS),userfaultfd,bpf(BPF_MAP_CREATE),perf_event_open,fsopen,keyctl",\
    .technique = "io_uring_setup, unshare of user and mount namespaces, userfaultfd, bpf, perf_event_open, "   \
                 "fsopen, keyctl: each once, on objects of its own, closed at once")                               \
  P(limits, .name = "limits", .row = SBX_ROW_LIMITS, .leak = SBX_LEAK_CAPS,                                   \
    .techniques = "fork",                                                                                     \
    .technique = "fork 1100 children of its own, held at once on a pipe, then released and reaped")            \
  P(cross_tenant_platform, .name = "cross-tenant-platform", .row = SBX_ROW_XTENANT_PLATFORM,                  \
    .leak = SBX_LEAK_TENANT, .victim = true, .argv_canary = true, .place = SBX_VICTIM_TENANT_PLATFORM,        \
    .techniques = SBX_XTENANT_TECHNIQUES,                                                                     \
    .technique = "from another sandbox's user code: /proc/*/environ and cmdline, ps, /proc/PID/mem, ptrace, "  \
                 "SIGSTOP, SysV and POSIX shm, loopback and abstract sockets, at the victim in this one's platform") \
  P(cross_tenant_user, .name = "cross-tenant-user", .row = SBX_ROW_XTENANT_USER,                              \
    .leak = SBX_LEAK_TENANT, .victim = true, .argv_canary = true, .place = SBX_VICTIM_TENANT_USER,            \
    .techniques = SBX_XTENANT_TECHNIQUES,                                                                     \
    .technique = "from another sandbox's user code: /proc/*/environ and cmdline, ps, /proc/PID/mem, ptrace, "  \
                 "SIGSTOP, SysV and POSIX shm, loopback and abstract sockets, at a victim in this one's user code")

#define SBX_PROBE_ENUM_(id, ...) SBX_PROBE_##id,
enum sbx_probe_id
{
  SBX_PROBE_TABLE(SBX_PROBE_ENUM_) SBX_PROBE_COUNT
};

extern const struct sbx_probe_def sbx_probes[SBX_PROBE_COUNT]; /* in table order: indexed by enum sbx_probe_id */
extern const size_t sbx_probe_count;
extern const struct sbx_row_def sbx_rows[];
extern const size_t sbx_row_count;

const struct sbx_probe_def *sbx_probe_find(const char *name);
const struct sbx_row_def *sbx_row_find(const char *name);
