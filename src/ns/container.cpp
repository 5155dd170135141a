// start(): clone into new namespaces, let the parent map ids, set up the
// child, and make it the container's init.
#include "ns/container.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "common/error.h"
#include "common/fd.h"
#include "ns/id_map.h"
#include "ns/loopback.h"
#include "process/init.h"

namespace berth::ns {
namespace {

bool has(const ContainerSpec& spec, Namespace ns) {
  return std::find(spec.namespaces.begin(), spec.namespaces.end(), ns) != spec.namespaces.end();
}

std::string names(const std::vector<Namespace>& namespaces) {
  std::string list;
  for (const Namespace ns : namespaces) {
    list += (list.empty() ? "" : ",") + std::string(name_of(ns));
  }
  return list.empty() ? "(none)" : list;
}

// Refuses, before anything starts, what the kernel would refuse half-way.
void validate(const ContainerSpec& spec) {
  const auto refuse = [&](const std::string& why) {
    throw Error("namespaces", names(spec.namespaces), why);
  };
  if (spec.argv.empty() && !spec.entrypoint) throw Error("start container", "", "no command given");
  if (spec.hostname && !has(spec, Namespace::uts)) {
    refuse("a hostname needs a UTS namespace: add uts");
  }
  if (spec.rootfs && !has(spec, Namespace::mount)) {
    refuse("a root filesystem needs a mount namespace: add mnt");
  }
  if (has(spec, Namespace::user)) {
    if (spec.uid_map.empty() || spec.gid_map.empty()) refuse("a user namespace needs id maps");
    // The kernel lets the root of a user namespace mount proc only for a
    // PID namespace, and sysfs only for a network namespace, that its own
    // user namespace owns.
    if (spec.rootfs && !has(spec, Namespace::pid)) {
      refuse("in a user namespace, mounting /proc needs a PID namespace: add pid");
    }
    if (spec.rootfs && !has(spec, Namespace::net)) {
      refuse("in a user namespace, mounting /sys needs a network namespace: add net");
    }
  } else if (!spec.uid_map.empty() || !spec.gid_map.empty()) {
    refuse("id maps need a user namespace: add user");
  }
}

// In the child: blocks until the parent has done its part, which it tells
// by writing one byte. End-of-file means the parent gave up (or died).
void wait_for_parent(const UniqueFd& go) {
  char byte = 0;
  ssize_t n = 0;
  do {
    n = ::read(go.get(), &byte, 1);
  } while (n == -1 && errno == EINTR);
  check(n, "read", "the parent's go-ahead");
  if (n == 0) throw Error("wait for the parent", "", "the parent gave up");
}

// In the parent, right after clone: what only the parent can do.
void prepare_from_parent(const ContainerSpec& spec, pid_t pid, UniqueFd& go) {
  if (has(spec, Namespace::user)) write_id_maps(pid, spec.uid_map, spec.gid_map);
  for (const auto& hook : spec.parent_hooks) {
    hook(pid);
  }
  check(::write(go.get(), "1", 1), "write", "the child's go-ahead");
  go.reset();
}

// #region set-up-child
// In the child, between clone and becoming the init (spawn's before_exec).
void set_up_child(const ContainerSpec& spec) {
  if (has(spec, Namespace::user)) {
    become_root();
    // Made now and not at clone: the kernel makes an IPC namespace's mqueue
    // filesystem with it, owned by its maker; made by root of the new user
    // namespace, /dev/mqueue belongs to the container's root, as with runc.
    if (has(spec, Namespace::ipc)) check(::unshare(CLONE_NEWIPC), "unshare", "an IPC namespace");
  }
  // Made now and not at clone: the parent hooks have just put us in the
  // container's cgroups, and a new cgroup namespace takes the cgroups we
  // are in as its root, so the container sees its own cgroup as "/".
  if (has(spec, Namespace::cgroup)) {
    check(::unshare(CLONE_NEWCGROUP), "unshare", "a cgroup namespace");
  }
  if (spec.hostname) {
    check(::sethostname(spec.hostname->data(), spec.hostname->size()), "sethostname",
          *spec.hostname);
  }
  if (has(spec, Namespace::net)) bring_up_loopback();
  if (spec.rootfs) rootfs::enter(*spec.rootfs);
  for (const auto& hook : spec.child_hooks) {
    hook();
  }
}
// #endregion set-up-child

}  // namespace

// #region start
Container start(const ContainerSpec& spec) {
  validate(spec);
  // The child must not go on before the parent has written its id maps
  // (until then it has no ids) and run the parent hooks (until then it is
  // not in its cgroups): it waits for a byte on this pipe.
  Pipe go = make_pipe();

  process::SpawnOptions init;
  init.cwd = spec.cwd;
  // The cgroup namespace is unshared later, in set_up_child().
  init.clone_flags = clone_flags(spec.namespaces) & ~CLONE_NEWCGROUP;
  if (has(spec, Namespace::user)) init.clone_flags &= ~CLONE_NEWIPC;  // see set_up_child()
  init.after_clone = [&](pid_t pid) {
    go.read_end.reset();
    prepare_from_parent(spec, pid, go.write_end);
  };
  init.before_exec = [&] {
    go.write_end.reset();  // or we would never see the parent give up
    wait_for_parent(go.read_end);
    set_up_child(spec);
  };
  // The child does not exec: it is PID 1 of the new PID namespace, and
  // starts the command as its child, under the chapter 01 init.
  process::SpawnOptions command;
  command.argv = spec.argv;
  command.env = spec.env;
  init.instead_of_exec =
      spec.entrypoint ? spec.entrypoint : [&] { return process::run_init(command); };
  return Container{process::spawn(init)};
}
// #endregion start

int run(const ContainerSpec& spec) {
  // Blocked before the start, so a signal that comes early waits for us.
  const process::BlockedSignals signals;
  Container container = start(spec);
  return container.wait_forwarding_signals();
}

}  // namespace berth::ns
