// Where the cgroup v1 hierarchies are mounted, read from /proc/self/mountinfo.
//
// On v1 each hierarchy carries one or more controllers and is mounted on its
// own, and distributions disagree on how: Debian mounts cpu and cpuacct
// separately, Fedora and Ubuntu join them as /sys/fs/cgroup/cpu,cpuacct (with
// symlinks cpu and cpuacct pointing there), a container may see neither.
// The kernel says exactly what is mounted where, so we ask it instead of
// guessing paths: that is the bug of many small engines, which write to
// /sys/fs/cgroup/cpu/... and break on hosts that name it otherwise.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace berth::cgroup {

struct Hierarchy {
  std::filesystem::path mount_point;     // "/sys/fs/cgroup/cpu,cpuacct"
  std::vector<std::string> controllers;  // {"cpu", "cpuacct"}
};

// The cgroup (v1) mounts in a mountinfo text, in its order. Lines of other
// filesystems are skipped; so are malformed lines.
std::vector<Hierarchy> parse_v1_hierarchies(std::string_view mountinfo);

// The v1 hierarchies this process sees (/proc/self/mountinfo).
std::vector<Hierarchy> v1_hierarchies();

// The named v1 hierarchies (mounted with name=..., no controller, like
// systemd's) in a mountinfo text; their `controllers` is {"name=systemd"},
// the name /proc/self/cgroup gives them.
std::vector<Hierarchy> parse_named_v1_hierarchies(std::string_view mountinfo);

// The named v1 hierarchies this process sees.
std::vector<Hierarchy> named_v1_hierarchies();

}  // namespace berth::cgroup
