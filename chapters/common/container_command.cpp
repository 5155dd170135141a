#include "container_command.h"

#include <unistd.h>

#include <algorithm>

#include "rootfs/rootfs.h"

namespace berth::chapters {
namespace {

bool has(const std::vector<ns::Namespace>& namespaces, ns::Namespace kind) {
  return std::ranges::count(namespaces, kind) > 0;
}

}  // namespace

void add_container_options(CLI::App& run, ContainerCommand& command) {
  run.add_option("--rootfs", command.rootfs, "the root filesystem (a directory)")
      ->type_name("DIR")
      ->required();
  run.add_option("--ns", command.namespaces,
                 "the namespaces to create, of uts,pid,mnt,ipc,net,cgroup,user")
      ->type_name("LIST")
      ->capture_default_str();
  run.add_option("--hostname", command.hostname,
                 "the container's hostname (default berth, with a uts namespace)")
      ->type_name("NAME");
  auto* chroot_flag =
      run.add_flag("--chroot", command.chroot, "switch root with chroot (escapable)");
  run.add_flag("--pivot")
      ->description("switch root with pivot_root (the default)")
      ->excludes(chroot_flag);
  run.add_option("command", command.command, "the command and its arguments")
      ->type_name("CMD")
      ->required();
}

ns::ContainerSpec container_spec(const ContainerCommand& command) {
  ns::ContainerSpec spec;
  spec.argv = command.command;
  spec.env = rootfs::container_environment();
  spec.namespaces = ns::parse_namespaces(command.namespaces);
  // Rootless: only in a user namespace of its own may an ordinary user
  // create the other namespaces (it is their root there), so one is added.
  if (!has(spec.namespaces, ns::Namespace::user) && ::geteuid() != 0) {
    spec.namespaces.push_back(ns::Namespace::user);
  }
  if (has(spec.namespaces, ns::Namespace::user)) {
    spec.uid_map = ns::default_id_map(true);
    spec.gid_map = ns::default_id_map(false);
  }
  // A hostname given without a uts namespace is refused by ns::start(): the
  // host's must not change.
  if (command.hostname) {
    spec.hostname = command.hostname;
  } else if (has(spec.namespaces, ns::Namespace::uts)) {
    spec.hostname = "berth";
  }
  spec.rootfs = rootfs::Options{
      .rootfs = rootfs::validate(command.rootfs),
      .how = command.chroot ? rootfs::RootSwitch::chroot : rootfs::RootSwitch::pivot_root,
  };
  return spec;
}

}  // namespace berth::chapters
