// berth-ch05 — run a command in a container that root cannot get out of.
//
//   berth-ch05 run --rootfs DIR [--ns LIST] [--hostname H] [--chroot | --pivot]
//                  [--memory N] [--cpus N] [--pids N]
//                  [--cap-add CAP]... [--cap-drop CAP]... [--seccomp default|unconfined|FILE]
//                  [--ulimit NAME=SOFT[:HARD]]... [--read-only] [--privileged] -- CMD...
//
// A chapter 03 container (namespaces, pivot_root) in a chapter 04 cgroup,
// with chapter 05's layers on top, as docker run gives them by default:
// Docker's 14 capabilities, no_new_privs, Docker's seccomp profile, masked
// and read-only /proc paths, and only the harmless devices. --privileged
// removes all of them (every capability, no seccomp, no masked paths, every
// device), as docker's does.
//
// Exit code: the command's own; 127 when it is not found, 126 when it cannot
// be run, 125 when berth-ch05 itself fails ("berth-ch05: <what>: <why>").
#include <sys/mount.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cgroup/cgroup.h"
#include "common/error.h"
#include "container_command.h"
#include "ns/container.h"
#include "process/process.h"
#include "process/program.h"
#include "security/devices.h"
#include "security/seccomp.h"
#include "security/security.h"

namespace {

using namespace berth;
namespace seccomp = security::seccomp;

struct RunRequest {
  chapters::ContainerCommand container;  // chapter 03
  // chapter 04
  std::optional<std::string> memory;
  std::optional<double> cpus;
  std::optional<std::int64_t> pids;
  // chapter 05
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  std::string seccomp = "default";
  std::vector<std::string> ulimits;
  bool read_only = false;
  bool privileged = false;
};

// What the container's process does to itself, decided before it starts
// (so that a bad --seccomp file or --ulimit is an error of ours, 125).
struct Confinement {
  bool privileged = false;
  bool read_only = false;
  std::vector<security::Rlimit> rlimits;
  std::vector<security::Capability> capabilities;
  std::optional<seccomp::Profile> profile;  // std::nullopt: unconfined
};

Confinement make_confinement(const RunRequest& request) {
  Confinement c;
  c.privileged = request.privileged;
  c.read_only = request.read_only;
  for (const auto& text : request.ulimits) {
    c.rlimits.push_back(security::parse_ulimit(text));
  }
  if (request.privileged) {
    c.capabilities = security::permitted_capabilities();
    return c;
  }
  c.capabilities = security::resolve_capabilities(request.cap_add, request.cap_drop);
  if (request.seccomp == "default") {
    c.profile = seccomp::default_profile();
  } else if (request.seccomp != "unconfined") {
    c.profile = seccomp::load_profile_file(request.seccomp);
  }
  return c;
}

// docker run --read-only: the root filesystem itself becomes read-only.
// pivot_root left "/" a bind mount of its own, so a remount of the bind
// changes only the container's view of the directory.
void remount_root_readonly() {
  check(::mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr),
        "remount read-only", "/");
}

// #region confine
// In the container, after its root switch, before its init: each layer in
// the order that keeps the next one possible. Paths need mount (CAP_SYS_ADMIN,
// and the mount call); raising rlimits needs CAP_SYS_RESOURCE; dropping
// capabilities needs CAP_SETPCAP; seccomp goes last, so that nothing before
// it is refused by it.
void confine(const Confinement& c) {
  if (!c.privileged) {
    security::mask_paths(security::default_masked_paths());
    security::make_paths_readonly(security::default_readonly_paths());
  }
  if (c.read_only) remount_root_readonly();
  security::set_rlimits(c.rlimits);
  if (!c.privileged) {
    security::set_no_new_privs();
    security::set_non_dumpable();
  }
  security::limit_capabilities(c.capabilities);
  if (c.profile) seccomp::load(*c.profile, c.capabilities);
}
// #endregion confine

cgroup::Limits make_limits(const RunRequest& request) {
  cgroup::Limits limits;
  if (request.memory) limits.memory = cgroup::parse_memory_size(*request.memory);
  limits.cpus = request.cpus;
  limits.pids = request.pids;
  return limits;
}

int run(const RunRequest& request) {
  const Confinement confinement = make_confinement(request);

  ns::ContainerSpec spec = chapters::container_spec(request.container);

  const std::string name = "berth-ch05-" + std::to_string(::getpid());
  const std::unique_ptr<cgroup::Cgroup> group = cgroup::create(name, make_limits(request));
  // From the parent, while the child waits: only the default devices may be
  // opened in the container's cgroup (nothing to do for --privileged).
  spec.parent_hooks.emplace_back([&](pid_t pid) {
    group->add(pid);
    if (!request.privileged) security::restrict_devices(*group, security::default_device_rules());
  });
  spec.child_hooks.emplace_back([&] { confine(confinement); });
  return ns::run(spec);
}

// Parses the command line and runs the container. Returns the exit code.
int run_command_line(int argc, char** argv) {
  CLI::App app{"berth-ch05: run a command in a container root cannot get out of"};
  app.require_subcommand(1);
  RunRequest run_request;
  RunRequest& r = run_request;
  CLI::App* cmd = app.add_subcommand("run", "run CMD in a new, confined container");
  chapters::add_container_options(*cmd, r.container);
  cmd->add_option("--memory", r.memory, "memory limit: 64m, 1g, ...")->type_name("SIZE");
  cmd->add_option("--cpus", r.cpus, "CPUs' worth of time: 0.5 is half a CPU")->type_name("N");
  cmd->add_option("--pids", r.pids, "most processes at once")->type_name("N");
  cmd->add_option("--cap-add", r.cap_add, "add a capability (or ALL)")
      ->type_name("CAP")
      ->allow_extra_args(false);
  cmd->add_option("--cap-drop", r.cap_drop, "drop a capability (or ALL)")
      ->type_name("CAP")
      ->allow_extra_args(false);
  cmd->add_option("--seccomp", r.seccomp, "default, unconfined, or a Docker JSON profile")
      ->type_name("PROFILE")
      ->capture_default_str();
  cmd->add_option("--ulimit", r.ulimits, "a resource limit, NAME=SOFT[:HARD]")
      ->type_name("ULIMIT")
      ->allow_extra_args(false);
  cmd->add_flag("--read-only", r.read_only, "mount the root filesystem read-only");
  cmd->add_flag("--privileged", r.privileged,
                "all capabilities, no seccomp, no masked paths, all devices");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : process::kExitEngineError;
  }
  return run(run_request);
}

}  // namespace

int main(int argc, char** argv) {
  return process::run_reporting_errors([&] { return run_command_line(argc, argv); });
}
