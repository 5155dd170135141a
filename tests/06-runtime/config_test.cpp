// config.json as runc writes it parses, with the values runc put there.
#include "runtime/config.h"

#include <fstream>

#include <catch2/catch.hpp>

#include "support/support.h"

using namespace berth::test;
namespace runtime = berth::runtime;

namespace {

// A seed of the oci_config fuzz target: the unedited output of `runc spec`.
runtime::Config corpus_config(const std::string& name) {
  const fs::path path = fs::path{BERTH_OCI_CORPUS} / name;
  return runtime::parse_config(read_file(path), path.string());
}

std::vector<std::string> namespace_names(const runtime::Config& config) {
  std::vector<std::string> names;
  for (const auto& ns : config.linux->namespaces) {
    names.emplace_back(runtime::name(ns.type));
  }
  return names;
}

}  // namespace

TEST_CASE("runc spec's config.json: the process", "[config]") {
  const runtime::Config config = corpus_config("runc-spec.json");
  CHECK(config.oci_version == "1.0.2-dev");
  REQUIRE(config.process);
  const runtime::Process& process = *config.process;
  CHECK(process.terminal);
  CHECK(process.args == std::vector<std::string>{"sh"});
  CHECK(process.cwd == "/");
  CHECK(process.user.uid == 0);
  CHECK(process.user.gid == 0);
  CHECK_FALSE(process.user.umask);
  CHECK(process.env.at(1) == "TERM=xterm");
  CHECK(process.capabilities.bounding ==
        std::vector<std::string>{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"});
  CHECK(process.capabilities.ambient == process.capabilities.bounding);
  CHECK(process.capabilities.inheritable.empty());
  REQUIRE(process.rlimits.size() == 1);
  CHECK(process.rlimits[0].type == "RLIMIT_NOFILE");
  CHECK(process.rlimits[0].hard == 1024);
  CHECK(process.rlimits[0].soft == 1024);
  CHECK(process.no_new_privileges);
}

TEST_CASE("runc spec's config.json: root, mounts, linux", "[config]") {
  const runtime::Config config = corpus_config("runc-spec.json");
  CHECK(config.root.path == "rootfs");
  CHECK(config.root.readonly);
  CHECK(config.hostname == "runc");
  REQUIRE(config.mounts.size() == 7);
  CHECK(config.mounts[0].destination == "/proc");
  CHECK(config.mounts[0].type == "proc");
  CHECK(config.mounts[0].options.empty());
  CHECK(config.mounts[1].options ==
        std::vector<std::string>{"nosuid", "strictatime", "mode=755", "size=65536k"});
  REQUIRE(config.linux);
  CHECK(namespace_names(config) ==
        std::vector<std::string>{"pid", "network", "ipc", "uts", "mount"});
  CHECK(config.linux->namespaces[0].path.empty());
  CHECK(config.linux->uid_mappings.empty());
  CHECK(config.linux->masked_paths.size() == 10);
  CHECK(config.linux->masked_paths.front() == "/proc/acpi");
  CHECK(config.linux->readonly_paths.back() == "/proc/sysrq-trigger");
  REQUIRE(config.linux->resources);
  REQUIRE(config.linux->resources->devices.size() == 1);
  CHECK_FALSE(config.linux->resources->devices[0].allow);
  CHECK(config.linux->resources->devices[0].access == "rwm");
  CHECK_FALSE(config.linux->resources->devices[0].major);
  CHECK_FALSE(config.linux->seccomp);
}

TEST_CASE("runc spec --rootless: a user namespace with id mappings", "[config]") {
  const runtime::Config config = corpus_config("runc-spec-rootless.json");
  REQUIRE(config.linux);
  CHECK(namespace_names(config) == std::vector<std::string>{"pid", "ipc", "uts", "mount", "user"});
  REQUIRE(config.linux->uid_mappings.size() == 1);
  REQUIRE(config.linux->gid_mappings.size() == 1);
  CHECK(config.linux->uid_mappings[0].container_id == 0);
  CHECK(config.linux->uid_mappings[0].size == 1);
  CHECK(config.linux->gid_mappings[0].size == 1);
  CHECK_FALSE(config.linux->resources);
  CHECK(config.mounts.at(5).type == "none");
  CHECK(config.mounts.at(5).options.front() == "rbind");
}

TEST_CASE("the runc on this machine writes a config.json that parses", "[config]") {
  if (run({"sh", "-c", "command -v runc"}).exit_code != 0) {
    WARN("runc is not installed: nothing to compare with");
    return;
  }
  TempDir bundle;
  REQUIRE(run({"runc", "spec", "--bundle", bundle.path().string()}).exit_code == 0);
  const runtime::Config config = runtime::load_config(bundle.path());
  REQUIRE(config.process);
  CHECK(config.process->args == std::vector<std::string>{"sh"});
}

TEST_CASE("resources, seccomp, hooks, sysctl and annotations are read", "[config]") {
  const runtime::Config config = corpus_config("resources.json");
  CHECK(config.process->user.uid == 1000);
  CHECK(config.process->user.umask == 18);
  CHECK(config.process->user.additional_gids == std::vector<std::uint32_t>{5, 10});
  CHECK(config.annotations.at("org.example.key") == "v");
  const runtime::Linux& linux = *config.linux;
  CHECK(linux.namespaces.at(1).path == "/proc/1/ns/net");
  CHECK(linux.namespaces.at(3).type == runtime::NamespaceType::time);
  CHECK(linux.resources->memory->limit == 104857600);
  CHECK(linux.resources->memory->swap == -1);
  CHECK(linux.resources->cpu->shares == 512);
  CHECK(linux.resources->cpu->quota == 50000);
  CHECK(linux.resources->cpu->period == 100000);
  CHECK(linux.resources->pids->limit == 64);
  CHECK(linux.resources->devices.at(1).type == "c");
  CHECK(linux.resources->devices.at(1).major == 1);
  CHECK(linux.resources->devices.at(1).minor == 3);
  CHECK(linux.sysctl.at("net.ipv4.ip_forward") == "1");
  CHECK(linux.cgroups_path == "/berth/box");

  const runtime::Config other = corpus_config("seccomp-hooks.json");
  const runtime::Seccomp& seccomp = *other.linux->seccomp;
  CHECK(seccomp.default_action == "SCMP_ACT_ERRNO");
  CHECK(seccomp.architectures == std::vector<std::string>{"SCMP_ARCH_X86_64"});
  REQUIRE(seccomp.syscalls.size() == 2);
  CHECK(seccomp.syscalls[0].names == std::vector<std::string>{"read", "write"});
  CHECK_FALSE(seccomp.syscalls[0].errno_ret);
  CHECK(seccomp.syscalls[1].errno_ret == 1);
  CHECK(seccomp.syscalls[1].args.at(0).value == 8);
  CHECK(seccomp.syscalls[1].args.at(0).op == "SCMP_CMP_EQ");
  CHECK(other.hooks.prestart.size() == 1);
  REQUIRE(other.hooks.create_runtime.size() == 1);
  CHECK(other.hooks.create_runtime[0].args == std::vector<std::string>{"hook", "create"});
  CHECK(other.hooks.create_runtime[0].timeout == 5);
  CHECK(other.hooks.poststop.at(0).path == "/bin/true");
  CHECK(other.hooks.start_container.empty());
  CHECK_FALSE(other.process);
}

TEST_CASE("unknown fields are ignored, null counts as absent", "[config]") {
  const runtime::Config config = runtime::parse_config(R"({
    "ociVersion": "1.2.0", "root": {"path": "rootfs", "future": [1, 2]},
    "process": {"cwd": "/", "user": {"uid": 7, "gid": 8}, "consoleSize": {"height": 1},
                "apparmorProfile": "x", "env": null},
    "linux": {"intelRdt": {}, "namespaces": [{"type": "uts", "extra": true}]},
    "windows": {"layerFolders": []}, "vm": 3})",
                                                       "config.json");
  CHECK(config.root.path == "rootfs");
  CHECK(config.process->user.gid == 8);
  CHECK(config.process->env.empty());
  CHECK(config.linux->namespaces.at(0).type == runtime::NamespaceType::uts);
}
