// berth-ch04 — run a command in a container with limits: cgroups.
//
//   berth-ch04 run --rootfs DIR [--ns LIST] [--hostname H] [--chroot | --pivot]
//                  [--memory SIZE] [--memory-swap SIZE|-1] [--cpus N] [--cpu-shares N]
//                  [--pids N] [--cgroup-parent NAME] [--stats] -- CMD...
//
// Chapter 03's container (namespaces, a root of its own, an init as PID 1),
// put into a cgroup of its own, PARENT/ch04-PID (PARENT is "berth" unless
// --cgroup-parent says otherwise), with the limits asked for. The container
// joins the cgroup before its command starts, from a parent hook. When the
// container ends, whatever is left in the cgroup is killed and the cgroup is
// removed. --stats prints what the container used, to stderr:
//
//   berth-ch04: stats: cpu_seconds=0.004 memory_peak_bytes=1531904 pids_current=0
//               pids_limit_hits=0 oom_kills=0   (one line; pids_peak=N where the kernel counts it)
//
// Exit code: the command's own; 137 with "berth-ch04: container was
// OOM-killed" when the OOM killer killed a process of the container; 127 when
// the command is not found, 126 when it cannot be run, 125 when berth-ch04
// itself fails ("berth-ch04: <what>: <why>").
#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>
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

namespace {

using namespace berth;

struct RunRequest {
  chapters::ContainerCommand container;  // chapter 03's flags
  std::optional<std::string> memory;
  std::optional<std::string> memory_swap;
  std::optional<double> cpus;
  std::optional<std::uint64_t> cpu_shares;
  std::optional<std::int64_t> pids;
  std::string cgroup_parent = "berth";
  bool stats = false;
};

constexpr int kExitOomKilled = 128 + 9;  // what docker reports: killed by SIGKILL

// The flags' limits, checked as docker checks them.
cgroup::Limits make_limits(const RunRequest& request) {
  cgroup::Limits limits;
  if (request.memory) {
    limits.memory = cgroup::parse_memory_size(*request.memory);
  }
  if (request.memory_swap) {
    if (!limits.memory) {
      throw Error("--memory-swap", *request.memory_swap, "needs --memory too");
    }
    limits.memory_swap =
        *request.memory_swap == "-1"
            ? -1
            : static_cast<std::int64_t>(cgroup::parse_memory_size(*request.memory_swap));
    if (*limits.memory_swap != -1 &&
        static_cast<std::uint64_t>(*limits.memory_swap) < *limits.memory) {
      throw Error("--memory-swap", *request.memory_swap,
                  "must not be below --memory (it counts both)");
    }
  }
  if (request.cpus && *request.cpus <= 0) {
    throw Error("--cpus", std::to_string(*request.cpus), "must be more than 0");
  }
  limits.cpus = request.cpus;
  limits.cpu_shares = request.cpu_shares;
  limits.pids = request.pids;
  return limits;
}

void print_stats(const cgroup::Stats& stats) {
  std::string line = fmt::format("berth-ch04: stats: cpu_seconds={:.3f}",
                                 static_cast<double>(stats.cpu_usage_ns) / 1e9);
  if (stats.memory_peak) {
    line += fmt::format(" memory_peak_bytes={}", *stats.memory_peak);
  }
  line += fmt::format(" pids_current={}", stats.pids_current);
  if (stats.pids_peak) {
    line += fmt::format(" pids_peak={}", *stats.pids_peak);
  }
  line += fmt::format(" pids_limit_hits={} oom_kills={}\n", stats.pids_limit_hits, stats.oom_kills);
  static_cast<void>(std::fputs(line.c_str(), stderr));
}

int run(const RunRequest& request) {
  // #region join-cgroup
  ns::ContainerSpec spec = chapters::container_spec(request.container);
  auto cgroup = cgroup::create(request.cgroup_parent + "/ch04-" + std::to_string(::getpid()),
                               make_limits(request));
  // The child waits while parent hooks run: it joins the cgroup before the
  // command starts, so everything the command does is counted and limited.
  spec.parent_hooks.emplace_back([&cgroup](pid_t pid) { cgroup->add(pid); });
  const int exit_code = ns::run(spec);
  const cgroup::Stats stats = cgroup->stats();
  cgroup->remove();  // kills what is left (without a PID namespace, orphans may be)
  // #endregion join-cgroup
  if (request.stats) {
    print_stats(stats);
  }
  if (stats.oom_kills > 0) {
    static_cast<void>(std::fputs("berth-ch04: container was OOM-killed\n", stderr));
    return kExitOomKilled;
  }
  return exit_code;
}

int run_command_line(int argc, char** argv) {
  CLI::App app{"berth-ch04: run a command in a container with cgroup limits"};
  app.require_subcommand(1);
  RunRequest run_request;
  CLI::App* cmd = app.add_subcommand("run", "run CMD in a new container");
  chapters::add_container_options(*cmd, run_request.container);
  cmd->add_option("--memory", run_request.memory, "memory limit: 64m, 1g, ...")->type_name("SIZE");
  cmd->add_option("--memory-swap", run_request.memory_swap,
                  "memory plus swap (-1: unlimited swap; default: no swap)")
      ->type_name("SIZE");
  cmd->add_option("--cpus", run_request.cpus, "CPUs' worth of time: 0.5 is half a CPU")
      ->type_name("N");
  cmd->add_option("--cpu-shares", run_request.cpu_shares, "relative CPU weight (1024 is normal)")
      ->type_name("N")
      ->check(CLI::Range(2, 262144));
  cmd->add_option("--pids", run_request.pids, "most processes at once")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--cgroup-parent", run_request.cgroup_parent, "the cgroup to create ours under")
      ->type_name("NAME")
      ->capture_default_str();
  cmd->add_flag("--stats", run_request.stats, "print what the container used when it ends");
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
