// Seccomp: the default profile loaded in a child, probed with raw system
// calls; profiles in Docker's JSON format, good and bad.
#include "security/seccomp.h"

#include <catch2/catch.hpp>

#include "common/error.h"
#include "observe.h"

using namespace berth;
using namespace berth::test::ch05;
namespace seccomp = berth::security::seccomp;

namespace {

void load_default() {
  seccomp::load(seccomp::default_profile(), security::default_capabilities());
}

}  // namespace

TEST_CASE("the default profile makes the calls it does not list fail with EPERM", "[seccomp]") {
  const std::string p = probe();
  const auto result =
      observe_sh(load_default, "grep ^Seccomp: /proc/self/status; " + p + " keyctl; " + p +
                                   " init_module; " + p + " unshare-user; echo still running");
  CHECK(result.out ==
        "Seccomp:\t2\n"
        "keyctl: EPERM (Operation not permitted)\n"
        "init_module: EPERM (Operation not permitted)\n"
        "unshare-user: EPERM (Operation not permitted)\n"
        "still running\n");
}

TEST_CASE("the default profile refuses clone with namespace flags, allows a plain fork",
          "[seccomp]") {
  // util-linux unshare --fork: unshare(2) is refused before any fork.
  const auto result =
      observe_sh(load_default, "unshare --user --fork true; echo $?; (echo forked); echo done");
  CHECK(result.out.find("Operation not permitted") != std::string::npos);
  CHECK(result.out.find("forked\ndone\n") != std::string::npos);
}

TEST_CASE("without the filter the same calls reach the kernel", "[seccomp]") {
  // The control: as root, unsharing a user namespace works.
  const auto result = observe({}, {probe(), "unshare-user"});
  CHECK(result.out == "unshare-user: ok\n");
}

TEST_CASE("a profile in Docker's JSON format is applied, errnoRet included", "[seccomp][json]") {
  test::TempDir tmp;
  const auto profile = seccomp::parse_profile(R"({
      "defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
                   {"names": ["no_such_call_anywhere"], "action": "SCMP_ACT_ERRNO"}]})",
                                              "test.json");
  REQUIRE(profile.rules.size() == 2);
  const auto result =
      observe([&] { seccomp::load(profile, {}); }, {"mkdir", (tmp / "denied").string()});
  CHECK(result.exit_code == 1);
  CHECK(result.out.find("Permission denied") != std::string::npos);
  CHECK_FALSE(test::fs::exists(tmp / "denied"));
}

TEST_CASE("a malformed profile is refused with the JSON path of the mistake", "[seccomp][json]") {
  auto error_of = [](const std::string& json) {
    try {
      seccomp::parse_profile(json, "x.json");
    } catch (const Error& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  const std::string rules = R"("syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW"},)";
  CHECK(error_of(R"({"defaultAction": "SCMP_ACT_ERRNO", )" + rules +
                 R"({"names": ["b"], "action": "SCMP_ACT_FOO"}]})") ==
        "seccomp profile x.json: syscalls[1].action: unknown action \"SCMP_ACT_FOO\"");
  CHECK(error_of(R"({"defaultAction": "SCMP_ACT_ERRNO", )" + rules +
                 R"({"names": ["b"], "action": "SCMP_ACT_ALLOW",
                     "args": [{"index": 7, "value": 1, "op": "SCMP_CMP_EQ"}]}]})") ==
        "seccomp profile x.json: syscalls[1].args[0].index: argument index 7 above 5");
  CHECK(error_of(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": [1]}]})") ==
        "seccomp profile x.json: syscalls[0].names[0]: expected a string, got number");
  CHECK(error_of(R"({"syscalls": []})") == "seccomp profile x.json: defaultAction: missing");
  CHECK(error_of("{nope") == "seccomp profile x.json: (document): not valid JSON");
  CHECK(error_of(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["a"],
                   "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_FLY"]}}]})") ==
        "seccomp profile x.json: syscalls[0].includes.caps[0]: unknown capability \"CAP_FLY\"");
}

TEST_CASE("Docker's includes and excludes: by capability and by architecture", "[seccomp][json]") {
  const auto profile = seccomp::parse_profile(R"({"defaultAction": "SCMP_ACT_ERRNO",
      "syscalls": [
        {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ["s390_runtime_instr"], "action": "SCMP_ACT_ALLOW",
         "includes": {"arches": ["s390x"]}},
        {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}}]})",
                                              "x.json");
  REQUIRE(profile.rules.size() == 2);
  CHECK(profile.rules[0].includes_caps ==
        std::vector<security::Capability>{security::capability_from_name("SYS_ADMIN")});
  CHECK(profile.rules[1].names == std::vector<std::string>{"ptrace"});
}

TEST_CASE("a profile file that cannot be read is refused, naming it", "[seccomp][json]") {
  CHECK_THROWS_WITH(seccomp::load_profile_file("/nonexistent/profile.json"),
                    "open seccomp profile /nonexistent/profile.json: no such file or directory");
}
