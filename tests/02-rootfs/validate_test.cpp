// A rootfs that cannot be one is refused before anything starts, with the
// path in the message and docker's exit code for an engine error, 125.
#include <catch2/catch.hpp>

#include "ch02.h"

using namespace berth::test;
using namespace berth::test::ch02;

namespace {

void check_refused(const fs::path& rootfs, const std::string& why) {
  const auto result = run_ch02(rootfs, {}, {"/bin/sh", "-c", "true"});
  CHECK(result.exit_code == 125);
  CHECK(result.err == "berth-ch02: rootfs " + rootfs.string() + ": " + why + "\n");
}

}  // namespace

TEST_CASE("a missing rootfs is refused with exit code 125, naming the path", "[rootfs][validate]") {
  TempDir tmp;
  check_refused(tmp / "no-such-rootfs", "no such file or directory");
}

TEST_CASE("an empty rootfs is refused with exit code 125, naming the path", "[rootfs][validate]") {
  TempDir tmp;
  fs::create_directory(tmp / "empty");
  check_refused(tmp / "empty", "is empty");
}

TEST_CASE("a rootfs that is not a directory is refused with exit code 125", "[rootfs][validate]") {
  TempDir tmp;
  write_text(tmp / "file", "not a directory\n");
  check_refused(tmp / "file", "not a directory");
}
