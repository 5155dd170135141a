// berth-ch01 — chapter 01's program: run a command, wait for it, and exit
// with its exit code, the way `docker run` does.
//
//     berth-ch01 run [--init] [--env K=V]... [--cwd DIR] -- CMD ARGS...
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/error.h"
#include "process/init.h"
#include "process/process.h"
#include "process/program.h"

extern char** environ;

namespace process = berth::process;

namespace {

struct RunArgs {
  bool init = false;
  std::vector<std::string> env;
  std::string cwd;
  std::vector<std::string> command;
};

// Our environment with each KEY=VALUE of `overrides` added or replacing.
std::vector<std::string> environment_with(const std::vector<std::string>& overrides) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    env.emplace_back(*entry);
  }
  for (const auto& entry : overrides) {
    const auto equals = entry.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw berth::Error("--env", entry, "expected KEY=VALUE");
    }
    const std::string key = entry.substr(0, equals + 1);
    std::erase_if(env, [&](const std::string& e) { return e.starts_with(key); });
    env.push_back(entry);
  }
  return env;
}

// #region run
int run(const RunArgs& args) {
  process::SpawnOptions options;
  options.argv = args.command;
  if (!args.env.empty()) options.env = environment_with(args.env);
  if (!args.cwd.empty()) options.cwd = args.cwd;

  if (args.init) return process::run_init(options);

  const process::BlockedSignals signals;  // from before the child exists
  process::Child child = process::spawn(options);
  return process::wait_forwarding_signals(child);
}
// #endregion run

// Parses the command line and runs the command. Returns the exit code.
int run_command_line(int argc, char** argv) {
  CLI::App app{"Chapter 01: run a command, wait for it, forward signals, reap zombies.",
               "berth-ch01"};
  app.require_subcommand(1);
  RunArgs args;
  CLI::App* run_command = app.add_subcommand("run", "Run CMD and exit with its exit code");
  run_command->add_flag("--init", args.init,
                        "Run CMD under a minimal init that reaps orphans (like docker run --init)");
  run_command->add_option("--env", args.env, "Set an environment variable (repeatable)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  run_command->add_option("--cwd", args.cwd, "Working directory of CMD")->type_name("DIR");
  run_command->add_option("command", args.command, "The command and its arguments, after --")
      ->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // Usage errors are the engine's errors to docker, too.
    return app.exit(error) == 0 ? 0 : process::kExitEngineError;
  }
  return run(args);
}

}  // namespace

int main(int argc, char** argv) {
  return process::run_reporting_errors([&] { return run_command_line(argc, argv); });
}
