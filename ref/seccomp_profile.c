/* The seccomp profile of user code: one table, each entry with its reason.
 * It is at least as strict as Docker's default profile for a container
 * without CAP_SYS_ADMIN or CAP_SYS_PTRACE, plus io_uring and the new mount
 * API. It is a deny list (Docker's is an allow list): what it adds over the
 * namespaces is a smaller kernel surface, so the entries are the interfaces
 * that kernel exploits start from. Names are resolved on the running
 * architecture; a syscall this architecture lacks is skipped. Calls from
 * another architecture's syscall table kill the process (libseccomp's bad-arch
 * default), so i386 or x32 numbers cannot go around the list. */
#include <errno.h>
#include <linux/personality.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/socket.h>

#include "seccomp_profile.h"

/* Every flag that makes a new namespace: on unshare and clone they are denied. */
static const unsigned long namespace_flags[] = {
  CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWTIME,
};

const struct sbx_seccomp_entry sbx_seccomp_user_profile[] = {
  /* Namespaces: a new user namespace gives CAP_SYS_ADMIN over fresh
   * namespaces, the first step of many kernel exploits. clone/unshare with a
   * namespace flag are denied below by argument. */
  { "setns", EPERM, "joining namespaces: user code has its own and needs no other" },
  { "clone3", ENOSYS, "its flags live in memory a filter cannot read; ENOSYS makes libc fall back to clone" },
  /* Kernel keyrings are not namespaced: keys of one uid are reachable from every namespace. */
  { "keyctl", EPERM, "kernel keyrings are not namespaced" },
  { "add_key", EPERM, "kernel keyrings are not namespaced" },
  { "request_key", EPERM, "kernel keyrings are not namespaced" },
  /* io_uring: a large, fast-moving attack surface (Docker and containerd deny it since 2023). */
  { "io_uring_setup", EPERM, "io_uring: a large attack surface, source of many kernel CVEs" },
  { "io_uring_enter", EPERM, "io_uring: a large attack surface, source of many kernel CVEs" },
  { "io_uring_register", EPERM, "io_uring: a large attack surface, source of many kernel CVEs" },
  { "userfaultfd", EPERM, "stalls kernel page faults: a classic race-widening primitive in exploits" },
  { "bpf", EPERM, "loads programs into the kernel" },
  { "perf_event_open", EPERM, "kernel profiling: leaks kernel addresses, a frequent exploit target" },
  /* Modules and kexec change the running kernel. */
  { "init_module", EPERM, "loads a kernel module" },
  { "finit_module", EPERM, "loads a kernel module" },
  { "delete_module", EPERM, "unloads a kernel module" },
  { "create_module", EPERM, "obsolete module interface" },
  { "get_kernel_syms", EPERM, "obsolete module interface" },
  { "query_module", EPERM, "obsolete module interface" },
  { "kexec_load", EPERM, "replaces the running kernel" },
  { "kexec_file_load", EPERM, "replaces the running kernel" },
  /* The mount family: user code's view of the filesystem is fixed. */
  { "mount", EPERM, "changes the filesystem view" },
  { "umount", EPERM, "changes the filesystem view" },
  { "umount2", EPERM, "changes the filesystem view" },
  { "pivot_root", EPERM, "changes the filesystem view" },
  { "fsopen", EPERM, "new mount API: changes the filesystem view" },
  { "fsconfig", EPERM, "new mount API: changes the filesystem view" },
  { "fsmount", EPERM, "new mount API: changes the filesystem view" },
  { "fspick", EPERM, "new mount API: changes the filesystem view" },
  { "move_mount", EPERM, "new mount API: changes the filesystem view" },
  { "open_tree", EPERM, "new mount API: clones mounts" },
  { "mount_setattr", EPERM, "new mount API: changes mount flags" },
  /* File handles bypass path-based access checks (the "shocker" escape). */
  { "open_by_handle_at", EPERM, "opens files by handle, around path checks" },
  { "name_to_handle_at", EPERM, "makes the handles open_by_handle_at needs" },
  /* Host-wide state that is not namespaced. */
  { "acct", EPERM, "process accounting is host-wide" },
  { "swapon", EPERM, "host-wide swap" },
  { "swapoff", EPERM, "host-wide swap" },
  { "reboot", EPERM, "host-wide" },
  { "quotactl", EPERM, "host-wide quotas" },
  { "settimeofday", EPERM, "the clock is not namespaced" },
  { "clock_settime", EPERM, "the clock is not namespaced" },
  { "clock_adjtime", EPERM, "the clock is not namespaced" },
  { "adjtimex", EPERM, "the clock is not namespaced" },
  { "stime", EPERM, "the clock is not namespaced" },
  { "syslog", EPERM, "the kernel log leaks kernel addresses" },
  { "lookup_dcookie", EPERM, "kernel profiling interface" },
  { "nfsservctl", EPERM, "obsolete kernel NFS server interface" },
  { "sysfs", EPERM, "obsolete" },
  { "_sysctl", EPERM, "obsolete" },
  { "uselib", EPERM, "obsolete" },
  { "ustat", EPERM, "obsolete" },
  { "ioperm", EPERM, "raw I/O ports" },
  { "iopl", EPERM, "raw I/O ports" },
  { "vm86", EPERM, "legacy x86 mode" },
  { "vm86old", EPERM, "legacy x86 mode" },
  /* NUMA policy syscalls: Docker denies them without CAP_SYS_NICE. */
  { "mbind", EPERM, "NUMA policy, denied by Docker without CAP_SYS_NICE" },
  { "set_mempolicy", EPERM, "NUMA policy, denied by Docker without CAP_SYS_NICE" },
  { "get_mempolicy", EPERM, "NUMA policy, denied by Docker without CAP_SYS_NICE" },
  { "move_pages", EPERM, "NUMA policy, denied by Docker without CAP_SYS_NICE" },
  /* Other processes' state beyond ptrace: Docker denies these without CAP_SYS_PTRACE. */
  { "kcmp", EPERM, "compares kernel objects of other processes" },
  { "pidfd_getfd", EPERM, "copies another process's fds" },
  { "process_madvise", EPERM, "acts on another process's memory" },
};
const size_t sbx_seccomp_user_profile_count = sizeof sbx_seccomp_user_profile / sizeof sbx_seccomp_user_profile[0];

static int add_namespace_rules(scmp_filter_ctx ctx)
{
  int r = 0;

  for (size_t i = 0; r == 0 && i < sizeof namespace_flags / sizeof namespace_flags[0]; i++)
    {
      r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
                           SCMP_A0(SCMP_CMP_MASKED_EQ, namespace_flags[i], namespace_flags[i]));
      if (r == 0)
        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                             SCMP_A0(SCMP_CMP_MASKED_EQ, namespace_flags[i], namespace_flags[i]));
    }
  return r;
}

static int add_personality_rule(scmp_filter_ctx ctx)
{
  /* Docker allows a few values; a deny list denies the flags that weaken
   * exploit mitigations instead. Bit 31 is in the mask so that the query
   * value 0xffffffff (all bits set), which libc uses to read, never matches. */
  static const unsigned long weakening[] = { READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE, ADDR_COMPAT_LAYOUT, MMAP_PAGE_ZERO };
  int r = 0;

  for (size_t i = 0; r == 0 && i < sizeof weakening / sizeof weakening[0]; i++)
    r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(personality), 1,
                         SCMP_A0(SCMP_CMP_MASKED_EQ, weakening[i] | 0x80000000UL, weakening[i]));
  return r;
}

int sbx_seccomp_profile_add(scmp_filter_ctx ctx)
{
  int r = 0;

  for (size_t i = 0; r == 0 && i < sbx_seccomp_user_profile_count; i++)
    {
      const struct sbx_seccomp_entry *e = &sbx_seccomp_user_profile[i];
      int nr = seccomp_syscall_resolve_name(e->name);
      if (nr == __NR_SCMP_ERROR || nr < 0)
        continue; /* not a syscall of this architecture */
      r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(e->errno_), nr, 0);
    }
  if (r == 0)
    r = add_namespace_rules(ctx);
  if (r == 0)
    r = add_personality_rule(ctx);
  return r;
}

int sbx_seccomp_profile_add_fallback(scmp_filter_ctx ctx)
{
  return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
}

int sbx_seccomp_namespace_rules_add(scmp_filter_ctx ctx, bool setns_too)
{
  int r = add_namespace_rules(ctx);

  if (r == 0 && setns_too)
    r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(setns), 0);
  if (r == 0)
    r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  return r;
}
