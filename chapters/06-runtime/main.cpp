// berth-runtime — an OCI runtime with runc's command line.
//
//   berth-runtime [--root DIR] [--log FILE] [--log-format text|json] [--debug] COMMAND
//
//   spec [--rootless] [-b DIR]      write a starting config.json
//   create ID -b DIR [--pid-file F] [--console-socket S] [--no-pivot] [--preserve-fds N]
//   start ID                        let a created container run its command
//   run ID -b DIR [-d] [--keep] ... create and start (and wait, and delete)
//   state ID                        the OCI state JSON
//   pause ID / resume ID            freeze a container's processes, and thaw them
//   kill [-a] ID [SIGNAL]           send a signal (default SIGTERM)
//   delete [-f] ID                  remove a stopped container
//   exec ID (-p process.json | CMD...) [-d] [-t] [--cwd D] [-e K=V] [-u UID[:GID]] ...
//   list [-q] [-f table|json]       the containers under --root
//   ps ID [-f table|json]           the processes of a container
//   features                        what this runtime supports, as JSON
//
// Chapter 06. The same commands, flags and outputs as runc, so that tools
// written for runc (podman, containerd, conmon, scripts) can drive Berth's
// runtime: the whole of chapters 01-05 behind the OCI runtime spec.
//
// Exit code: as runc's, 0 on success and 1 when berth-runtime fails
// ("berth-runtime: <what>: <why>" on stderr, and in the --log file); `run`
// and `exec` without -d end with the command's own exit code.
#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/error.h"
#include "output.h"
#include "runtime/container.h"
#include "runtime/exec.h"
#include "runtime/spec.h"

namespace {

using namespace berth;
namespace fs = std::filesystem;

// What the command line sets: global options, then those of the commands.
struct Options {
  std::string root{runtime::kDefaultRoot};
  std::string log;
  std::string log_format = "text";
  bool debug = false;
  bool systemd_cgroup = false;
  bool no_new_keyring = false;  // runc's; there is no session keyring to make

  runtime::CreateOptions create;
  runtime::ExecOptions exec;
  std::string id;
  std::string signal = "SIGTERM";
  std::string format = "table";
  std::string bundle = ".";
  bool all = false;       // kill -a
  bool force = false;     // delete -f
  bool detach = false;    // run -d
  bool keep = false;      // run --keep
  bool quiet = false;     // list -q
  bool rootless = false;  // spec --rootless
};

constexpr int kFailure = 1;

void add_create_options(CLI::App& cmd, runtime::CreateOptions& o, bool& no_new_keyring) {
  cmd.add_option("id", o.id, "the container's id")->required();
  cmd.add_option("-b,--bundle", o.bundle, "the bundle directory (holds config.json)")
      ->default_str(".");
  cmd.add_option("--pid-file", o.pid_file, "write the process's pid to this file");
  cmd.add_option("--console-socket", o.console_socket,
                 "a unix socket to send the terminal's master to");
  cmd.add_flag("--no-pivot", o.no_pivot, "switch the root without pivot_root (roots on ramfs)");
  cmd.add_option("--preserve-fds", o.preserve_fds, "pass descriptors 3 to 3+N-1 on");
  cmd.add_flag("--no-new-keyring", no_new_keyring, "accepted for runc's callers");
}

void write_spec(const std::string& bundle, bool rootless) {
  const fs::path file = fs::path(bundle) / "config.json";
  if (fs::exists(file)) throw Error("spec", file.string(), "exists already: remove it first");
  std::ofstream out(file);
  if (!out) throw Error("open", file.string(), errno);
  out << runtime::default_spec(rootless, ::geteuid(), ::getegid());
  if (!out.flush()) throw Error("write", file.string(), errno);
}

// Defines every command; the one given on the command line sets `action`.
void define_commands(CLI::App& app, Options& o, std::function<int()>& action) {
  CLI::App* spec = app.add_subcommand("spec", "write a starting config.json");
  spec->add_flag("--rootless", o.rootless, "for a user without privileges");
  spec->add_option("-b,--bundle", o.bundle, "where to write it");
  spec->callback([&] { action = [&] { return write_spec(o.bundle, o.rootless), 0; }; });

  CLI::App* create = app.add_subcommand("create", "create a container, ready to start");
  add_create_options(*create, o.create, o.no_new_keyring);
  create->callback([&] {
    action = [&] {
      o.create.root = fs::path(o.root);
      runtime::create(o.create);
      return 0;
    };
  });

  CLI::App* run = app.add_subcommand("run", "create and start a container");
  add_create_options(*run, o.create, o.no_new_keyring);
  run->add_flag("-d,--detach", o.detach, "return once it runs");
  run->add_flag("--keep", o.keep, "do not delete it when it ends");
  run->callback([&] {
    action = [&] {
      o.create.root = fs::path(o.root);
      return runtime::run(o.create, o.detach, o.keep);
    };
  });

  CLI::App* start = app.add_subcommand("start", "let a created container run its command");
  start->add_option("id", o.id, "the container's id")->required();
  start->callback([&] { action = [&] { return runtime::start(fs::path(o.root), o.id), 0; }; });

  CLI::App* state = app.add_subcommand("state", "print a container's state as JSON");
  state->add_option("id", o.id, "the container's id")->required();
  state->callback([&] {
    action = [&] { return chapters::print_state(runtime::state(fs::path(o.root), o.id)), 0; };
  });

  CLI::App* pause = app.add_subcommand("pause", "freeze every process of a container");
  pause->add_option("id", o.id, "the container's id")->required();
  pause->callback([&] { action = [&] { return runtime::pause(fs::path(o.root), o.id), 0; }; });

  CLI::App* resume = app.add_subcommand("resume", "let a paused container go on");
  resume->add_option("id", o.id, "the container's id")->required();
  resume->callback([&] { action = [&] { return runtime::resume(fs::path(o.root), o.id), 0; }; });

  CLI::App* kill = app.add_subcommand("kill", "send a signal to a container's process");
  kill->add_flag("-a,--all", o.all, "to every process of the container");
  kill->add_option("id", o.id, "the container's id")->required();
  kill->add_option("signal", o.signal, "a name or number")->default_str("SIGTERM");
  kill->callback([&] {
    action = [&] {
      return runtime::kill(fs::path(o.root), o.id, runtime::parse_signal(o.signal), o.all), 0;
    };
  });

  CLI::App* remove = app.add_subcommand("delete", "delete a stopped container");
  remove->add_flag("-f,--force", o.force, "kill it first if it runs");
  remove->add_option("id", o.id, "the container's id")->required();
  remove->callback(
      [&] { action = [&] { return runtime::remove(fs::path(o.root), o.id, o.force), 0; }; });

  CLI::App* exec = app.add_subcommand("exec", "run another process in a container");
  exec->positionals_at_end();
  exec->add_option("id", o.id, "the container's id")->required();
  exec->add_option("command", o.exec.args, "the command and its arguments");
  exec->add_option("-p,--process", o.exec.process_file, "a process.json to run");
  exec->add_flag("-d,--detach", o.exec.detach, "return once it runs");
  exec->add_flag("-t,--tty", o.exec.tty, "give it a terminal (needs --console-socket)");
  exec->add_option("--cwd", o.exec.cwd, "its working directory");
  exec->add_option("-e,--env", o.exec.env, "add a variable, KEY=VALUE")->allow_extra_args(false);
  exec->add_option("-u,--user", o.exec.user, "UID[:GID]");
  exec->add_option("--console-socket", o.exec.console_socket, "where to send the terminal");
  exec->add_option("--pid-file", o.exec.pid_file, "write its pid to this file");
  exec->add_option("--preserve-fds", o.exec.preserve_fds, "pass descriptors 3.. on");
  exec->callback([&] { action = [&] { return runtime::exec(fs::path(o.root), o.id, o.exec); }; });

  CLI::App* list = app.add_subcommand("list", "list the containers");
  list->add_flag("-q,--quiet", o.quiet, "ids only");
  list->add_option("-f,--format", o.format, "table or json")
      ->check(CLI::IsMember({"table", "json"}));
  list->callback([&] {
    action = [&] {
      return chapters::print_list(runtime::list(fs::path(o.root)), o.format == "json", o.quiet), 0;
    };
  });

  CLI::App* ps = app.add_subcommand("ps", "list a container's processes");
  ps->add_option("id", o.id, "the container's id")->required();
  ps->add_option("-f,--format", o.format, "table or json")->check(CLI::IsMember({"table", "json"}));
  ps->callback([&] {
    action = [&] {
      return chapters::print_processes(runtime::processes(fs::path(o.root), o.id),
                                       o.format == "json"),
             0;
    };
  });

  CLI::App* features = app.add_subcommand("features", "what this runtime supports");
  features->callback(
      [&] { action = [] { return fmt::print("{}\n", runtime::features_json()), 0; }; });
}

int main_with_errors(int argc, char** argv) {
  CLI::App app{"berth-runtime: an OCI runtime with runc's command line"};
  Options o;
  app.add_option("--root", o.root, "where container state is kept")->capture_default_str();
  app.add_option("--log", o.log, "append errors to this file");
  app.add_option("--log-format", o.log_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--debug", o.debug, "log more");
  app.add_flag("--systemd-cgroup", o.systemd_cgroup, "refused: berth-runtime manages cgroupfs");
  app.add_flag_callback("-v,--version", [] {
    chapters::print_version();
    throw CLI::Success();
  });
  app.require_subcommand(1);
  std::function<int()> action;
  define_commands(app, o, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : kFailure;
  }
  // Read once, at the first message: set it before any.
  if (o.debug) ::setenv("BERTH_LOG", "debug", 1);
  try {
    if (o.systemd_cgroup) {
      throw Error("--systemd-cgroup", "", "not supported: berth-runtime writes cgroupfs itself");
    }
    return action();
  } catch (const std::exception& error) {
    fmt::print(stderr, "berth-runtime: {}\n", error.what());
    if (!o.log.empty()) chapters::log_error(o.log, o.log_format == "json", error.what());
    return kFailure;
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return main_with_errors(argc, argv);
  } catch (...) {  // CLI11's own help printing, say, failing to write
    return kFailure;
  }
}
