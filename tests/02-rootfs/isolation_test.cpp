// What the container cannot touch: the host's mounts, the host's hostname,
// and the host's mount table after the container is gone.
#include <sys/mount.h>
#include <unistd.h>

#include <set>

#include <catch2/catch.hpp>

#include "ch02.h"

using namespace berth::test;
using namespace berth::test::ch02;

namespace {

std::string hostname() {
  char name[256] = {};
  REQUIRE(::gethostname(name, sizeof name - 1) == 0);
  return name;
}

// A tmpfs mounted with shared propagation, as systemd mounts everything on
// a host: a container started below it that forgot to make its mounts
// private would mount into this namespace too. Unmounted (with anything
// that propagated into it) when the test ends.
class SharedTmpfs {
 public:
  explicit SharedTmpfs(const fs::path& where) : where_(where) {
    fs::create_directory(where_);
    REQUIRE(::mount("tmpfs", where_.c_str(), "tmpfs", 0, nullptr) == 0);
    REQUIRE(::mount(nullptr, where_.c_str(), nullptr, MS_SHARED, nullptr) == 0);
  }
  ~SharedTmpfs() { ::umount2(where_.c_str(), MNT_DETACH); }
  SharedTmpfs(const SharedTmpfs&) = delete;
  SharedTmpfs& operator=(const SharedTmpfs&) = delete;

 private:
  fs::path where_;
};

}  // namespace

TEST_CASE("pivot_root detaches the host's mounts: only the container's are left",
          "[rootfs][pivot]") {
  Sandbox box;
  const auto result = sh(box.rootfs, {"--pivot"}, "cat /proc/self/mountinfo");
  REQUIRE(result.exit_code == 0);
  std::set<std::string> mount_points;
  for (const auto& entry : parse_mountinfo(result.out)) {
    mount_points.insert(entry.mount_point);
  }
  CHECK(mount_points ==
        std::set<std::string>{"/", "/proc", "/sys", "/dev", "/dev/pts", "/dev/shm", "/tmp"});
}

TEST_CASE("a hostname given with --hostname is the container's alone, the host's is unchanged",
          "[rootfs][uts]") {
  Sandbox box;
  const std::string host_before = hostname();
  const auto result = run_ch02(box.rootfs, {"--hostname", "berth-box"}, {"hostname"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "berth-box\n");
  CHECK(hostname() == host_before);
  CHECK(host_before != "berth-box");
}

TEST_CASE("no mount is left under the rootfs after the container exits", "[rootfs][cleanup]") {
  Sandbox box;
  for (const char* how : {"--pivot", "--chroot"}) {
    INFO(how);
    CHECK(sh(box.rootfs, {how}, "ls /proc/1 >/dev/null").exit_code == 0);
    CHECK(mounts_under(box.rootfs).empty());
  }
}

TEST_CASE("the container's mounts never propagate back, even under a shared mount",
          "[rootfs][propagation]") {
  TempDir tmp;
  const SharedTmpfs shared(tmp / "shared");
  const fs::path rootfs = copy_busybox_rootfs(tmp / "shared" / "rootfs");
  for (const char* how : {"--pivot", "--chroot"}) {
    INFO(how);
    const auto result = sh(rootfs, {how}, "cat /proc/self/mountinfo");
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("shared:") == std::string::npos);
    CHECK(mounts_under(rootfs).empty());
  }
}

TEST_CASE("the exit code is the command's, 127 when not found, 126 when it cannot run",
          "[rootfs][exit]") {
  Sandbox box;
  CHECK(sh(box.rootfs, {}, "exit 7").exit_code == 7);
  // Looked up in the container's PATH, in the container's tree.
  CHECK(run_ch02(box.rootfs, {}, {"true"}).exit_code == 0);

  const auto missing = run_ch02(box.rootfs, {}, {"no-such-command"});
  CHECK(missing.exit_code == 127);
  CHECK(missing.err.find("no-such-command") != std::string::npos);
  // Only inside the container: the host's programs are not there.
  CHECK(run_ch02(box.rootfs, {}, {fs::canonical("/proc/self/exe").string()}).exit_code == 127);

  const auto not_executable = run_ch02(box.rootfs, {}, {"/etc/passwd"});
  CHECK(not_executable.exit_code == 126);
  CHECK(not_executable.err.find("/etc/passwd") != std::string::npos);
}
