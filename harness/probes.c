#include <string.h>

#include "probes.h"

/* The design's seven rows first, named as in the design; then ours. */
const struct sbx_row_def sbx_rows[] = {
  { "Read env vars", "confidentiality", true },
  { "Read /proc/*/environ", "confidentiality", true },
  { "Process listing (ps)", "confidentiality", true },
  { "Debugger attach", "confidentiality", true },
  { "Memory reading", "confidentiality", true },
  { "Network sniffing", "confidentiality", true },
  { "Filesystem access", "confidentiality", true },
  { "IPC (SysV shm, POSIX shm, keyrings)", "confidentiality", false },
  { "Network services (loopback, abstract sockets)", "confidentiality", false },
  { "Control plane (executor API)", "confidentiality", false },
  { "Signals to platform processes", "integrity", false },
  { "Path hijack of platform commands", "integrity", false },
  { "Capabilities of user code", "integrity", false },
};
const size_t sbx_row_count = sizeof sbx_rows / sizeof sbx_rows[0];

const struct sbx_probe_def sbx_probes[] = {
  { "env-self", "Read env vars", SBX_LEAK_CANARY, true, false },
  { "proc-environ", "Read /proc/*/environ", SBX_LEAK_CANARY, true, false },
  { "proc-cmdline", "Read /proc/*/environ", SBX_LEAK_CANARY, true, true },
  { "ps-scan", "Process listing (ps)", SBX_LEAK_VISIBLE, true, false },
  { "ptrace", "Debugger attach", SBX_LEAK_CANARY, true, false },
  { "proc-mem", "Memory reading", SBX_LEAK_CANARY, true, false },
  { "vm-readv", "Memory reading", SBX_LEAK_CANARY, true, false },
  { "pidfd-getfd", "Memory reading", SBX_LEAK_CANARY, true, false },
  { "net-sniff", "Network sniffing", SBX_LEAK_CANARY, true, false },
  { "proc-root", "Filesystem access", SBX_LEAK_CANARY, true, false },
  { "fs-scan", "Filesystem access", SBX_LEAK_CANARY, true, false },
  { "mount-escape", "Filesystem access", SBX_LEAK_CANARY, true, false },
  { "ipc-sysv", "IPC (SysV shm, POSIX shm, keyrings)", SBX_LEAK_CANARY, true, false },
  { "posix-shm", "IPC (SysV shm, POSIX shm, keyrings)", SBX_LEAK_CANARY, true, false },
  { "keyring", "IPC (SysV shm, POSIX shm, keyrings)", SBX_LEAK_CANARY, true, false },
  { "net-connect", "Network services (loopback, abstract sockets)", SBX_LEAK_CANARY, true, false },
  { "unix-abstract", "Network services (loopback, abstract sockets)", SBX_LEAK_CANARY, true, false },
  { "control-plane", "Control plane (executor API)", SBX_LEAK_CANARY, true, false },
  { "signal", "Signals to platform processes", SBX_LEAK_STOPPED, true, false },
  { "path-hijack", "Path hijack of platform commands", SBX_LEAK_HIJACK, true, false },
  { "capabilities", "Capabilities of user code", SBX_LEAK_CAPS, false, false },
};
const size_t sbx_probe_count = sizeof sbx_probes / sizeof sbx_probes[0];

const struct sbx_probe_def *sbx_probe_find(const char *name)
{
  for (size_t i = 0; i < sbx_probe_count; i++)
    if (strcmp(sbx_probes[i].name, name) == 0)
      return &sbx_probes[i];
  return NULL;
}

const struct sbx_row_def *sbx_row_find(const char *name)
{
  for (size_t i = 0; i < sbx_row_count; i++)
    if (strcmp(sbx_rows[i].name, name) == 0)
      return &sbx_rows[i];
  return NULL;
}
