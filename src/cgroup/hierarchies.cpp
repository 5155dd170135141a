#include "cgroup/hierarchies.h"

#include <sstream>

#include "cgroup/files.h"
#include "rootfs/mountinfo.h"

namespace berth::cgroup {
namespace {

// The options of a v1 mount's super options ("rw,cpu,cpuacct,name=systemd").
std::vector<std::string> options_of(const std::string& super_options) {
  std::vector<std::string> options;
  std::istringstream in(super_options);
  for (std::string option; std::getline(in, option, ',');) {
    options.push_back(option);
  }
  return options;
}

// The controllers among them: every option but the generic ones and
// name=... (a hierarchy with no controller, like systemd's).
std::vector<std::string> controllers_of(const std::string& super_options) {
  std::vector<std::string> controllers;
  for (auto& option : options_of(super_options)) {
    if (option != "rw" && option != "ro" && option.find('=') == std::string::npos &&
        option != "noprefix" && option != "clone_children" && option != "xattr") {
      controllers.push_back(std::move(option));
    }
  }
  return controllers;
}

}  // namespace

std::vector<Hierarchy> parse_v1_hierarchies(std::string_view mountinfo) {
  std::vector<Hierarchy> hierarchies;
  for (const auto& mount : rootfs::parse_mountinfo(mountinfo)) {
    if (mount.type != "cgroup") continue;
    auto controllers = controllers_of(mount.super_options);
    if (!controllers.empty()) hierarchies.push_back({mount.mount_point, std::move(controllers)});
  }
  return hierarchies;
}

std::vector<Hierarchy> v1_hierarchies() {
  return parse_v1_hierarchies(read_file("/proc/self/mountinfo"));
}

std::vector<Hierarchy> parse_named_v1_hierarchies(std::string_view mountinfo) {
  std::vector<Hierarchy> named;
  for (const auto& mount : rootfs::parse_mountinfo(mountinfo)) {
    if (mount.type != "cgroup") continue;
    for (const auto& option : options_of(mount.super_options)) {
      if (option.starts_with("name=")) named.push_back({mount.mount_point, {option}});
    }
  }
  return named;
}

std::vector<Hierarchy> named_v1_hierarchies() {
  return parse_named_v1_hierarchies(read_file("/proc/self/mountinfo"));
}

}  // namespace berth::cgroup
