// `berth-runtime spec` writes what `runc spec` writes (compared live, with
// Debian's runc), and `features` lists what berth-runtime supports.
#include "runtime/spec.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "runtime/config.h"
#include "runtime/mounts.h"
#include "security/security.h"
#include "support/support.h"

using namespace berth::test;
namespace runtime = berth::runtime;
using Json = nlohmann::json;

namespace {

// The config.json `runc spec FLAGS` writes, run as uid:gid.
std::string runc_spec(const std::vector<std::string>& flags, uid_t uid, gid_t gid) {
  const TempDir dir;
  // runc must be able to write the bundle directory as the ordinary user.
  REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
  const fs::path bundle = dir / "bundle";
  fs::create_directory(bundle);
  REQUIRE(::chown(bundle.c_str(), uid, gid) == 0);
  std::vector<std::string> argv = {"setpriv",
                                   "--reuid=" + std::to_string(uid),
                                   "--regid=" + std::to_string(gid),
                                   "--clear-groups",
                                   "runc",
                                   "spec",
                                   "-b",
                                   bundle.string()};
  argv.insert(argv.end(), flags.begin(), flags.end());
  const CommandResult result = run(argv);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return read_file(bundle / "config.json");
}

// Every mount option features_json() lists.
std::vector<std::string> listed_mount_options() {
  return Json::parse(runtime::features_json()).at("mountOptions").get<std::vector<std::string>>();
}

}  // namespace

TEST_CASE("spec: the config.json of runc spec", "[spec]") {
  const std::string runc = runc_spec({}, 0, 0);
  const std::string ours = runtime::default_spec(false, 0, 0);
  CHECK(Json::parse(ours) == Json::parse(runc));
  // Tabs, runc's order of fields, no newline at the end: the same bytes.
  CHECK(ours == runc);
}

TEST_CASE("spec: the config.json of runc spec --rootless, for root and for a user", "[spec]") {
  for (const auto& [uid, gid] : {std::pair<uid_t, gid_t>{0, 0}, {1000, 1001}}) {
    INFO("uid " << uid << ", gid " << gid);
    const std::string runc = runc_spec({"--rootless"}, uid, gid);
    const std::string ours = runtime::default_spec(true, uid, gid);
    CHECK(Json::parse(ours) == Json::parse(runc));
    CHECK(ours == runc);
  }
}

TEST_CASE("spec: what it writes is a config.json berth-runtime reads", "[spec]") {
  const runtime::Config config = runtime::parse_config(runtime::default_spec(false, 0, 0), "spec");
  CHECK(config.process->args == std::vector<std::string>{"sh"});
  CHECK(config.linux->namespaces.size() == 5);
  const runtime::Config rootless =
      runtime::parse_config(runtime::default_spec(true, 1000, 1001), "spec --rootless");
  REQUIRE(rootless.linux->uid_mappings.size() == 1);
  CHECK(rootless.linux->uid_mappings[0].host_id == 1000);
  CHECK(rootless.linux->gid_mappings[0].host_id == 1001);
  CHECK(rootless.linux->uid_mappings[0].container_id == 0);
  CHECK(rootless.linux->namespaces.back().type == runtime::NamespaceType::user);
}

TEST_CASE("spec: features lists what berth-runtime supports", "[spec]") {
  const Json features = Json::parse(runtime::features_json());
  CHECK(features.at("ociVersionMin") == "1.0.0");
  CHECK(features.at("ociVersionMax") == "1.0.2-dev");
  CHECK(features.at("hooks") == Json{"prestart", "createRuntime", "createContainer",
                                     "startContainer", "poststart", "poststop"});
  const std::vector<std::string> options = listed_mount_options();
  for (const char* option : {"ro", "nosuid", "rbind", "rprivate", "strictatime", "runbindable"}) {
    CHECK(std::find(options.begin(), options.end(), option) != options.end());
  }
  const Json& linux = features.at("linux");
  CHECK(linux.at("namespaces") == Json{"cgroup", "ipc", "mount", "network", "pid", "user", "uts"});
  std::vector<std::string> capabilities;
  for (const int capability : berth::security::all_capabilities()) {
    capabilities.push_back(berth::security::capability_name(capability));
  }
  CHECK(linux.at("capabilities").get<std::vector<std::string>>() == capabilities);
  CHECK(linux.at("capabilities").at(0) == "CAP_CHOWN");
  CHECK(linux.at("cgroup") ==
        Json{{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}});
  CHECK(linux.at("seccomp").at("enabled") == true);
  CHECK(linux.at("seccomp").at("actions").size() == 9);
  CHECK(linux.at("seccomp").at("operators").size() == 7);
  CHECK(linux.at("seccomp").at("archs").at(15) == "SCMP_ARCH_X86_64");
  CHECK(linux.at("apparmor").at("enabled") == false);
  CHECK(linux.at("selinux").at("enabled") == false);
  CHECK(features.at("annotations").at("io.github.berth.runtime.version") == "0.6.0");
}

TEST_CASE("spec: features has runc's fields, indented as runc does", "[spec]") {
  const CommandResult runc = run({"runc", "features"});
  REQUIRE(runc.exit_code == 0);
  const Json theirs = Json::parse(runc.out);
  const Json ours = Json::parse(runtime::features_json());
  for (const auto& [key, value] : theirs.items()) {
    INFO(key);
    CHECK(ours.contains(key));
  }
  for (const auto& [key, value] : theirs.at("linux").items()) {
    INFO("linux." + key);
    CHECK(ours.at("linux").contains(key));
  }
  // runc knows every mount option we list.
  const auto theirs_options = theirs.at("mountOptions").get<std::vector<std::string>>();
  for (const std::string& option : listed_mount_options()) {
    INFO(option);
    CHECK(std::find(theirs_options.begin(), theirs_options.end(), option) != theirs_options.end());
  }
  // The seccomp names are the spec's, which runc lists too.
  CHECK(ours.at("linux").at("seccomp").at("actions") ==
        theirs.at("linux").at("seccomp").at("actions"));
  CHECK(runtime::features_json().substr(0, 24) == runc.out.substr(0, 24));
}

TEST_CASE("spec: every mount option features lists is one mounts.cpp knows", "[spec]") {
  // One it does not know goes to mount(2)'s data, for the filesystem to refuse.
  CHECK(runtime::parse_mount_options({"bogus"}).data == "bogus");
  for (const std::string& option : listed_mount_options()) {
    INFO(option);
    // A flag, or a propagation: nothing left for the filesystem.
    CHECK(runtime::parse_mount_options({option}).data.empty());
  }
}
