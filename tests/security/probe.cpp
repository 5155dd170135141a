// berth-security-probe — one escape attempt, made with raw system calls,
// for the escape test suite. It is copied into a container's rootfs (so it
// is static: a busybox tree has no C library to load) and run there:
//
//     berth-security-probe ATTEMPT [ARG...]
//
// prints "ATTEMPT: ok" and exits 0 when the attempt worked, or
// "ATTEMPT: ENAME (text)" and exits 1 when the kernel refused it; 2 is a
// usage error. Every attempt is harmless to the host even when it works:
// the sysrq write is 'h' (print help), the module is not a module, the
// reboot command only switches Ctrl-Alt-Del handling (and in a PID
// namespace the kernel refuses it), devices are read, never written.
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/reboot.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

constexpr long kKeyctlGetKeyringId = 0;      // KEYCTL_GET_KEYRING_ID
constexpr long kKeySpecSessionKeyring = -3;  // KEY_SPEC_SESSION_KEYRING

const char* errno_name(int error) {
  switch (error) {
    case EPERM:
      return "EPERM";
    case EACCES:
      return "EACCES";
    case ENOENT:
      return "ENOENT";
    case ESRCH:
      return "ESRCH";
    case EROFS:
      return "EROFS";
    case EINVAL:
      return "EINVAL";
    case ENOSYS:
      return "ENOSYS";
    case ENOEXEC:
      return "ENOEXEC";
    case EBUSY:
      return "EBUSY";
    case EEXIST:
      return "EEXIST";
    case ENODEV:
      return "ENODEV";
    default:
      return "E?";
  }
}

// The verdict: "NAME: ok" (0), or "NAME: EPERM (operation not permitted)" (1).
int report(const char* name, long result) {
  if (result >= 0) {
    std::printf("%s: ok\n", name);
    return 0;
  }
  const int error = errno;
  std::printf("%s: %s (%s)\n", name, errno_name(error), std::strerror(error));
  return 1;
}

// Reads once; an empty read (a masked file) counts as refused.
int read_some(const char* name, const char* path) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd == -1) return report(name, -1);
  std::array<char, 8192> buffer{};  // a /dev/kmsg record fits
  // O_NONBLOCK: a device such as /dev/kmsg must not make us wait.
  static_cast<void>(::fcntl(fd, F_SETFL, O_NONBLOCK));
  const ssize_t n = ::read(fd, buffer.data(), buffer.size());
  ::close(fd);
  if (n == 0) {
    std::printf("%s: empty\n", name);
    return 1;
  }
  return report(name, n);
}

int write_text(const char* name, const char* path, std::string_view text) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd == -1) return report(name, -1);
  const ssize_t n = ::write(fd, text.data(), text.size());
  ::close(fd);
  return report(name, n);
}

int attempt(std::string_view what, int argc, char** argv) {
  if (what == "mount") {
    static_cast<void>(::mkdir("/probe-mnt", 0755));  // may exist
    return report("mount", ::mount("none", "/probe-mnt", "tmpfs", 0, nullptr));
  }
  if (what == "remount-rw") {  // make the read-only /proc/sys writable again
    return report("remount-rw",
                  ::mount(nullptr, "/proc/sys", nullptr, MS_REMOUNT | MS_BIND, nullptr));
  }
  if (what == "sysrq") return write_text("sysrq", "/proc/sysrq-trigger", "h");
  if (what == "kcore") return read_some("kcore", "/proc/kcore");
  if (what == "read" && argc == 1) return read_some("read", argv[0]);
  if (what == "hostname") {
    return write_text("hostname", "/proc/sys/kernel/hostname", "berth-probe");
  }
  if (what == "init_module") {
    static const char kNotAModule[] = "not an ELF file";
    return report("init_module", ::syscall(SYS_init_module, kNotAModule, sizeof kNotAModule, ""));
  }
  if (what == "reboot") {
    return report("reboot", ::syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
                                      LINUX_REBOOT_CMD_CAD_OFF, nullptr));
  }
  if (what == "keyctl") {
    return report("keyctl", ::syscall(SYS_keyctl, kKeyctlGetKeyringId, kKeySpecSessionKeyring, 0));
  }
  if (what == "mknod-read" && argc == 3) {  // b|c MAJOR MINOR: make a node, read it
    const mode_t type = std::string_view{argv[0]} == "b" ? S_IFBLK : S_IFCHR;
    const dev_t device = makedev(static_cast<unsigned>(std::atoi(argv[1])),
                                 static_cast<unsigned>(std::atoi(argv[2])));
    static_cast<void>(::unlink("/probe-node"));
    if (::mknod("/probe-node", type | 0400, device) == -1) return report("mknod", -1);
    const int verdict = read_some("read-node", "/probe-node");
    static_cast<void>(::unlink("/probe-node"));
    return verdict;
  }
  if (what == "ptrace" && argc == 1) {  // PID; the tracee is let go when we exit
    return report("ptrace", ::ptrace(PTRACE_SEIZE, std::atoi(argv[0]), nullptr, nullptr));
  }
  if (what == "unshare-user") return report("unshare-user", ::unshare(CLONE_NEWUSER));
  if (what == "capset") {  // add CAP_SYS_ADMIN to our effective and permitted sets
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    std::array<__user_cap_data_struct, 2> data{};
    if (::syscall(SYS_capget, &header, data.data()) == -1) return report("capget", -1);
    data[0].effective |= 1U << CAP_SYS_ADMIN;
    data[0].permitted |= 1U << CAP_SYS_ADMIN;
    return report("capset", ::syscall(SYS_capset, &header, data.data()));
  }
  static_cast<void>(std::fprintf(stderr, "usage: berth-security-probe ATTEMPT [ARG...]\n"));
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return attempt("", 0, nullptr);
  return attempt(argv[1], argc - 2, argv + 2);
}
