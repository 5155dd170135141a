// The escape test suite: from inside a default berth-ch05 container, each
// classic way out of a container is tried and must fail with the error the
// layer that stops it gives. Each is tried again with --privileged, where it
// must get through (or reach the kernel and fail for a harmless reason),
// which proves the test can fail and that the default's layers are what
// stops it. Every attempt is harmless to the host even when it works.
#include "escape.h"

#include <unistd.h>

#include <fstream>

#include <catch2/catch.hpp>

using namespace berth::test;
using namespace berth::test::security;

namespace {

const std::vector<std::string> kDefault = {};
const std::vector<std::string> kPrivileged = {"--privileged"};

// Whether this test process can open and read `path` (a host device).
bool can_read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char byte = 0;
  return static_cast<bool>(in.read(&byte, 1));
}

constexpr const char* kEperm = "EPERM (Operation not permitted)";

// The probe's verdict line, e.g. "mount: EPERM (Operation not permitted)".
std::string verdict(const std::string& name, const std::string& what) {
  return name + ": " + what + "\n";
}

}  // namespace

TEST_CASE("mounting a filesystem fails with EPERM", "[escape]") {
  Sandbox box;
  CHECK(attempt(box, kDefault, {"mount"}).out == verdict("mount", kEperm));
  CHECK(attempt(box, kPrivileged, {"mount"}).out == verdict("mount", "ok"));
}

TEST_CASE("remounting read-only /proc/sys read-write fails with EPERM", "[escape]") {
  Sandbox box;
  CHECK(attempt(box, kDefault, {"remount-rw"}).out == verdict("remount-rw", kEperm));
  // Privileged, /proc/sys is no mount of its own: the kernel's mount code
  // is reached, and says so.
  CHECK(attempt(box, kPrivileged, {"remount-rw"}).out ==
        verdict("remount-rw", "EINVAL (Invalid argument)"));
}

TEST_CASE("the host's hostname cannot be changed through /proc/sys/kernel/hostname", "[escape]") {
  Sandbox box;
  const std::string host_before = read_file("/proc/sys/kernel/hostname");
  CHECK(attempt(box, kDefault, {"hostname"}).out ==
        verdict("hostname", "EROFS (Read-only file system)"));
  // Privileged it works, on the container's own UTS namespace only.
  const auto privileged =
      sh(box, kPrivileged, "berth-security-probe hostname; cat /proc/sys/kernel/hostname");
  CHECK(privileged.out == "hostname: ok\nberth-probe\n");
  CHECK(read_file("/proc/sys/kernel/hostname") == host_before);
}

TEST_CASE("writing /proc/sysrq-trigger fails: it is read-only", "[escape]") {
  if (!fs::exists("/proc/sysrq-trigger")) {
    WARN("this kernel has no /proc/sysrq-trigger (CONFIG_MAGIC_SYSRQ is off)");
    return;
  }
  Sandbox box;
  CHECK(attempt(box, kDefault, {"sysrq"}).out == verdict("sysrq", "EROFS (Read-only file system)"));
  // 'h' only prints the sysrq help to the kernel log.
  CHECK(attempt(box, kPrivileged, {"sysrq"}).out == verdict("sysrq", "ok"));
}

TEST_CASE("reading a masked /proc file gives nothing: /proc/kcore, /proc/timer_list", "[escape]") {
  Sandbox box;
  if (fs::exists("/proc/kcore")) {
    CHECK(attempt(box, kDefault, {"kcore"}).out == verdict("kcore", "empty"));
    CHECK(attempt(box, kPrivileged, {"kcore"}).out == verdict("kcore", "ok"));
  } else {
    WARN("this kernel has no /proc/kcore; /proc/timer_list is masked the same way");
  }
  CHECK(attempt(box, kDefault, {"read", "/proc/timer_list"}).out == verdict("read", "empty"));
  CHECK(attempt(box, kPrivileged, {"read", "/proc/timer_list"}).out == verdict("read", "ok"));
}

TEST_CASE("loading a kernel module fails with EPERM", "[escape]") {
  Sandbox box;
  CHECK(attempt(box, kDefault, {"init_module"}).out == verdict("init_module", kEperm));
  // Privileged, the kernel reads the "module" and finds it is not one.
  const auto privileged = attempt(box, kPrivileged, {"init_module"});
  CHECK(privileged.exit_code == 1);
  CHECK(privileged.out.find("EPERM") == std::string::npos);
}

TEST_CASE("reboot fails with EPERM", "[escape]") {
  Sandbox box;
  CHECK(attempt(box, kDefault, {"reboot"}).out == verdict("reboot", kEperm));
  // Privileged, in a PID namespace, reboot(2) only concerns the container;
  // the harmless LINUX_REBOOT_CMD_CAD_OFF is refused there as invalid.
  CHECK(attempt(box, kPrivileged, {"reboot"}).out ==
        verdict("reboot", "EINVAL (Invalid argument)"));
}

TEST_CASE("keyctl fails with EPERM", "[escape]") {
  Sandbox box;
  CHECK(attempt(box, kDefault, {"keyctl"}).out == verdict("keyctl", kEperm));
  CHECK(attempt(box, kPrivileged, {"keyctl"}).out == verdict("keyctl", "ok"));
}

TEST_CASE("a node for the host's disk can be made but not opened: EPERM", "[escape]") {
  const auto disk = host_disk();
  REQUIRE(disk.size() == 2);
  Sandbox box;
  // mknod is allowed (CAP_MKNOD, "b *:* m"); opening the node is not.
  CHECK(attempt(box, kDefault, {"mknod-read", "b", disk[0], disk[1]}).out ==
        verdict("read-node", kEperm));
  if (!can_read("/dev/block/" + disk[0] + ":" + disk[1])) {
    WARN("the host itself may not read its disk here; no --privileged control");
    return;
  }
  // Privileged, the start of the host's disk is read (and only read).
  CHECK(attempt(box, kPrivileged, {"mknod-read", "b", disk[0], disk[1]}).out ==
        verdict("read-node", "ok"));
}

TEST_CASE("a device node outside the default set cannot be opened: EPERM", "[escape]") {
  Sandbox box;
  // /dev/kmsg, c 1:11: the kernel's log, read without waiting.
  CHECK(attempt(box, kDefault, {"mknod-read", "c", "1", "11"}).out == verdict("read-node", kEperm));
  CHECK(attempt(box, kPrivileged, {"mknod-read", "c", "1", "11"}).out ==
        verdict("read-node", "ok"));
}

TEST_CASE("the container's init cannot be traced or opened: /proc/1/exe is berth's binary",
          "[escape]") {
  Sandbox box;
  CHECK(attempt(box, kDefault, {"ptrace", "1"}).out == verdict("ptrace", kEperm));
  CHECK(attempt(box, kDefault, {"read", "/proc/1/exe"}).out ==
        verdict("read", "EACCES (Permission denied)"));
  // Privileged, CAP_SYS_PTRACE opens both.
  CHECK(attempt(box, kPrivileged, {"ptrace", "1"}).out == verdict("ptrace", "ok"));
  CHECK(attempt(box, kPrivileged, {"read", "/proc/1/exe"}).out == verdict("read", "ok"));
}

TEST_CASE("no process outside the container can be traced: ESRCH", "[escape]") {
  Sandbox box;
  // Our own pid, a process outside: not even visible in the PID namespace.
  const std::string outside = std::to_string(::getpid());
  CHECK(attempt(box, kDefault, {"ptrace", outside}).out ==
        verdict("ptrace", "ESRCH (No such process)"));
  // Privileged too: the PID namespace, not a privilege, hides the host's
  // processes.
  CHECK(attempt(box, kPrivileged, {"ptrace", outside}).out ==
        verdict("ptrace", "ESRCH (No such process)"));
}

TEST_CASE("unsharing a new user namespace fails with EPERM", "[escape]") {
  Sandbox box;
  CHECK(attempt(box, kDefault, {"unshare-user"}).out == verdict("unshare-user", kEperm));
  CHECK(attempt(box, kPrivileged, {"unshare-user"}).out == verdict("unshare-user", "ok"));
}

TEST_CASE("raising a dropped capability with capset fails with EPERM", "[escape]") {
  Sandbox box;
  CHECK(attempt(box, kDefault, {"capset"}).out == verdict("capset", kEperm));
  CHECK(attempt(box, kPrivileged, {"capset"}).out == verdict("capset", "ok"));
}

TEST_CASE("the chroot escape finds nothing to escape to", "[escape]") {
  Sandbox box;
  fs::copy_file(bin("berth-chroot-escape"), box.rootfs / "bin" / "berth-chroot-escape");
  const fs::path marker = box.tmp / "marker";
  std::ofstream(marker) << "outside\n";
  const auto inside =
      sh(box, kDefault, "berth-chroot-escape " + marker.string() + "; echo exit $?");
  CHECK(inside.out.find("still inside") != std::string::npos);
  CHECK(inside.out.find(marker.string() + " is not visible") != std::string::npos);
  // pivot_root is what stops it: with chroot as the root switch, even
  // --privileged aside, the same program gets out.
  const auto escaped = sh(box, {"--privileged", "--chroot"},
                          "berth-chroot-escape " + marker.string() + "; echo exit $?");
  CHECK(escaped.out.find(marker.string() + " is visible") != std::string::npos);
}
