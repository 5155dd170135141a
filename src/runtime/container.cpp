// The lifecycle commands (see container.h).
#include "runtime/container.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "cgroup/cgroup.h"
#include "common/error.h"
#include "common/fd.h"
#include "common/log.h"
#include "ns/container.h"
#include "process/process.h"
#include "runtime/config.h"
#include "runtime/console.h"
#include "runtime/hooks.h"
#include "runtime/process_setup.h"
#include "runtime/terminal.h"
#include "runtime/trace.h"
#include "security/devices.h"

namespace berth::runtime {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

UniqueFd open_fd(const std::string& path, int flags) {
  return UniqueFd{static_cast<int>(check(::open(path.c_str(), flags | O_CLOEXEC), "open", path))};
}

fs::path rootfs_of(const fs::path& bundle, const Config& config) {
  fs::path rootfs = fs::absolute(bundle / config.root.path).lexically_normal();
  // As runc: a root that is a link could be changed to point elsewhere
  // between our checks and our mounts.
  if (fs::is_symlink(rootfs)) {
    throw Error("root.path", rootfs.string(), "a symbolic link: the root must be a directory");
  }
  if (!fs::is_directory(rootfs)) throw Error("root.path", rootfs.string(), "not a directory");
  return rootfs;
}

// config.json's cgroupsPath, relative to the hierarchies' roots. An empty
// one gives the container a cgroup named after it, as runc does.
std::string cgroup_path(const Config& config, const std::string& id) {
  std::string path = config.linux ? config.linux->cgroups_path : "";
  if (path.find(':') != std::string::npos) {
    throw Error(
        "linux.cgroupsPath", path,
        "a systemd slice:prefix:name path; berth-runtime manages cgroups itself (cgroupfs)");
  }
  while (path.starts_with('/')) {
    path.erase(0, 1);
  }
  return path.empty() ? id : path;
}

cgroup::Limits limits(const Config& config) {
  cgroup::Limits limits;
  if (!config.linux || !config.linux->resources) return limits;
  const Resources& resources = *config.linux->resources;
  if (resources.memory) {
    if (resources.memory->limit && *resources.memory->limit > 0) {
      limits.memory = static_cast<std::uint64_t>(*resources.memory->limit);
    }
    // No swap given: unlimited, as runc leaves it (docker's "no swap" is
    // the engine's choice, written into config.json explicitly).
    limits.memory_swap = resources.memory->swap.value_or(-1);
    if (resources.memory->reservation && *resources.memory->reservation > 0) {
      limits.memory_reservation = static_cast<std::uint64_t>(*resources.memory->reservation);
    }
  }
  if (resources.cpu) {
    limits.cpu_shares = resources.cpu->shares;
    if (resources.cpu->quota && *resources.cpu->quota > 0) {
      const double period = static_cast<double>(resources.cpu->period.value_or(100000));
      limits.cpus = static_cast<double>(*resources.cpu->quota) / period;
      limits.cpu_period_us = resources.cpu->period;
    }
    limits.cpuset_cpus = resources.cpu->cpus;
    limits.cpuset_mems = resources.cpu->mems;
  }
  if (resources.pids && resources.pids->limit > 0) limits.pids = resources.pids->limit;
  return limits;
}

// config.json's device rules, then runc's defaults (null, zero, tty, ...),
// which runc allows whatever the bundle says.
std::vector<security::DeviceRule> device_rules(const Config& config) {
  std::vector<security::DeviceRule> rules;
  if (config.linux && config.linux->resources) {
    for (const DeviceRule& rule : config.linux->resources->devices) {
      rules.push_back({.type = rule.type.empty() ? 'a' : rule.type.front(),
                       .major = rule.major.value_or(-1),
                       .minor = rule.minor.value_or(-1),
                       .access = rule.access.empty() ? "rwm" : rule.access,
                       .allow = rule.allow});
    }
  }
  const auto& defaults = security::default_device_rules();
  rules.insert(rules.end(), defaults.begin(), defaults.end());
  return rules;
}

std::optional<ns::Namespace> to_ns(NamespaceType type) {
  switch (type) {
    case NamespaceType::pid:
      return ns::Namespace::pid;
    case NamespaceType::network:
      return ns::Namespace::net;
    case NamespaceType::mount:
      return ns::Namespace::mount;
    case NamespaceType::ipc:
      return ns::Namespace::ipc;
    case NamespaceType::uts:
      return ns::Namespace::uts;
    case NamespaceType::user:
      return ns::Namespace::user;
    case NamespaceType::cgroup:
      return ns::Namespace::cgroup;
    case NamespaceType::time:
      return std::nullopt;
  }
  return std::nullopt;
}

std::vector<ns::IdMapping> id_map(const std::vector<IdMapping>& mappings) {
  std::vector<ns::IdMapping> result;
  result.reserve(mappings.size());
  for (const auto& m : mappings) {
    result.push_back({m.container_id, m.host_id, m.size});
  }
  return result;
}

// The namespaces to create go to ns::start; those with a path are opened
// now, while the path means what the bundle's author meant, and joined by
// the container's process. A PID namespace is joined here, by us: joining
// one changes the namespace of our children, not our own.
ns::ContainerSpec container_spec(const Config& config, ProcessContext& context) {
  ns::ContainerSpec spec;
  bool new_uts = false;
  for (std::size_t i = 0; i < config.linux->namespaces.size(); ++i) {
    const Namespace& n = config.linux->namespaces[i];
    const auto type = to_ns(n.type);
    if (!type) {
      throw Error(fmt::format("linux.namespaces[{}]", i), "time", "not supported by berth-runtime");
    }
    if (n.path.empty()) {
      spec.namespaces.push_back(*type);
      new_uts = new_uts || n.type == NamespaceType::uts;
    } else if (n.type == NamespaceType::pid) {
      check(::setns(open_fd(n.path, O_RDONLY).get(), CLONE_NEWPID), "setns", n.path);
    } else {
      context.join.emplace_back(n.type, open_fd(n.path, O_RDONLY));
    }
  }
  if (new_uts && !config.hostname.empty()) spec.hostname = config.hostname;
  spec.uid_map = id_map(config.linux->uid_mappings);
  spec.gid_map = id_map(config.linux->gid_mappings);
  spec.cwd = config.process->cwd;
  return spec;
}

void write_pid_file(const std::string& path, pid_t pid) {
  if (path.empty()) return;
  // Atomically, as runc does: a reader never sees an empty file.
  const std::string temporary = path + ".tmp";
  {
    const UniqueFd fd = open_fd(temporary, O_WRONLY | O_CREAT | O_TRUNC);
    const std::string text = std::to_string(pid);
    check(::write(fd.get(), text.data(), text.size()), "write", temporary);
  }
  check(::rename(temporary.c_str(), path.c_str()), "rename", temporary);
}

// Waits until the process of `state` has ended (it is not our child: we
// cannot wait for it, only watch it go).
void wait_until_stopped(const State& state) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (process_start_time(state.pid) == state.start_time && state.start_time != 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw Error("container", state.id, "its process did not end within 10 s of SIGKILL");
    }
    std::this_thread::sleep_for(5ms);
  }
}

// A container made by create_locked(), not yet given up.
struct Created {
  ns::Container container;
  std::unique_ptr<cgroup::Cgroup> group;
  State state;
  UniqueFd terminal;  // the master of its terminal, when we relay it
};

// `relay`: for process.terminal without --console-socket, have the master
// sent to us, to relay (terminal.h).
Created create_locked(const CreateOptions& options, const ContainerDir& dir, bool relay) {
  Trace trace("parent");
  fs::path bundle = fs::absolute(options.bundle).lexically_normal();
  if (!bundle.has_filename()) bundle = bundle.parent_path();  // "/b/" -> "/b"
  const Config config = load_config(bundle);
  if (!config.process) throw Error("config.json", "process", "missing: nothing to run");
  if (!config.linux) {
    throw Error("config.json", "linux", "missing: berth-runtime runs Linux containers");
  }
  if (config.process->terminal && options.console_socket.empty() && !relay) {
    throw Error("process.terminal", "true",
                "needs --console-socket to hand the terminal to (or set terminal to false)");
  }
  ProcessContext context;
  context.config = &config;
  context.rootfs = rootfs_of(bundle, config);
  context.no_pivot = options.no_pivot;
  context.preserve_fds = options.preserve_fds;
  context.state = State{.oci_version = config.oci_version,
                        .id = options.id,
                        .pid = 0,
                        .bundle = bundle.string(),
                        .rootfs = context.rootfs.string(),
                        .created = rfc3339_now(),
                        .owner = "",
                        .annotations = config.annotations,
                        .start_time = 0,
                        .cgroup = cgroup_path(config, options.id)};
  const fs::path fifo = dir.exec_fifo();
  // Writable by anyone (mkfifo's mode is cut by our umask): the process
  // opens it after it became process.user, who may not be root.
  check(::mkfifo(fifo.c_str(), 0622), "mkfifo", fifo.string());
  check(::chmod(fifo.c_str(), 0622), "chmod", fifo.string());
  const UniqueFd fifo_fd = open_fd(fifo.string(), O_PATH);
  context.exec_fifo = fifo_fd.get();
  context.state_lock = dir.lock_fd();
  UniqueFd console;
  UniqueFd ours;  // our end of the socket pair, when we relay
  if (config.process->terminal && !options.console_socket.empty()) {
    console = connect_console_socket(options.console_socket);
  } else if (config.process->terminal) {
    int pair[2] = {-1, -1};
    check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), "socketpair",
          "for the terminal");
    console = UniqueFd{pair[0]};
    ours = UniqueFd{pair[1]};
  }
  context.console_socket = console.get();
  ns::ContainerSpec spec = container_spec(config, context);
  trace.mark("prepare");

  auto group = cgroup::create(context.state.cgroup, limits(config));
  const auto rules = device_rules(config);
  trace.mark("cgroups");
  spec.parent_hooks.emplace_back([&](pid_t pid) {
    group->add(pid);
    trace.mark("join cgroup");
    security::restrict_devices(*group, rules);
    trace.mark("devices");
    State state = context.state;
    state.pid = pid;
    const std::string json = to_json(state, Status::creating);
    if (!config.hooks.prestart.empty()) run_hooks("prestart", config.hooks.prestart, json);
    if (!config.hooks.create_runtime.empty()) {
      run_hooks("createRuntime", config.hooks.create_runtime, json);
    }
  });
  spec.child_hooks.emplace_back([&] { set_up_process(context); });
  spec.entrypoint = [&] { return wait_for_start_and_exec(context); };
  ns::Container container = ns::start(spec);
  trace.mark("container process set up");

  State state = context.state;
  state.pid = container.pid();
  state.start_time = process_start_time(state.pid);
  if (state.start_time == 0) {
    throw Error("container", options.id, "its process ended while it was set up");
  }
  dir.write(state);
  write_pid_file(options.pid_file, state.pid);
  trace.mark("save state");
  UniqueFd terminal;
  if (ours) terminal = std::move(receive_fd(ours.get()).fd);
  return Created{std::move(container), std::move(group), std::move(state), std::move(terminal)};
}

// Runs create_locked(), removing the state directory again if it fails.
Created create_container(const CreateOptions& options, bool relay = false) {
  ContainerDir dir = ContainerDir::make(options.root, options.id);
  try {
    return create_locked(options, dir, relay);
  } catch (...) {
    dir.remove();
    throw;
  }
}

void run_poststart_hooks(const State& state) {
  try {
    const Config config = load_config(state.bundle);
    if (!config.hooks.poststart.empty()) {
      run_hooks("poststart", config.hooks.poststart, to_json(state, Status::running));
    }
  } catch (const Error& error) {
    log::warn("{}", error.what());
  }
}

// What remains of a stopped container: its cgroup, the poststop hooks, and
// its state.
void destroy(ContainerDir& dir, const State& state) {
  try {
    cgroup::open(state.cgroup)->remove();
  } catch (const Error& error) {
    log::debug("{}", error.what());  // already gone
  }
  try {
    const Config config = load_config(state.bundle);
    if (!config.hooks.poststop.empty()) {
      run_hooks("poststop", config.hooks.poststop, to_json(state, Status::stopped));
    }
  } catch (const Error& error) {
    log::warn("{}", error.what());
  }
  dir.remove();
}

}  // namespace

void create(const CreateOptions& options) {
  Created created = create_container(options);
  // The process and its cgroup outlive us now, until `delete`.
  created.container.release();
  created.group->release();
}

void start(const fs::path& root, const std::string& id) {
  ContainerDir dir = ContainerDir::open(root, id);
  const State state = dir.read();
  const Status status = status_of(state, dir.exec_fifo());
  if (status != Status::created) {
    throw Error("container", id, fmt::format("cannot start: it is {}", name(status)));
  }
  // #region start
  // Opened without blocking, then waited on: if the process died meanwhile,
  // a blocking open would wait forever for a writer that is gone.
  const UniqueFd reader = open_fd(dir.exec_fifo().string(), O_RDONLY | O_NONBLOCK);
  char byte = 0;
  while (true) {
    pollfd ready{.fd = reader.get(), .events = POLLIN, .revents = 0};
    check(::poll(&ready, 1, 100), "poll", "exec fifo");
    if ((ready.revents & POLLIN) != 0 && ::read(reader.get(), &byte, 1) == 1) break;
    if (process_start_time(state.pid) != state.start_time) {
      throw Error("container", id, "cannot start: its process has ended");
    }
  }
  check(::unlink(dir.exec_fifo().c_str()), "unlink", dir.exec_fifo().string());
  // #endregion start
  run_poststart_hooks(state);
}

int run(const CreateOptions& options, bool detach, bool keep) {
  // Blocked from before the container exists, so that a signal that comes
  // early waits to be passed on (process::BlockedSignals).
  const process::BlockedSignals signals;
  Created created = create_container(options, !detach);
  try {
    start(options.root, options.id);
  } catch (...) {
    remove(options.root, options.id, true);
    throw;
  }
  if (detach) {
    created.container.release();
    created.group->release();
    return 0;
  }
  const int code = created.terminal ? relay_terminal(created.terminal, created.container)
                                    : created.container.wait_forwarding_signals();
  created.group->release();  // remove() below removes it, with the hooks
  if (!keep) remove(options.root, options.id, true);
  return code;
}

// The status from the kernel, paused included.
Status current_status(const ContainerDir& dir, const State& state) {
  const Status status = status_of(state, dir.exec_fifo());
  if (status != Status::running) return status;
  try {
    return cgroup::open(state.cgroup)->frozen() ? Status::paused : status;
  } catch (const Error& error) {
    log::warn("{}", error.what());  // its cgroup removed behind our back
    return status;
  }
}

Snapshot state(const fs::path& root, const std::string& id) {
  const ContainerDir dir = ContainerDir::open(root, id);
  Snapshot snapshot;
  snapshot.state = dir.read();
  snapshot.status = current_status(dir, snapshot.state);
  return snapshot;
}

void pause(const fs::path& root, const std::string& id) {
  const ContainerDir dir = ContainerDir::open(root, id);
  const State state = dir.read();
  const Status status = current_status(dir, state);
  if (status != Status::running) {
    throw Error("container", id, fmt::format("cannot pause: it is {}", name(status)));
  }
  cgroup::open(state.cgroup)->freeze();
}

void resume(const fs::path& root, const std::string& id) {
  const ContainerDir dir = ContainerDir::open(root, id);
  const State state = dir.read();
  const Status status = current_status(dir, state);
  if (status != Status::paused) {
    throw Error("container", id, fmt::format("cannot resume: it is {}", name(status)));
  }
  cgroup::open(state.cgroup)->thaw();
}

std::vector<Snapshot> list(const fs::path& root) {
  std::vector<Snapshot> all;
  for (const auto& id : list_ids(root)) {
    try {
      all.push_back(state(root, id));
    } catch (const Error& error) {
      log::warn("{}", error.what());  // one being created or deleted
    }
  }
  return all;
}

void kill(const fs::path& root, const std::string& id, int signal, bool all) {
  const ContainerDir dir = ContainerDir::open(root, id);
  const State state = dir.read();
  if (status_of(state, dir.exec_fifo()) == Status::stopped && !all) {
    throw Error("container", id, "cannot kill: it is not running");
  }
  if (all) {
    for (const pid_t pid : cgroup::open(state.cgroup)->pids()) {
      ::kill(pid, signal);
    }
    return;
  }
  check(::kill(state.pid, signal), "kill", fmt::format("container {} (pid {})", id, state.pid));
}

void remove(const fs::path& root, const std::string& id, bool force) {
  ContainerDir dir = ContainerDir::open(root, id);
  const State state = dir.read();
  const Status status = current_status(dir, state);
  if ((status == Status::running || status == Status::paused) && !force) {
    throw Error("container", id,
                fmt::format("cannot delete: it is {} (stop it, or use --force)", name(status)));
  }
  if (status != Status::stopped) {
    const auto group = cgroup::open(state.cgroup);
    ::kill(state.pid, SIGKILL);
    if (group->frozen()) group->thaw();  // a frozen process cannot die
    wait_until_stopped(state);
  }
  destroy(dir, state);
}

std::vector<pid_t> processes(const fs::path& root, const std::string& id) {
  const ContainerDir dir = ContainerDir::open(root, id);
  return cgroup::open(dir.read().cgroup)->pids();
}

int parse_signal(std::string_view text) {
  int number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error == std::errc{} && end == text.data() + text.size() && number > 0 && number < NSIG) {
    return number;
  }
  std::string upper(text);
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (upper.starts_with("SIG")) upper.erase(0, 3);
  for (int signal = 1; signal < NSIG; ++signal) {
    const char* abbreviation = ::sigabbrev_np(signal);
    if (abbreviation != nullptr && upper == abbreviation) return signal;
  }
  throw Error("signal", text, "unknown signal");
}

}  // namespace berth::runtime
