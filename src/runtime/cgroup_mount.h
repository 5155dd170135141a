// cgroup_mount — what a "cgroup" entry of config.mounts stands for.
//
// A container should see its own cgroups at /sys/fs/cgroup, not the host's
// tree: tools inside (systemd, JVMs sizing their heap) read their limits
// there. There is no single filesystem to mount for that, so, as runc does,
// one "cgroup" entry becomes several ordinary mounts:
//
//   cgroup v1   a tmpfs at the destination, then one mount per hierarchy at
//               DEST/<the hierarchy's directory name>: a bind of the
//               container's own cgroup directory in that hierarchy (or, in a
//               new cgroup namespace, the hierarchy's filesystem itself,
//               which the namespace already shows from the container's
//               cgroup down); plus links such as DEST/cpu -> cpu,cpuacct
//               where a hierarchy joins controllers;
//   cgroup v2   a cgroup2 mount in a new cgroup namespace, otherwise a bind of
//               the container's own cgroup directory.
//
// "The container's own cgroup" is read from /proc/self/cgroup: the runtime
// calls this in the container's process, already moved into its cgroups.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cgroup/cgroup.h"
#include "cgroup/hierarchies.h"
#include "runtime/config.h"

namespace berth::runtime {

// A symlink to make: `path` (in the container's view) pointing to `target`.
struct Symlink {
  std::string path;
  std::string target;
};

struct CgroupMounts {
  std::vector<Mount> mounts;  // in order; none of type "cgroup" with a new namespace's meaning
  std::vector<Symlink> links;
};

// The mounts for `mount` (an entry of type "cgroup"), given the host's cgroup
// `version`, its v1 `hierarchies` (mount points with root "/"), and the text
// of /proc/self/cgroup. `cgroupns`: the container has a cgroup namespace.
// The entry's options (ro, nosuid...) go to each bind. Throws berth::Error
// when /proc/self/cgroup has no line for a hierarchy or is malformed.
CgroupMounts cgroup_mounts(const Mount& mount, bool cgroupns, cgroup::Version version,
                           const std::vector<cgroup::Hierarchy>& hierarchies,
                           std::string_view proc_self_cgroup);

// The same, for this host and the calling process, with the hierarchies of
// cgroup::v1_hierarchies() and the named ones (cgroup::named_v1_hierarchies()).
CgroupMounts cgroup_mounts(const Mount& mount, bool cgroupns);

}  // namespace berth::runtime
