// A config.json that is not what the spec says is refused with an error that
// names the file and the JSON path of the offending value.
#include <fstream>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "runtime/config.h"
#include "support/support.h"

using namespace berth::test;
namespace runtime = berth::runtime;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

namespace {

// The error message parse_config gives for `json`, or "" when it parses.
std::string error_for(const std::string& json) {
  try {
    runtime::parse_config(json, "config.json");
  } catch (const berth::Error& error) {
    return error.what();
  }
  return "";
}

// A valid config.json with `process` as its process object.
std::string with_process(const std::string& process) {
  return R"({"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "process": )" + process + "}";
}

// A valid config.json with `linux` as its linux object.
std::string with_linux(const std::string& linux) {
  return R"({"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "linux": )" + linux + "}";
}

const std::string kUser = R"("user": {"uid": 0, "gid": 0})";

}  // namespace

TEST_CASE("a value of the wrong type names its path", "[config][errors]") {
  CHECK_THAT(error_for(with_process(R"({"cwd": "/", )" + kUser + R"(, "args": ["sh", "-c", 3]})")),
             Equals("config.json: process.args[2]: expected a string, got a number"));
  CHECK_THAT(error_for(with_process(R"({"cwd": "/", )" + kUser + R"(, "terminal": "yes"})")),
             Equals("config.json: process.terminal: expected a boolean, got a string"));
  CHECK_THAT(error_for(with_linux(R"({"namespaces": {"type": "pid"}})")),
             Equals("config.json: linux.namespaces: expected an array, got an object"));
  CHECK_THAT(error_for(R"({"ociVersion": "1.0.2", "root": "rootfs"})"),
             Equals("config.json: root: expected an object, got a string"));
  CHECK_THAT(error_for(with_process(R"({"cwd": "/", "user": {"uid": 1.5, "gid": 0}})")),
             Equals("config.json: process.user.uid: expected an integer, got 1.5"));
  CHECK_THAT(error_for(R"([1, 2])"),
             Equals("config.json: (top level): expected an object, got an array"));
}

TEST_CASE("a missing required field names its path", "[config][errors]") {
  CHECK_THAT(error_for(R"({"root": {"path": "rootfs"}})"),
             Equals("config.json: ociVersion: missing"));
  CHECK_THAT(error_for(R"({"ociVersion": "1.0.2"})"), Equals("config.json: root: missing"));
  CHECK_THAT(error_for(R"({"ociVersion": "1.0.2", "root": {"readonly": true}})"),
             Equals("config.json: root.path: missing"));
  CHECK_THAT(error_for(with_process("{" + kUser + "}")),
             Equals("config.json: process.cwd: missing"));
  CHECK_THAT(error_for(with_process(R"({"cwd": "/", "user": {"uid": 0}})")),
             Equals("config.json: process.user.gid: missing"));
  CHECK_THAT(
      error_for(R"({"ociVersion": "1", "root": {"path": "r"}, "mounts": [{"type": "proc"}]})"),
      Equals("config.json: mounts[0].destination: missing"));
  CHECK_THAT(error_for(with_linux(R"({"namespaces": [{"type": "pid"}, {"path": "/x"}]})")),
             Equals("config.json: linux.namespaces[1].type: missing"));
  CHECK_THAT(error_for(with_linux(R"({"uidMappings": [{"containerID": 0, "hostID": 1000}]})")),
             Equals("config.json: linux.uidMappings[0].size: missing"));
}

TEST_CASE("an unknown or repeated namespace type is refused", "[config][errors]") {
  CHECK_THAT(error_for(with_linux(R"({"namespaces": [{"type": "pid"}, {"type": "foo"}]})")),
             Equals(R"(config.json: linux.namespaces[1].type: unknown namespace "foo")"));
  CHECK_THAT(error_for(with_linux(R"({"namespaces": [{"type": "pid"}, {"type": "pid"}]})")),
             Equals(R"(config.json: linux.namespaces[1].type: duplicate namespace "pid")"));
}

TEST_CASE("unknown seccomp actions and operators are refused", "[config][errors]") {
  CHECK_THAT(
      error_for(with_linux(R"({"seccomp": {"defaultAction": "SCMP_ACT_MAYBE"}})")),
      Equals(R"(config.json: linux.seccomp.defaultAction: unknown action "SCMP_ACT_MAYBE")"));
  CHECK_THAT(
      error_for(with_linux(R"({"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["kill"], "action": "SCMP_ACT_ERRNO",
         "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}})")),
      Equals("config.json: linux.seccomp.syscalls[0].args[0].index: argument index 6 above 5"));
}

TEST_CASE("a number out of range for its field names its path", "[config][errors]") {
  CHECK_THAT(error_for(with_process(R"({"cwd": "/", "user": {"uid": 4294967296, "gid": 0}})")),
             Equals("config.json: process.user.uid: 4294967296 out of range (0-4294967295)"));
  CHECK_THAT(
      error_for(with_linux(R"({"gidMappings": [{"containerID": 0, "hostID": 0, "size": -1}]})")),
      Equals("config.json: linux.gidMappings[0].size: -1 out of range (0-4294967295)"));
  CHECK_THAT(
      error_for(
          with_process(R"({"cwd": "/", )" + kUser +
                       R"(, "rlimits": [{"type": "RLIMIT_NOFILE", "hard": -5, "soft": 1}]})")),
      Equals("config.json: process.rlimits[0].hard: -5 out of range (0-18446744073709551615)"));
  CHECK_THAT(error_for(with_linux(R"({"resources": {"memory": {"limit": 9223372036854775808}}})")),
             Equals("config.json: linux.resources.memory.limit: 9223372036854775808 out of range "
                    "(-9223372036854775808-9223372036854775807)"));
}

TEST_CASE("invalid JSON gives the parser's position", "[config][errors]") {
  const std::string message = error_for("{\"ociVersion\": \"1.0.2\",\n \"root\": {");
  CHECK_THAT(message, Contains("config.json: parse error at line 2, column 11"));
  CHECK_THAT(error_for(""), Contains("config.json: parse error at line 1, column 1"));
  // Found by the fuzzer: nlohmann reports a number too large for a double as
  // out_of_range, not as a parse error.
  CHECK_THAT(error_for(R"({"ociVersion": 1E400})"),
             Equals("config.json: number overflow parsing '1E400'"));
}

TEST_CASE("load_config reads BUNDLE/config.json and names it in errors", "[config][errors]") {
  TempDir bundle;
  try {
    runtime::load_config(bundle.path());
    FAIL("a bundle without config.json was accepted");
  } catch (const berth::Error& error) {
    CHECK_THAT(error.what(),
               Equals("open " + (bundle / "config.json").string() + ": no such file or directory"));
  }
  std::ofstream(bundle / "config.json") << R"({"ociVersion": 1, "root": {"path": "r"}})";
  try {
    runtime::load_config(bundle.path());
    FAIL("a config.json with a numeric ociVersion was accepted");
  } catch (const berth::Error& error) {
    CHECK_THAT(error.what(), Equals((bundle / "config.json").string() +
                                    ": ociVersion: expected a string, got a number"));
  }
}
