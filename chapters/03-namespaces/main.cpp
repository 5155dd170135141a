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

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "container_command.h"
#include "ns/container.h"
#include "process/process.h"
#include "process/program.h"
#include "rootfs/rootfs.h"

namespace {

using namespace berth;

struct EnterRequest {
  pid_t pid = 0;
  std::vector<std::string> command;
};

// Parses the command line and runs the container. Returns the exit code.
int run_command_line(int argc, char** argv) {
  CLI::App app{"berth-ch03: run a command in namespaces of its own"};
  app.require_subcommand(1);

  chapters::ContainerCommand run;
  CLI::App* run_command = app.add_subcommand("run", "run CMD in a new container");
  chapters::add_container_options(*run_command, run);

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
  if (*enter_command) {
    return ns::enter(enter.pid, enter.command, rootfs::container_environment());
  }
  return ns::run(chapters::container_spec(run));
}

}  // namespace

int main(int argc, char** argv) {
  return process::run_reporting_errors([&] { return run_command_line(argc, argv); });
}
