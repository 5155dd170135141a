// The container command line shared by the chapter programs from 03 on:
//
//   run --rootfs DIR [--ns LIST] [--hostname H] [--chroot | --pivot] -- CMD...
//
// berth-ch03 introduces it; berth-ch04 and berth-ch05 add their own flags
// (limits, security) to the same `run` and the same ns::ContainerSpec. Only
// the command line lives here: what a container is stays in src/ns.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "ns/container.h"

namespace berth::chapters {

struct ContainerCommand {
  std::string rootfs;
  std::string namespaces = "uts,pid,mnt,ipc,net,cgroup";
  std::optional<std::string> hostname;  // default "berth" in a uts namespace
  bool chroot = false;
  std::vector<std::string> command;
};

// Adds --rootfs, --ns, --hostname, --chroot, --pivot and the command to `run`.
void add_container_options(CLI::App& run, ContainerCommand& command);

// The container `command` describes: the namespaces (a user namespace is
// added when we are not root: rootless), uid/gid maps with a user namespace,
// the hostname, and the validated root filesystem. Throws berth::Error for
// an unknown namespace or a bad rootfs, naming it.
ns::ContainerSpec container_spec(const ContainerCommand& command);

}  // namespace berth::chapters
