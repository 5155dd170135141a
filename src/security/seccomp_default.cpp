// Berth's copy of Docker's default seccomp profile (moby's
// profiles/seccomp/default.json), for x86-64.
//
// It is an allow-list. Everything not named here fails with EPERM: about
// forty calls that a container has no business making (mount, reboot,
// init_module, kexec_load, keyctl, bpf, kcmp, ...) and every
// call a future kernel adds, until someone decides it is safe. The calls
// that need a capability Docker does not give by default are allowed only
// when the container has been given it (--cap-add), as Docker does.
#include <linux/sched.h>
#include <sys/capability.h>

#include <cerrno>

#include "security/seccomp.h"

namespace berth::security::seccomp {
namespace {

// The calls every container may make, with any arguments.
// clang-format off
const std::vector<std::string> kAllowed = {
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget",
    "capset", "chdir", "chmod", "chown", "clock_adjtime", "clock_getres", "clock_gettime",
    "clock_nanosleep", "close", "close_range", "connect", "copy_file_range", "creat", "dup",
    "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
    "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat",
    "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fallocate", "fanotify_mark",
    "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchownat", "fcntl", "fdatasync",
    "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstatfs",
    "fsync", "ftruncate", "futex", "futex_requeue", "futex_wait", "futex_waitv", "futex_wake",
    "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "geteuid", "getgid",
    "getgroups", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid",
    "getpriority", "getrandom", "getresgid", "getresuid", "getrlimit", "get_robust_list",
    "getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area", "gettid",
    "gettimeofday", "getuid", "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1",
    "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents", "io_pgetevents",
    "ioprio_get", "ioprio_set", "io_setup", "io_submit", "ipc", "kill", "landlock_add_rule",
    "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lgetxattr", "link", "linkat",
    "listen", "listxattr", "llistxattr", "lremovexattr", "lseek", "lsetxattr", "lstat", "madvise",
    "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir",
    "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mprotect",
    "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedsend", "mq_unlink",
    "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap",
    "name_to_handle_at", "nanosleep", "newfstatat", "open", "openat", "openat2", "pause",
    "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect",
    "poll", "ppoll", "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease",
    "pselect6", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat",
    "readv", "recvfrom", "recvmmsg", "recvmsg", "remap_file_pages", "removexattr", "rename",
    "renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
    "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
    "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr", "sched_getparam",
    "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
    "sched_rr_get_interval", "sched_setaffinity", "sched_setattr", "sched_setparam",
    "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget", "semop",
    "semtimedop", "sendfile", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsuid", "setgid",
    "setgroups", "setitimer", "setpgid", "setpriority", "setregid", "setresgid", "setresuid",
    "setreuid", "setrlimit", "set_robust_list", "setsid", "setsockopt", "set_thread_area",
    "set_tid_address", "setuid", "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown",
    "sigaltstack", "signalfd", "signalfd4", "socketpair", "splice", "stat", "statfs", "statx",
    "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill",
    "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime", "timer_settime",
    "timerfd_create", "timerfd_gettime", "timerfd_settime", "times", "tkill", "truncate", "umask",
    "uname", "unlink", "unlinkat", "utime", "utimensat", "utimes", "vfork", "vmsplice", "wait4",
    "waitid", "write", "writev",
    // x86-64 only
    "arch_prctl", "modify_ldt",
};
// clang-format on

// The namespace flags of clone(2): Docker allows clone only without them,
// so that a container cannot make namespaces (above all a user namespace,
// which needs no capability and opens much of the kernel to root-in-userns).
constexpr std::uint64_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
                                          CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
                                          CLONE_NEWCGROUP;

Rule allow(std::vector<std::string> names, std::vector<ArgCondition> args = {}) {
  Rule rule;
  rule.names = std::move(names);
  rule.args = std::move(args);
  return rule;
}

// A condition on the first argument: arg0 OP value.
ArgCondition arg0(Compare op, std::uint64_t value) {
  ArgCondition condition;
  condition.op = op;
  condition.value = value;
  return condition;
}

Rule with_cap(Capability cap, std::vector<std::string> names) {
  Rule rule = allow(std::move(names));
  rule.includes_caps = {cap};
  return rule;
}

}  // namespace

Profile default_profile() {
  // #region default-profile
  Profile profile;  // default action: SCMP_ACT_ERRNO with EPERM
  profile.rules.push_back(allow(kAllowed));
  // socket: any family but AF_VSOCK (40), a way to talk to the hypervisor.
  profile.rules.push_back(allow({"socket"}, {arg0(Compare::ne, 40)}));
  // personality: only the harmless personas (Linux, UNAME26, 32-bit
  // addresses, and the query 0xffffffff), never READ_IMPLIES_EXEC and the
  // like, which switch off protections such as ASLR.
  for (const std::uint64_t persona : {0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL}) {
    profile.rules.push_back(allow({"personality"}, {arg0(Compare::eq, persona)}));
  }
  // clone: only when (flags & namespace flags) == 0; with CAP_SYS_ADMIN, any.
  ArgCondition no_namespaces = arg0(Compare::masked_eq, kNamespaceFlags);
  no_namespaces.value_two = 0;
  Rule clone = allow({"clone"}, {no_namespaces});
  clone.excludes_caps = {CAP_SYS_ADMIN};
  profile.rules.push_back(clone);
  // clone3 passes its flags in memory, where a seccomp filter cannot look.
  // ENOSYS ("no such call") makes the C library fall back to clone(2),
  // whose flags the rule above can check.
  Rule clone3 = allow({"clone3"});
  clone3.action = Action::errno_code;
  clone3.errno_ret = ENOSYS;
  clone3.excludes_caps = {CAP_SYS_ADMIN};
  profile.rules.push_back(clone3);
  // ptrace and friends, on kernels >= 4.8 where seccomp cannot be bypassed
  // through ptrace; who may be traced is still up to CAP_SYS_PTRACE.
  profile.rules.push_back(allow({"ptrace", "process_vm_readv", "process_vm_writev"}));
  // #endregion default-profile
  // Calls that are safe once the container holds the capability they need.
  profile.rules.push_back(
      with_cap(CAP_SYS_ADMIN,
               {"bpf",           "clone",         "clone3",      "fanotify_init",   "fsconfig",
                "fsmount",       "fsopen",        "fspick",      "lookup_dcookie",  "mount",
                "mount_setattr", "move_mount",    "open_tree",   "perf_event_open", "quotactl",
                "quotactl_fd",   "setdomainname", "sethostname", "setns",           "syslog",
                "umount",        "umount2",       "unshare"}));
  profile.rules.push_back(with_cap(CAP_SYS_BOOT, {"reboot"}));
  profile.rules.push_back(with_cap(CAP_SYS_CHROOT, {"chroot"}));
  profile.rules.push_back(
      with_cap(CAP_SYS_MODULE, {"delete_module", "init_module", "finit_module"}));
  profile.rules.push_back(with_cap(CAP_SYS_PACCT, {"acct"}));
  profile.rules.push_back(with_cap(CAP_SYS_PTRACE, {"kcmp", "pidfd_getfd", "process_madvise"}));
  profile.rules.push_back(with_cap(CAP_SYS_RAWIO, {"iopl", "ioperm"}));
  profile.rules.push_back(with_cap(CAP_SYS_TIME, {"settimeofday", "stime", "clock_settime"}));
  profile.rules.push_back(with_cap(CAP_SYS_TTY_CONFIG, {"vhangup"}));
  profile.rules.push_back(with_cap(
      CAP_SYS_NICE, {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}));
  profile.rules.push_back(with_cap(CAP_SYSLOG, {"syslog"}));
  profile.rules.push_back(with_cap(CAP_DAC_READ_SEARCH, {"open_by_handle_at"}));
  profile.rules.push_back(with_cap(CAP_BPF, {"bpf"}));
  profile.rules.push_back(with_cap(CAP_PERFMON, {"perf_event_open"}));
  return profile;
}

}  // namespace berth::security::seccomp
