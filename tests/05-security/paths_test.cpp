// Masked and read-only paths, applied in a child with a mount namespace of
// its own (and a UTS namespace, so that even a failed test could only
// change a hostname of its own).
#include <sched.h>
#include <sys/mount.h>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "observe.h"
#include "security/security.h"

using namespace berth;
using namespace berth::test::ch05;

namespace {

constexpr int kPrivateNamespaces = CLONE_NEWNS | CLONE_NEWUTS;

void private_mounts() {
  check(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), "make / private");
}

}  // namespace

TEST_CASE("masked files read as empty, masked directories are empty", "[paths]") {
  const auto result = observe_sh(
      [] {
        private_mounts();
        security::mask_paths(security::default_masked_paths());
      },
      "wc -c < /proc/timer_list; ls -A /sys/firmware | wc -l; grep -c timer_list "
      "/proc/self/mountinfo",
      kPrivateNamespaces);
  CHECK(result.out == "0\n0\n1\n");
}

TEST_CASE("without masking, /proc/timer_list and /sys/firmware have content", "[paths]") {
  // The control for the test above. (Not /proc/kcore: not every kernel has it.)
  const auto result =
      observe_sh(private_mounts, "head -c 4 /proc/timer_list | wc -c; ls -A /sys/firmware | wc -l",
                 kPrivateNamespaces);
  CHECK(result.out != "0\n0\n");
  CHECK(result.out.starts_with("4\n"));
}

TEST_CASE("read-only paths can be read but not written", "[paths]") {
  const auto result = observe_sh(
      [] {
        private_mounts();
        security::make_paths_readonly(security::default_readonly_paths());
      },
      "cat /proc/sys/kernel/ostype; echo berth-test > /proc/sys/kernel/hostname; "
      "grep -E ' /proc/(sys|bus) ' /proc/self/mountinfo | cut -d' ' -f5,6",
      kPrivateNamespaces);
  CHECK(result.out.starts_with("Linux\n"));
  CHECK(result.out.find("/proc/sys/kernel/hostname: Read-only file system") != std::string::npos);
  // Read-only, keeping the flags the proc mount has (as runc does).
  CHECK(result.out.find("/proc/bus ro") != std::string::npos);
  CHECK(result.out.find("/proc/sys ro") != std::string::npos);
}

TEST_CASE("a path that does not exist is skipped", "[paths]") {
  const auto result = observe(
      [] {
        private_mounts();
        security::mask_paths({"/proc/no-such-file"});
        security::make_paths_readonly({"/proc/no-such-dir"});
      },
      {"true"}, kPrivateNamespaces);
  CHECK(result.exit_code == 0);
}
