/* The probe framework: every probe records its attempts (with errno), the
 * canary-shaped tokens it found, and what it observed; main prints one JSON
 * document. Probes act only on processes whose comm is the run's marker. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PROBE_MAX_TARGETS 64

struct probe
{
  const char *marker; /* may be NULL: then active techniques have no target */
  pid_t targets[PROBE_MAX_TARGETS];
  int n_targets;
  bool unsupported;
  char unsupported_why[256];
};

struct probe_def
{
  const char *name;
  const char *row; /* the row of the security table it tests */
  const char *technique;
  bool confidentiality; /* false: integrity or information only */
  void (*run)(struct probe *p);
};

extern const struct probe_def probe_defs[];
extern const size_t probe_count;

/* Recording */
void probe_attempt(struct probe *p, const char *technique, const char *target, bool ok, int errno_,
                   const char *detail_fmt, ...) __attribute__((format(printf, 6, 7)));
void probe_scan(struct probe *p, const void *buf, size_t len);
void probe_observe(struct probe *p, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void probe_unsupported(struct probe *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Helpers */
/* Reads up to cap bytes of path into a malloc'd buffer; NULL with errno set. */
char *probe_read_file(const char *path, size_t cap, size_t *len);
/* Scans a file for tokens and records the attempt. Returns true if readable. */
bool probe_scan_file(struct probe *p, const char *technique, const char *path);
/* Finds the pids whose comm equals the marker. */
void probe_find_targets(struct probe *p);
bool probe_is_target(const struct probe *p, pid_t pid);
/* Lists numeric entries of /proc. Returns the count; *pids is malloc'd. */
int probe_list_pids(pid_t **pids);

/* Each probe (one file each). */
void probe_env_self(struct probe *p);
void probe_proc_environ(struct probe *p);
void probe_proc_cmdline(struct probe *p);
void probe_ps_scan(struct probe *p);
void probe_ptrace(struct probe *p);
void probe_proc_mem(struct probe *p);
void probe_vm_readv(struct probe *p);
void probe_pidfd_getfd(struct probe *p);
void probe_proc_root(struct probe *p);
void probe_fs_scan(struct probe *p);
void probe_ipc_sysv(struct probe *p);
void probe_posix_shm(struct probe *p);
void probe_keyring(struct probe *p);
void probe_net_sniff(struct probe *p);
void probe_net_connect(struct probe *p);
void probe_unix_abstract(struct probe *p);
void probe_mount_escape(struct probe *p);
void probe_control_plane(struct probe *p);
void probe_signal(struct probe *p);
void probe_path_hijack(struct probe *p);
void probe_capabilities(struct probe *p);

/* Memory of a target: calls fn for each readable private or stack/heap mapping. */
struct mapping
{
  unsigned long start, end;
  char name[256];
};
int probe_mappings(pid_t pid, struct mapping *out, int max);
extern const char *probe_shared_dir;
