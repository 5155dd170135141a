// The "aha" of chapter 02: the classic chroot escape gets a root process out
// of a chroot, and finds nothing to escape to after pivot_root.
#include <catch2/catch.hpp>

#include "ch02.h"

using namespace berth::test;
using namespace berth::test::ch02;

namespace {

// A sandbox with the escape program inside the rootfs and a marker file
// next to (outside) it, which only an escaped process can see.
struct EscapeSandbox : Sandbox {
  EscapeSandbox() {
    fs::copy_file(bin("berth-chroot-escape"), rootfs / "bin" / "berth-chroot-escape");
    write_text(marker, "outside the container\n");
  }
  fs::path marker = tmp / "marker";
};

}  // namespace

TEST_CASE("chroot is escapable: the escape reaches the host's files", "[rootfs][escape]") {
  EscapeSandbox box;
  const auto result =
      run_ch02(box.rootfs, {"--chroot"}, {"/bin/berth-chroot-escape", box.marker.string()});
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("escaped") != std::string::npos);
  CHECK(result.out.find(box.marker.string() + " is visible") != std::string::npos);
}

TEST_CASE("pivot_root is not escapable: the escape stays inside", "[rootfs][escape][pivot]") {
  EscapeSandbox box;
  const auto result =
      run_ch02(box.rootfs, {"--pivot"}, {"/bin/berth-chroot-escape", box.marker.string()});
  CHECK(result.exit_code == 1);
  CHECK(result.out.find("still inside") != std::string::npos);
  CHECK(result.out.find(box.marker.string() + " is not visible") != std::string::npos);
}
