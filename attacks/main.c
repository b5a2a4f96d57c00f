/* splitbox-probe NAME [--marker M] [--shared DIR]: one attack, run as user
 * code inside the backend under test; one JSON document on stdout.
 * splitbox-probe --list: every probe, its table row and its technique. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "probe.h"
#include "report.h"

const struct probe_def probe_defs[] = {
  { "env-self", "Read env vars", "own environment, the parent's, and inherited fds", true, probe_env_self },
  { "proc-environ", "Read /proc/*/environ", "read /proc/*/environ", true, probe_proc_environ },
  { "proc-cmdline", "Read /proc/*/environ", "read /proc/*/cmdline (secrets passed in argv)", true,
    probe_proc_cmdline },
  { "ps-scan", "Process listing (ps)", "readdir /proc, and a kill(pid, 0)/getpgid oracle over the pid range", true,
    probe_ps_scan },
  { "ptrace", "Debugger attach", "PTRACE_SEIZE marker processes, PEEKDATA over stack and heap", true, probe_ptrace },
  { "proc-mem", "Memory reading", "read /proc/PID/mem over the victim's writable mappings", true, probe_proc_mem },
  { "vm-readv", "Memory reading", "process_vm_readv over the victim's writable mappings", true, probe_vm_readv },
  { "pidfd-getfd", "Memory reading", "pidfd_open + pidfd_getfd to steal the victim's fds, then read them", true,
    probe_pidfd_getfd },
  { "proc-root", "Filesystem access", "read through /proc/PID/root, /proc/PID/cwd and /proc/PID/fd/*", true,
    probe_proc_root },
  { "fs-scan", "Filesystem access", "search readable paths (/platform, /tmp, /dev/shm, /app, /root, ...) for tokens",
    true, probe_fs_scan },
  { "ipc-sysv", "IPC: shared memory and keys", "SysV shm: /proc/sysvipc/shm and SHM_STAT, attach and read", true,
    probe_ipc_sysv },
  { "posix-shm", "IPC: shared memory and keys", "read /dev/shm/*", true, probe_posix_shm },
  { "keyring", "IPC: shared memory and keys", "/proc/keys, then keyctl read of user, session and found keys", true,
    probe_keyring },
  { "net-sniff", "Network sniffing", "AF_PACKET raw socket on every interface for about 1 s", true,
    probe_net_sniff },
  { "net-connect", "Network services", "connect to loopback TCP listeners from /proc/net/tcp{,6} and read", true,
    probe_net_connect },
  { "unix-abstract", "Network services", "connect to abstract unix sockets from /proc/net/unix and read", true,
    probe_unix_abstract },
  { "mount-escape", "Filesystem access", "mount, unshare+mount, setns into the victim, open_by_handle_at, chroot",
    true, probe_mount_escape },
  { "control-plane", "Control plane", "find the executor's endpoints and ask them for a platform execute", true,
    probe_control_plane },
  { "signal", "Integrity: signals", "SIGSTOP/SIGCONT the victim", false, probe_signal },
  { "path-hijack", "Path hijack", "plant zip, aws, git, sh, env in the shared dir for a platform command", false,
    probe_path_hijack },
  { "capabilities", "Capabilities", "capability sets, uid map, no_new_privs and seccomp mode", false,
    probe_capabilities },
};
const size_t probe_count = sizeof probe_defs / sizeof probe_defs[0];

const char *probe_shared_dir = "/app";

static int list(void)
{
  for (size_t i = 0; i < probe_count; i++)
    printf("%-14s %-28s %s%s\n", probe_defs[i].name, probe_defs[i].row, probe_defs[i].technique,
           probe_defs[i].confidentiality ? "" : " (integrity/information)");
  return 0;
}

int main(int argc, char **argv)
{
  static const struct option opts[] = {
    { "marker", required_argument, NULL, 'm' }, { "shared", required_argument, NULL, 's' },
    { "list", no_argument, NULL, 'l' },         { NULL, 0, NULL, 0 },
  };
  struct probe p = { 0 };
  const struct probe_def *def = NULL;
  int c;

  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
    switch (c)
      {
      case 'm': p.marker = optarg; break;
      case 's': probe_shared_dir = optarg; break;
      case 'l': return list();
      default:
        fprintf(stderr, "usage: splitbox-probe NAME [--marker M] [--shared DIR] | --list\n");
        return 2;
      }
  for (size_t i = 0; optind < argc && i < probe_count; i++)
    if (strcmp(argv[optind], probe_defs[i].name) == 0)
      def = &probe_defs[i];
  if (def == NULL)
    {
      fprintf(stderr, "splitbox-probe: unknown probe \"%s\"; see --list\n", optind < argc ? argv[optind] : "");
      return 2;
    }
  probe_find_targets(&p);
  def->run(&p);
  if (!p.unsupported && report_all_unsupported(p.unsupported_why, sizeof p.unsupported_why))
    p.unsupported = true;
  report_print(stdout, def->name, &p, p.unsupported ? "unsupported" : "ran", NULL);
  return 0;
}
