// exec: another process in a running container (see exec.h).
#include "runtime/exec.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <iterator>

#include "cgroup/cgroup.h"
#include "common/error.h"
#include "common/fd.h"
#include "ns/container.h"
#include "process/process.h"
#include "runtime/console.h"
#include "runtime/process_setup.h"
#include "runtime/state.h"

namespace berth::runtime {
namespace {

std::uint32_t parse_id(std::string_view text, const std::string& user) {
  std::uint32_t id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) {
    throw Error("--user", user, "expected UID[:GID], numbers");
  }
  return id;
}

// Replaces KEY=... in `env`, or adds it.
void set_variable(std::vector<std::string>& env, const std::string& variable) {
  const std::string key = variable.substr(0, variable.find('=') + 1);
  for (auto& existing : env) {
    if (existing.starts_with(key)) {
      existing = variable;
      return;
    }
  }
  env.push_back(variable);
}

// The process to run: --process FILE, or the container's own process with
// the command line's changes, as runc builds it.
Process process_for(const Config& config, const ExecOptions& options) {
  if (!options.process_file.empty()) {
    std::ifstream in(options.process_file);
    if (!in) throw Error("open", options.process_file, errno);
    const std::string text{std::istreambuf_iterator<char>(in), {}};
    return parse_process(text, options.process_file);
  }
  if (options.args.empty()) throw Error("exec", "", "no command given");
  Process process = *config.process;
  process.args = options.args;
  for (const auto& variable : options.env) {
    set_variable(process.env, variable);
  }
  if (!options.cwd.empty()) process.cwd = options.cwd;
  if (!options.user.empty()) {
    const auto colon = options.user.find(':');
    process.user.uid = parse_id(std::string_view(options.user).substr(0, colon), options.user);
    if (colon != std::string::npos) {
      process.user.gid = parse_id(std::string_view(options.user).substr(colon + 1), options.user);
    }
  }
  process.terminal = options.tty;
  return process;
}

// For as long as it lives, our children are born in the PID namespace of
// `target` (setns(2) with CLONE_NEWPID changes our children's, not ours).
// Then ours again: whatever we start later (a sanitizer's helper thread at
// exit, say) must not land in the container.
class ChildrenInPidNamespace {
 public:
  explicit ChildrenInPidNamespace(int target)
      : ours_(static_cast<int>(check(::open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC), "open",
                                     "/proc/self/ns/pid"))) {
    check(::setns(target, CLONE_NEWPID), "setns", "pid namespace");
  }
  ~ChildrenInPidNamespace() { ::setns(ours_.get(), CLONE_NEWPID); }
  ChildrenInPidNamespace(const ChildrenInPidNamespace&) = delete;
  ChildrenInPidNamespace& operator=(const ChildrenInPidNamespace&) = delete;

 private:
  UniqueFd ours_;
};

}  // namespace

int exec(const std::filesystem::path& root, const std::string& id, const ExecOptions& options) {
  State state;
  {
    const ContainerDir dir = ContainerDir::open(root, id);
    state = dir.read();
    if (status_of(state, dir.exec_fifo()) == Status::stopped) {
      throw Error("container", id, "cannot exec: it is not running");
    }
  }
  const Config config = load_config(state.bundle);
  const Process process = process_for(config, options);
  if (process.terminal && options.console_socket.empty()) {
    throw Error("exec --tty", id, "needs --console-socket to hand the terminal to");
  }
  const ns::Target target = ns::open_target(state.pid);
  const auto group = cgroup::open(state.cgroup);
  UniqueFd console;
  if (process.terminal) console = connect_console_socket(options.console_socket);

  process::SpawnOptions spawn;
  spawn.argv = process.args;
  spawn.env = process.env;
  spawn.cwd = process.cwd;
  spawn.before_exec = [&] {
    group->add(0);  // "0": the writing process, while the host's /sys is still ours
    ns::join(target);
    if (console) set_up_console(std::move(console));
    confine(config, process);
  };
  const process::BlockedSignals signals;
  // Joining a PID namespace places our children in it, not us: join it
  // here, so that the child we start is born inside.
  int pid_namespace = -1;
  for (const auto& [name, fd] : target.namespaces) {
    if (name == "pid") pid_namespace = fd.get();
  }
  process::Child child = [&] {
    const ChildrenInPidNamespace in_container(pid_namespace);
    return process::spawn(spawn);
  }();
  if (!options.pid_file.empty()) {
    std::ofstream(options.pid_file) << child.pid();
  }
  if (options.detach) {
    child.release();
    return 0;
  }
  return process::wait_forwarding_signals(child);
}

}  // namespace berth::runtime
