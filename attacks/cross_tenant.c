/* cross-tenant-platform, cross-tenant-user: user code of one sandbox (tenant
 * A) against another sandbox of the same backend (tenant B), whose platform
 * or user code runs the victim. The harness gives the probe B's marker and
 * nothing of B's paths: what it reaches, it reached across sandboxes. The
 * attacks are the single-sandbox probes' own, each recorded as a part
 * ("proc-environ/read"), so that the audit checks every one was attempted.
 * The filesystem scans are left out: fs-scan alone takes seconds, and a
 * backend's own sandboxes share no dir the harness knows of. */
#include <string.h>

#include "probe.h"

static const struct
{
  const char *name;
  void (*run)(struct probe *p);
} parts[] = {
  { "proc-environ", probe_proc_environ }, { "proc-cmdline", probe_proc_cmdline }, { "ps-scan", probe_ps_scan },
  { "proc-mem", probe_proc_mem },         { "ptrace", probe_ptrace },             { "signal", probe_signal },
  { "ipc-sysv", probe_ipc_sysv },         { "posix-shm", probe_posix_shm },       { "net-connect", probe_net_connect },
  { "unix-abstract", probe_unix_abstract },
};

/* The verdict reads these unprefixed: whether B's victim was visible, hidden
 * from /proc but alive, or stopped. */
static void summarise(struct probe *p, const char *key, const char *from)
{
  const char *v = probe_observed(from);

  if (v != NULL)
    probe_observe(p, key, "%s", v);
}

static void cross_tenant(struct probe *p)
{
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
    {
      probe_part(parts[i].name);
      parts[i].run(p);
    }
  probe_part(NULL);
  summarise(p, "marker_visible", "ps-scan/marker_visible");
  summarise(p, "pids_hidden_from_proc", "ps-scan/pids_hidden_from_proc");
  summarise(p, "stopped", "signal/stopped");
}

void probe_cross_tenant_platform(struct probe *p)
{
  cross_tenant(p);
}

void probe_cross_tenant_user(struct probe *p)
{
  cross_tenant(p);
}
