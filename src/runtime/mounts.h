// runtime/mounts — the container's root filesystem as config.json describes it.
//
// Chapter 06. Chapter 02 mounted a fixed set of filesystems (/proc, /sys,
// /dev, /tmp). An OCI bundle lists its own ("mounts" in config.json), with
// mount(8)-style options, and runc's conventions fill in the rest: the
// default device nodes in /dev, the /dev/fd and /dev/std* links, /dev/ptmx
// pointing into the container's devpts, a cgroup filesystem that shows the
// container its own cgroups. This module does that in three steps, in the
// container's child process, in a mount namespace of its own:
//
//   prepare_root   all mounts made private; the root bound onto itself; each
//                  of config.mounts under it, in order; the default devices
//   (the runtime runs the createContainer hooks here: mounts done, root not
//    yet switched)
//   switch_root    pivot_root (or, for --no-pivot, MS_MOVE and chroot)
//   finish_root    the root made read-only if root.readonly; maskedPaths,
//                  readonlyPaths; linux.sysctl written under /proc/sys
//
// Every function throws berth::Error naming the call and the path that failed:
//     mount proc on /x/rootfs/proc: operation not permitted
//     mounts[3].options: "bogus=": ...
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "runtime/config.h"

namespace berth::runtime {

// What mount(2) needs, from a mount's "options" (mount(8)'s names: "ro",
// "nosuid", "nodev", "noexec", "rbind", "bind", "rprivate", "mode=755", ...).
struct MountOptions {
  unsigned long flags = 0;        // MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC ...
  unsigned long propagation = 0;  // MS_PRIVATE, MS_SLAVE, MS_SHARED, MS_UNBINDABLE (| MS_REC)
  std::string data;               // the options mount(2) passes to the filesystem: "mode=755,size=65536k"
};

// Turns mount(8) option names into flags; what is not a flag ("mode=755")
// goes to data, comma-separated, in order. Throws berth::Error naming the
// option for an empty one.
MountOptions parse_mount_options(const std::vector<std::string>& options);

// Step 1, before the root switch (see above). `rootfs` is the absolute path of
// the root on the host. A destination is resolved inside `rootfs` (symlinks
// in the container's tree never lead out of it); missing mount points are
// created (a directory, or an empty file for a file bind mount).
void prepare_root(const Config& config, const std::filesystem::path& rootfs);

// Step 2: makes `rootfs` the root. `no_pivot`: runc's --no-pivot, for roots
// on a ramfs where pivot_root(2) is refused.
void switch_root(const std::filesystem::path& rootfs, bool no_pivot);

// Step 3, after the root switch, while the container still has the
// capabilities to mount.
void finish_root(const Config& config);

}  // namespace berth::runtime
