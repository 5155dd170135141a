// berth-ch02 — run a command inside a root filesystem of its own.
//
//   berth-ch02 run --rootfs DIR [--chroot | --pivot] [--hostname H] -- CMD...
//
// The command runs in a new mount namespace, with DIR as its "/" (switched
// with pivot_root by default, or chroot to see why not), and /proc, /sys,
// /dev and /tmp mounted. With --hostname, it also gets a UTS namespace of
// its own, so the host's hostname is never touched.
//
// Exit code: the command's own; 127 when it is not found, 126 when it cannot
// be run, 125 when berth-ch02 itself fails ("berth-ch02: <what>: <why>").
#include <sched.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/error.h"
#include "process/process.h"
#include "process/program.h"
#include "rootfs/rootfs.h"

namespace {

using namespace berth;

struct RunRequest {
  std::string rootfs;
  bool chroot = false;
  std::optional<std::string> hostname;
  std::vector<std::string> command;
};

void set_hostname(const std::string& hostname) {
  check(::sethostname(hostname.data(), hostname.size()), "sethostname", hostname);
}

int run(const RunRequest& request) {
  const rootfs::Options root{
      .rootfs = rootfs::validate(request.rootfs),
      .how = request.chroot ? rootfs::RootSwitch::chroot : rootfs::RootSwitch::pivot_root,
  };
  process::SpawnOptions options;
  options.argv = request.command;
  options.env = rootfs::container_environment();
  // CLONE_NEWNS: the mounts made for the container exist only in its own
  // mount namespace and vanish with it. CLONE_NEWUTS: a hostname of its own.
  options.clone_flags = CLONE_NEWNS | (request.hostname ? CLONE_NEWUTS : 0);
  options.before_exec = [&] {
    if (request.hostname) {
      set_hostname(*request.hostname);
    }
    rootfs::enter(root);
  };
  process::Child child = process::spawn(options);
  return process::wait_forwarding_signals(child);
}

// Parses the command line and runs the container. Returns the exit code.
int run_command_line(int argc, char** argv) {
  CLI::App app{"berth-ch02: run a command inside a root filesystem of its own"};
  app.require_subcommand(1);
  RunRequest request;
  CLI::App* run_command = app.add_subcommand("run", "run CMD with DIR as its root");
  run_command->add_option("--rootfs", request.rootfs, "the root filesystem (a directory)")
      ->type_name("DIR")
      ->required();
  auto* chroot_flag =
      run_command->add_flag("--chroot", request.chroot, "switch root with chroot (escapable)");
  run_command->add_flag("--pivot")
      ->description("switch root with pivot_root (the default)")
      ->excludes(chroot_flag);
  run_command->add_option("--hostname", request.hostname, "the container's hostname")
      ->type_name("NAME");
  run_command->add_option("command", request.command, "the command and its arguments")
      ->type_name("CMD")
      ->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // Usage errors are engine errors to docker, too.
    return app.exit(error) == 0 ? 0 : process::kExitEngineError;
  }
  return run(request);
}

}  // namespace

int main(int argc, char** argv) {
  return process::run_reporting_errors([&] { return run_command_line(argc, argv); });
}
