// enter(): join a running container's namespaces and run a second command there.
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "common/error.h"
#include "common/fd.h"
#include "ns/container.h"
#include "ns/id_map.h"

namespace berth::ns {
namespace {

// setns(2) takes a file descriptor of /proc/PID/ns/NAME, a handle on the
// namespace itself. The order matters: the user namespace first, since
// joining it gives us the capabilities there that joining the others (which
// it owns) requires; the mount namespace last but for nothing, since it
// changes what /proc we see.
constexpr const char* kJoinOrder[] = {"user", "cgroup", "ipc", "uts", "net", "pid", "mnt"};

UniqueFd open_path(const std::string& path, int flags) {
  return UniqueFd{static_cast<int>(check(::open(path.c_str(), flags | O_CLOEXEC), "open", path))};
}

// Whether two namespace files are the same namespace (the same inode of nsfs).
bool same_namespace(const UniqueFd& a, const UniqueFd& b) {
  struct stat first {};
  struct stat second {};
  check(::fstat(a.get(), &first), "fstat", "a namespace");
  check(::fstat(b.get(), &second), "fstat", "a namespace");
  return first.st_dev == second.st_dev && first.st_ino == second.st_ino;
}

}  // namespace

// Opens everything first, while /proc/PID still means the container's
// process: after setns into its mount namespace our /proc is another one.
Target open_target(pid_t pid) {
  const std::string proc = "/proc/" + std::to_string(pid);
  Target target;
  for (const char* name : kJoinOrder) {
    target.namespaces.emplace_back(name, open_path(proc + "/ns/" + name, O_RDONLY));
  }
  target.root = open_path(proc + "/root", O_PATH | O_DIRECTORY);
  target.cwd = open_path(proc + "/cwd", O_PATH | O_DIRECTORY);
  return target;
}

void join(const Target& target) {
  // #lab 03 join: Join the target's namespaces in order, then its root and working directory.
  // #hint Skip a namespace that is same_namespace() as our /proc/self/ns/NAME: setns to our
  // #hint own user namespace fails. setns(fd, 0) joins the namespace that fd refers to.
  // #hint Then fchdir(target.root) and chroot("."), and fchdir(target.cwd).
  // #hint Having joined "user", our ids are unmapped there: become_root() takes uid 0.
  // #region join
  bool joined_user = false;
  for (const auto& [name, fd] : target.namespaces) {
    const std::string ours = "/proc/self/ns/" + name;
    if (same_namespace(fd, open_path(ours, O_RDONLY))) continue;
    check(::setns(fd.get(), 0), "setns", name + " namespace");
    joined_user = joined_user || name == "user";
  }
  // The root of a process is not part of any namespace: a container made
  // with chroot has the mount namespace's root above its own. Take the
  // container's root as its /proc/PID/root shows it, then its cwd.
  check(::fchdir(target.root.get()), "fchdir", "the container's root");
  check(::chroot("."), "chroot", "the container's root");
  check(::fchdir(target.cwd.get()), "fchdir", "the container's working directory");
  if (joined_user) become_root();
  // #endregion join
  // #endlab
}

// #region enter
int enter(pid_t pid, const std::vector<std::string>& argv,
          const std::optional<std::vector<std::string>>& env) {
  const Target target = open_target(pid);
  process::SpawnOptions command;
  command.argv = argv;
  command.env = env;
  // A child of ours joins, so that we stay where we are. Joining a PID
  // namespace changes only that of the joiner's future children (a process
  // keeps its pid), so the joiner starts the command as its own child, the
  // first of its processes to be inside the container's PID namespace.
  process::SpawnOptions joiner;
  joiner.before_exec = [&] { join(target); };
  joiner.instead_of_exec = [&] {
    process::Child child = process::spawn(command);
    return process::wait_forwarding_signals(child);
  };
  const process::BlockedSignals signals;  // from before the joiner exists
  process::Child child = process::spawn(joiner);
  return process::wait_forwarding_signals(child);
}
// #endregion enter

}  // namespace berth::ns
