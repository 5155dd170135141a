// A "cgroup" mount entry, turned into the mounts that show a container its
// own cgroups.
#include "runtime/cgroup_mount.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "cgroup/files.h"
#include "common/error.h"
#include "runtime/mounts.h"

namespace berth::runtime {
namespace {

// /proc/self/cgroup: "4:memory:/a/b", "2:cpu,cpuacct:/a/b", "0::/a/b" (v2).
// Gives each controller's path; the v2 path under the name "".
std::map<std::string, std::string> own_cgroups(std::string_view proc_self_cgroup) {
  std::map<std::string, std::string> paths;
  std::istringstream lines{std::string(proc_self_cgroup)};
  for (std::string line; std::getline(lines, line);) {
    const auto first = line.find(':');
    const auto second = line.find(':', first == std::string::npos ? first : first + 1);
    if (second == std::string::npos || line.size() == second + 1 || line[second + 1] != '/') {
      throw Error("read", "/proc/self/cgroup", "malformed line \"" + line + "\"");
    }
    std::istringstream controllers(line.substr(first + 1, second - first - 1));
    std::string controller;
    if (first + 1 == second) paths[""] = line.substr(second + 1);
    while (std::getline(controllers, controller, ',')) {
      paths[controller] = line.substr(second + 1);
    }
  }
  return paths;
}

// The entry's propagation options ("rprivate"...), which runc passes on to
// every mount it makes for the entry.
std::vector<std::string> propagation_of(const Mount& mount) {
  std::vector<std::string> options;
  for (const auto& option : mount.options) {
    if (!option.empty() && parse_mount_options({option}).propagation != 0) {
      options.push_back(option);
    }
  }
  return options;
}

std::vector<std::string> concat(std::vector<std::string> head,
                                const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

// A bind of the host's `directory` at `destination`, with the entry's options.
Mount bind(const Mount& entry, const std::string& destination, const std::string& directory) {
  return {destination, "bind", directory, concat({"rbind"}, entry.options)};
}

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) {
    text += (text.empty() ? "" : ",") + name;
  }
  return text;
}

}  // namespace

CgroupMounts cgroup_mounts(const Mount& mount, bool cgroupns, cgroup::Version version,
                           const std::vector<cgroup::Hierarchy>& hierarchies,
                           std::string_view proc_self_cgroup) {
  const auto own = own_cgroups(proc_self_cgroup);
  CgroupMounts result;
  if (version == cgroup::Version::v2) {
    if (cgroupns) {
      // The namespace makes the container's cgroup the root of what cgroup2
      // shows: a plain mount is already the container's own view.
      result.mounts.push_back({mount.destination, "cgroup2", "cgroup", mount.options});
    } else if (own.contains("")) {
      result.mounts.push_back(bind(mount, mount.destination, "/sys/fs/cgroup" + own.at("")));
    } else {
      throw Error("read", "/proc/self/cgroup", "no cgroup v2 line");
    }
    return result;
  }

  // v1: a tmpfs to hold one directory per hierarchy, like the host's
  // /sys/fs/cgroup. runc mounts it writable, whatever the entry says.
  result.mounts.push_back(
      {mount.destination, "tmpfs", "tmpfs",
       concat({"nosuid", "nodev", "noexec", "mode=755"}, propagation_of(mount))});
  for (const auto& hierarchy : hierarchies) {
    const std::string name = hierarchy.mount_point.filename();
    const std::string destination = mount.destination + "/" + name;
    const auto path = own.find(hierarchy.controllers.front());
    if (path == own.end()) {
      throw Error("read", "/proc/self/cgroup", "no line for the " + name + " hierarchy");
    }
    if (cgroupns) {
      // The controllers' names as the data: "cpu,cpuacct".
      result.mounts.push_back({destination, "cgroup", "cgroup",
                               concat(mount.options, {joined(hierarchy.controllers)})});
    } else {
      result.mounts.push_back(
          bind(mount, destination, hierarchy.mount_point.string() + path->second));
    }
    // "cpu,cpuacct" is also reachable as "cpu" and "cpuacct", as on the host.
    if (name.find(',') != std::string::npos) {
      std::istringstream parts(name);
      for (std::string part; std::getline(parts, part, ',');) {
        result.links.push_back({mount.destination + "/" + part, name});
      }
    }
  }
  return result;
}

CgroupMounts cgroup_mounts(const Mount& mount, bool cgroupns) {
  const cgroup::Version version = cgroup::detect_version();
  std::vector<cgroup::Hierarchy> hierarchies;
  if (version == cgroup::Version::v1) {
    hierarchies = cgroup::v1_hierarchies();
    // cgroup::v1_hierarchies() lists the hierarchies with controllers; runc
    // also shows the named ones (systemd's), which hold no controller.
    for (auto& named : cgroup::named_v1_hierarchies()) {
      if (std::ranges::none_of(hierarchies, [&](const auto& known) {
            return known.mount_point == named.mount_point;
          })) {
        hierarchies.push_back(std::move(named));
      }
    }
  }
  return cgroup_mounts(mount, cgroupns, version, hierarchies,
                       cgroup::read_file("/proc/self/cgroup"));
}

}  // namespace berth::runtime
