// berth-ch03's command line: its errors and exit codes.
#include <catch2/catch.hpp>

#include "ch03.h"

using namespace berth::test;
using namespace berth::test::ch03;

TEST_CASE("an unknown --ns name is refused with exit code 125, naming it", "[ns][cli]") {
  Sandbox box;
  const auto result = run_ch03(box.rootfs, {"--ns", "uts,pid,mnt,bogus"}, {"true"});
  CHECK(result.exit_code == 125);
  CHECK(result.err.starts_with("berth-ch03: --ns uts,pid,mnt,bogus: unknown namespace \"bogus\""));
}

TEST_CASE("a rootfs without a mount namespace is refused with exit code 125, naming mnt",
          "[ns][cli]") {
  Sandbox box;
  const auto result = run_ch03(box.rootfs, {"--ns", "uts,pid"}, {"true"});
  CHECK(result.exit_code == 125);
  CHECK(result.err ==
        "berth-ch03: namespaces uts,pid: a root filesystem needs a mount namespace: add mnt\n");
}

TEST_CASE("a hostname without a UTS namespace is refused, and the host's hostname is unchanged",
          "[ns][cli]") {
  Sandbox box;
  const std::string host_before = hostname();
  const auto result = run_ch03(box.rootfs, {"--ns", "pid,mnt", "--hostname", "x"}, {"true"});
  CHECK(result.exit_code == 125);
  CHECK(result.err.find("add uts") != std::string::npos);
  CHECK(hostname() == host_before);
}

TEST_CASE("the exit code is the command's, 127 when not found, 126 when it cannot run",
          "[ns][cli]") {
  Sandbox box;
  CHECK(sh(box.rootfs, {}, "exit 7").exit_code == 7);
  CHECK(sh(box.rootfs, {}, "kill -9 $$").exit_code == 128 + 9);

  const auto missing = run_ch03(box.rootfs, {}, {"no-such-command"});
  CHECK(missing.exit_code == 127);
  CHECK(missing.err == "berth-ch03: exec no-such-command: no such file or directory\n");

  const auto not_executable = run_ch03(box.rootfs, {}, {"/etc/passwd"});
  CHECK(not_executable.exit_code == 126);
  CHECK(not_executable.err.find("/etc/passwd") != std::string::npos);
}
