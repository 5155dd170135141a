// The container's process, from clone to exec (see process_setup.h).
#include "runtime/process_setup.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <grp.h>
#include <linux/close_range.h>
#include <linux/securebits.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/log.h"
#include "process/path_search.h"
#include "process/process.h"
#include "runtime/console.h"
#include "runtime/hooks.h"
#include "runtime/mounts.h"
#include "runtime/seccomp_config.h"
#include "runtime/trace.h"
#include "security/seccomp.h"
#include "security/security.h"

namespace berth::runtime {
namespace {

// Our pid as the host sees it. Before the root switch, /proc is still the
// host's procfs, whose "self" link names us by the host's numbering even
// inside a new PID namespace.
pid_t host_pid() {
  char target[32] = {};
  const ssize_t n = ::readlink("/proc/self", target, sizeof target - 1);
  check(n, "readlink", "/proc/self");
  return static_cast<pid_t>(std::stol(target));
}

int setns_flag(NamespaceType type) {
  switch (type) {
    case NamespaceType::pid:
      return CLONE_NEWPID;
    case NamespaceType::network:
      return CLONE_NEWNET;
    case NamespaceType::mount:
      return CLONE_NEWNS;
    case NamespaceType::ipc:
      return CLONE_NEWIPC;
    case NamespaceType::uts:
      return CLONE_NEWUTS;
    case NamespaceType::user:
      return CLONE_NEWUSER;
    case NamespaceType::cgroup:
      return CLONE_NEWCGROUP;
    case NamespaceType::time:
      return CLONE_NEWTIME;
  }
  return 0;
}

void join_namespaces(const ProcessContext& context) {
  for (const auto& [type, fd] : context.join) {
    check(::setns(fd.get(), setns_flag(type)), "setns", std::string(name(type)) + " namespace");
  }
}

// config.json names capabilities; a name this kernel (or libcap) does not
// know is skipped with a warning, as runc does, so that one bundle runs on
// older kernels too.
std::vector<security::Capability> numbers(const std::vector<std::string>& names) {
  std::vector<security::Capability> caps;
  for (const auto& name : names) {
    try {
      caps.push_back(security::capability_from_name(name));
    } catch (const Error& error) {
      log::warn("{}: skipped", error.what());
    }
  }
  return caps;
}

security::CapabilitySets capability_sets(const Capabilities& caps) {
  return {.bounding = numbers(caps.bounding),
          .effective = numbers(caps.effective),
          .inheritable = numbers(caps.inheritable),
          .permitted = numbers(caps.permitted),
          .ambient = numbers(caps.ambient)};
}

// "RLIMIT_NOFILE" -> RLIMIT_NOFILE, through chapter 05's names ("nofile").
std::vector<security::Rlimit> rlimits(const std::vector<Rlimit>& limits) {
  std::vector<security::Rlimit> result;
  for (std::size_t i = 0; i < limits.size(); ++i) {
    const Rlimit& limit = limits[i];
    std::string short_name = limit.type.starts_with("RLIMIT_") ? limit.type.substr(7) : "";
    std::ranges::transform(short_name, short_name.begin(),
                           [](char c) { return static_cast<char>(std::tolower(c)); });
    const auto resource = security::resource_from_name(short_name);
    const std::string where = fmt::format("process.rlimits[{}]", i);
    if (!resource) throw Error(where, limit.type, "unknown rlimit type");
    if (limit.soft > limit.hard) throw Error(where, limit.type, "soft limit above hard limit");
    result.push_back({*resource, limit.soft, limit.hard});
  }
  return result;
}

// Becomes process.user. setuid(2) from root to another uid normally empties
// the effective and permitted capability sets (the "setuid fixup"); the
// secure bit SECBIT_NO_SETUID_FIXUP turns that off for the switch, so the
// capabilities config.json gives the user can be set afterwards.
void become_user(const User& user) {
  // #lab 06 become-user: Become process.user: groups, gid, uid, keeping the capabilities.
  // #hint Set SECBIT_NO_SETUID_FIXUP (prctl PR_GET_SECUREBITS / PR_SET_SECUREBITS) for the
  // #hint switch, and put the old bits back after it.
  // #hint setgroups(additional gids), then setresgid, then setresuid: after setresuid we could
  // #hint no longer change groups. setgroups fails with EPERM in a user namespace whose
  // #hint setgroups file says deny: that is fine when there are no groups to set.
  // #hint Then umask(user.umask, 022 when unset).
  // #region become-user
  const int securebits =
      static_cast<int>(check(::prctl(PR_GET_SECUREBITS), "prctl", "PR_GET_SECUREBITS"));
  check(::prctl(PR_SET_SECUREBITS, static_cast<unsigned long>(securebits) | SECBIT_NO_SETUID_FIXUP),
        "prctl", "PR_SET_SECUREBITS");
  std::vector<gid_t> groups(user.additional_gids.begin(), user.additional_gids.end());
  // A user namespace whose setgroups file says "deny" (rootless) refuses
  // setgroups(2) even with no groups; there are none to drop there then.
  if (::setgroups(groups.size(), groups.data()) == -1 && !(errno == EPERM && groups.empty())) {
    throw Error("setgroups", "process.user.additionalGids", errno);
  }
  check(::setresgid(user.gid, user.gid, user.gid), "setresgid", std::to_string(user.gid));
  check(::setresuid(user.uid, user.uid, user.uid), "setresuid", std::to_string(user.uid));
  check(::prctl(PR_SET_SECUREBITS, static_cast<unsigned long>(securebits)), "prctl",
        "PR_SET_SECUREBITS");
  ::umask(static_cast<mode_t>(user.umask.value_or(022)));
  // #endregion become-user
  // #endlab
}

// The command's path candidates, from the container's own PATH.
std::vector<std::string> candidates(const Process& process) {
  std::string path{process::kDefaultPath};
  for (const auto& variable : process.env) {
    if (variable.starts_with("PATH=")) path = variable.substr(5);
  }
  return process::exec_candidates(process.args.front(), path);
}

// How eagerly the OOM killer picks us. Set before the user switch: lowering
// it needs CAP_SYS_RESOURCE.
void set_oom_score_adj(int score) {
  const char* file = "/proc/self/oom_score_adj";
  const UniqueFd fd{static_cast<int>(check(::open(file, O_WRONLY | O_CLOEXEC), "open", file))};
  const std::string text = std::to_string(score);
  check(::write(fd.get(), text.data(), text.size()), "write " + text + " to", file);
}

// HOME, when process.env has none: the user's home in the container's
// /etc/passwd, or "/", as runc sets it.
std::string home_variable(const Process& process) {
  std::ifstream passwd("/etc/passwd");
  const std::string uid = std::to_string(process.user.uid);
  for (std::string line; std::getline(passwd, line);) {
    // name:password:UID:GID:comment:HOME:shell
    std::vector<std::string> fields;
    std::istringstream in(line);
    for (std::string field; std::getline(in, field, ':');) {
      fields.push_back(field);
    }
    if (fields.size() >= 6 && fields[2] == uid && !fields[5].empty()) return "HOME=" + fields[5];
  }
  return "HOME=/";
}

void run_hooks_with_status(std::string_view point, const std::vector<Hook>& hooks,
                           const State& state, Status status) {
  if (!hooks.empty()) run_hooks(point, hooks, to_json(state, status));
}

}  // namespace

void check_command(const Process& process) {
  if (process.args.empty()) throw Error("process.args", "", "no command given");
  for (const auto& candidate : candidates(process)) {
    if (::access(candidate.c_str(), X_OK) == 0) return;
  }
  throw Error("exec", "\"" + process.args.front() + "\"", "executable file not found in $PATH");
}

void confine(const Config& config, const Process& process) {
  namespace seccomp = security::seccomp;
  security::set_rlimits(rlimits(process.rlimits));
  const security::CapabilitySets caps = capability_sets(process.capabilities);
  const bool has_seccomp = config.linux && config.linux->seccomp;
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it
  // while we still have it, as runc does (so the filter must allow the
  // calls of the steps after it).
  if (has_seccomp && !process.no_new_privileges) {
    seccomp::load(seccomp_profile(*config.linux->seccomp), caps.effective,
                  seccomp::NoNewPrivs::leave);
  }
  become_user(process.user);
  security::set_capabilities(caps);
  if (process.no_new_privileges) security::set_no_new_privs();
  if (has_seccomp && process.no_new_privileges) {
    seccomp::load(seccomp_profile(*config.linux->seccomp), caps.effective);
  }
}

// #region set-up-process
void set_up_process(ProcessContext& context) {
  Trace trace("container");
  // The state directory stays locked by `create` until it returns; `start`
  // must be able to lock it while we wait for it.
  ::close(context.state_lock);
  const Config& config = *context.config;
  const Process& process = *config.process;
  context.state.pid = host_pid();
  // Relative paths in config.json (a bind mount's source) are the bundle's.
  check(::chdir(context.state.bundle.c_str()), "chdir", context.state.bundle);
  join_namespaces(context);
  if (process.oom_score_adj) set_oom_score_adj(*process.oom_score_adj);
  prepare_root(config, context.rootfs);
  trace.mark("mounts");
  run_hooks_with_status("createContainer", config.hooks.create_container, context.state,
                        Status::creating);
  switch_root(context.rootfs, context.no_pivot);
  finish_root(config);
  trace.mark("root");
  if (context.console_socket >= 0) set_up_console(UniqueFd{context.console_socket});
  confine(config, process);
  trace.mark("security");
  check_command(process);
}
// #endregion set-up-process

int wait_for_start_and_exec(const ProcessContext& context) {
  try {
    // #lab 06 exec-fifo: Wait for `start`: open the exec fifo for writing, and write one byte.
    // #hint context.exec_fifo is an O_PATH descriptor of the fifo, opened on the host before
    // #hint the root switch hid its path. /proc/self/fd/N reopens it, O_WRONLY | O_CLOEXEC;
    // #hint open(2) of a fifo for writing blocks until someone opens it for reading.
    // #hint `start` waits to read one byte: write it, then close the fifo (UniqueFd does).
    // #region exec-fifo
    // The fifo was opened O_PATH before the root switch hid it; reopening
    // it for writing through /proc blocks until `start` opens it to read.
    const std::string fifo = "/proc/self/fd/" + std::to_string(context.exec_fifo);
    const UniqueFd writer{
        static_cast<int>(check(::open(fifo.c_str(), O_WRONLY | O_CLOEXEC), "open", "exec fifo"))};
    check(::write(writer.get(), "0", 1), "write", "exec fifo");
    // #endregion exec-fifo
    // #endlab
    run_hooks_with_status("startContainer", context.config->hooks.start_container, context.state,
                          Status::running);
  } catch (const Error& error) {
    fmt::print(stderr, "berth-runtime: {}\n", error.what());
    return 1;
  }
  return exec_command(*context.config->process, context.preserve_fds);
}

int exec_command(const Process& process, int preserve_fds) {
  // Only stdio and the descriptors the caller asked to pass (--preserve-fds,
  // counted from 3) reach the command.
  ::syscall(SYS_close_range, 3U + static_cast<unsigned>(preserve_fds),
            std::numeric_limits<unsigned>::max(), CLOSE_RANGE_CLOEXEC);
  // We kept `create`'s signal mask (ns::start's entrypoint); exec keeps it
  // too, and a command should not start with signals blocked.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  std::vector<std::string> env = process.env;
  if (std::ranges::none_of(env, [](const auto& v) { return v.starts_with("HOME="); })) {
    env.push_back(home_variable(process));
  }
  const std::vector<char*> argv = process::c_array(process.args);
  const std::vector<char*> envp = process::c_array(env);
  int error = ENOENT;
  for (const auto& candidate : candidates(process)) {
    ::execve(candidate.c_str(), argv.data(), envp.data());
    if (errno != ENOENT) error = errno;
  }
  fmt::print(stderr, "berth-runtime: exec {}: {}\n", process.args.front(), errno_text(error));
  return error == ENOENT ? process::kExitNotFound : process::kExitCannotInvoke;
}

}  // namespace berth::runtime
