// berth-ch03 — run a command in a container: namespaces of its own.
//
//   berth-ch03 run --rootfs DIR [--ns LIST] [--hostname H] [--chroot | --pivot] -- CMD...
//   berth-ch03 enter PID -- CMD...
//
// `run` starts CMD in new namespaces (LIST, default uts,pid,mnt,ipc,net,cgroup;
// add user for a user namespace), under an init that is PID 1 there, with
// DIR as its root. Without root it is rootless: a user namespace is always
// added, mapping the caller's uid and gid to 0. `enter` runs CMD in the
// namespaces and root of the running container process PID.
//
// Exit code: the command's own; 127 when it is not found, 126 when it cannot
// be run, 125 when berth-ch03 itself fails ("berth-ch03: <what>: <why>").
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/error.h"
#include "ns/container.h"
#include "process/process.h"
#include "process/program.h"
#include "rootfs/rootfs.h"

namespace {

using namespace berth;

struct RunRequest {
  std::string rootfs;
  std::string namespaces = "uts,pid,mnt,ipc,net,cgroup";
  std::string hostname = "berth";
  bool hostname_given = false;
  bool chroot = false;
  std::vector<std::string> command;
};

struct EnterRequest {
  pid_t pid = 0;
  std::vector<std::string> command;
};

// A container does not inherit the host's environment: it gets the PATH of
// its own tree, a HOME, and the terminal type so that programs can draw.
std::vector<std::string> container_environment() {
  std::vector<std::string> env = {
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "HOME=/root",
  };
  if (const char* term = std::getenv("TERM")) {
    env.push_back(std::string("TERM=") + term);
  }
  return env;
}

ns::ContainerSpec make_spec(const RunRequest& request) {
  ns::ContainerSpec spec;
  spec.argv = request.command;
  spec.env = container_environment();
  spec.namespaces = ns::parse_namespaces(request.namespaces);
  // Rootless: only in a user namespace of its own may an ordinary user
  // create the other namespaces (it is their root there), so one is added.
  const bool has_user = std::ranges::count(spec.namespaces, ns::Namespace::user) > 0;
  if (!has_user && ::geteuid() != 0) spec.namespaces.push_back(ns::Namespace::user);
  if (std::ranges::count(spec.namespaces, ns::Namespace::user) > 0) {
    spec.uid_map = ns::default_id_map(true);
    spec.gid_map = ns::default_id_map(false);
  }
  // Refused by start() without a UTS namespace: the host's must not change.
  if (std::ranges::count(spec.namespaces, ns::Namespace::uts) > 0 || request.hostname_given) {
    spec.hostname = request.hostname;
  }
  spec.rootfs = rootfs::Options{
      .rootfs = rootfs::validate(request.rootfs),
      .how = request.chroot ? rootfs::RootSwitch::chroot : rootfs::RootSwitch::pivot_root,
  };
  return spec;
}

// Parses the command line and runs the container. Returns the exit code.
int run_command_line(int argc, char** argv) {
  CLI::App app{"berth-ch03: run a command in namespaces of its own"};
  app.require_subcommand(1);

  RunRequest run;
  CLI::App* run_command = app.add_subcommand("run", "run CMD in a new container");
  run_command->add_option("--rootfs", run.rootfs, "the root filesystem (a directory)")
      ->type_name("DIR")
      ->required();
  run_command
      ->add_option("--ns", run.namespaces,
                   "the namespaces to create, of uts,pid,mnt,ipc,net,cgroup,user")
      ->type_name("LIST")
      ->capture_default_str();
  run_command
      ->add_option("--hostname", run.hostname, "the container's hostname (with a uts namespace)")
      ->type_name("NAME")
      ->capture_default_str();
  auto* chroot_flag =
      run_command->add_flag("--chroot", run.chroot, "switch root with chroot (escapable)");
  run_command->add_flag("--pivot")
      ->description("switch root with pivot_root (the default)")
      ->excludes(chroot_flag);
  run_command->add_option("command", run.command, "the command and its arguments")
      ->type_name("CMD")
      ->required();

  EnterRequest enter;
  CLI::App* enter_command =
      app.add_subcommand("enter", "run CMD in the running container of process PID");
  enter_command->add_option("pid", enter.pid, "a process of the container, as the host sees it")
      ->type_name("PID")
      ->required();
  enter_command->add_option("command", enter.command, "the command and its arguments")
      ->type_name("CMD")
      ->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // Usage errors are engine errors to docker, too.
    return app.exit(error) == 0 ? 0 : process::kExitEngineError;
  }
  run.hostname_given = run_command->count("--hostname") > 0;
  if (*enter_command) return ns::enter(enter.pid, enter.command, container_environment());
  return ns::run(make_spec(run));
}

}  // namespace

int main(int argc, char** argv) {
  return process::run_reporting_errors([&] { return run_command_line(argc, argv); });
}
