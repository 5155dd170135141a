// berth-ch05 as a user runs it: a default container has Docker's layers,
// --privileged has none, and the flags change what they say.
#include <fstream>

#include <catch2/catch.hpp>

#include "support/support.h"

using namespace berth::test;

namespace {

struct Sandbox {
  TempDir tmp;
  fs::path rootfs = copy_busybox_rootfs(tmp / "rootfs");
};

CommandResult sh_ch05(const Sandbox& box, const std::vector<std::string>& flags,
                      const std::string& script) {
  return run_container("berth-ch05", box.rootfs, flags, {"/bin/sh", "-c", script});
}

constexpr const char* kStatus = "grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status";

}  // namespace

TEST_CASE("a default container has Docker's capabilities, no_new_privs and seccomp", "[chapter]") {
  Sandbox box;
  const auto result = sh_ch05(box, {}, kStatus);
  CHECK(result.exit_code == 0);
  CHECK(result.out ==
        "CapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nNoNewPrivs:\t1\nSeccomp:\t2\n");
}

TEST_CASE("a --privileged container keeps every capability, without seccomp", "[chapter]") {
  Sandbox box;
  const auto result =
      sh_ch05(box, {"--privileged"}, kStatus + std::string("; ls /sys/firmware | wc -l"));
  CHECK(result.out.find("CapEff:\t00000000a80425fb") == std::string::npos);
  CHECK(result.out.find("NoNewPrivs:\t0\nSeccomp:\t0\n") != std::string::npos);
}

TEST_CASE("cap-add and cap-drop change the container's capabilities", "[chapter]") {
  Sandbox box;
  // CAP_CHOWN dropped: chown fails; CAP_SYS_TIME added: it shows in CapEff.
  const auto dropped = sh_ch05(box, {"--cap-drop", "CHOWN"}, "chown 1 /tmp");
  CHECK(dropped.exit_code == 1);
  CHECK(dropped.err.find("Operation not permitted") != std::string::npos);
  const auto none = sh_ch05(box, {"--cap-drop", "ALL"}, kStatus);
  CHECK(none.out.find("CapEff:\t0000000000000000") != std::string::npos);
  const auto added = sh_ch05(box, {"--cap-add", "SYS_TIME", "--cap-drop", "ALL"}, kStatus);
  CHECK(added.out.find("CapEff:\t0000000002000000") != std::string::npos);  // bit 25
  const auto unknown = sh_ch05(box, {"--cap-add", "FLY"}, "true");
  CHECK(unknown.exit_code == 125);
  CHECK(unknown.err == "berth-ch05: capability \"FLY\": unknown capability\n");
}

TEST_CASE("seccomp unconfined or from a file in Docker's format", "[chapter]") {
  Sandbox box;
  CHECK(sh_ch05(box, {"--seccomp", "unconfined"}, kStatus).out.find("Seccomp:\t0") !=
        std::string::npos);
  const fs::path profile = box.tmp / "no-mkdir.json";
  std::ofstream(profile) << R"({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]})";
  const auto denied = sh_ch05(box, {"--seccomp", profile}, "mkdir /tmp/x");
  CHECK(denied.exit_code == 1);
  CHECK(denied.err.find("Operation not permitted") != std::string::npos);
  std::ofstream(profile) << R"({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_FOO"}]})";
  const auto bad = sh_ch05(box, {"--seccomp", profile}, "true");
  CHECK(bad.exit_code == 125);
  CHECK(bad.err == "berth-ch05: seccomp profile " + profile.string() +
                       ": syscalls[0].action: unknown action \"SCMP_ACT_FOO\"\n");
}

TEST_CASE("ulimit sets the container's resource limits", "[chapter]") {
  Sandbox box;
  const auto result = sh_ch05(box, {"--ulimit", "nofile=1024:2048", "--ulimit", "nproc=64"},
                              "ulimit -n; ulimit -Hn; ulimit -u");
  CHECK(result.out == "1024\n2048\n64\n");
}

TEST_CASE("read-only makes the root filesystem read-only, /tmp stays writable", "[chapter]") {
  Sandbox box;
  const auto result = sh_ch05(box, {"--read-only"}, "touch /root/x; touch /tmp/x && echo tmp ok");
  CHECK(result.err.find("touch: /root/x: Read-only file system") != std::string::npos);
  CHECK(result.out == "tmp ok\n");
  CHECK_FALSE(fs::exists(box.rootfs / "root" / "x"));
}
