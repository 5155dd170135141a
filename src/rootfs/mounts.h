// mounts — mount propagation, and the pseudo-filesystems under a rootfs.
//
// All of these run in the container's child, in a mount namespace of its
// own. None of them unmounts anything: a mount namespace is itself the RAII
// for its mounts, and everything here disappears when the last process in
// the namespace exits.
#pragma once

#include <string>

namespace berth::rootfs {

// Marks every mount of this mount namespace private, recursively.
//
// A new mount namespace starts as a copy of its parent's, and a copy of a
// shared mount stays in the same peer group: anything mounted beneath it
// afterwards would propagate back into the host's namespace. Private cuts
// those links, so this must come before any other mount. pivot_root also
// refuses (EINVAL) to move a root whose mount is shared.
void make_mounts_private();

// mount(2) of a filesystem of type `fstype` on `target`. Throws berth::Error
// naming both: "mount proc on /x/rootfs/proc: permission denied".
void mount_filesystem(const char* fstype, const std::string& target, unsigned long flags,
                      const char* data = nullptr);

// Makes `source` visible at `target` too (MS_BIND | MS_REC: with the mounts
// beneath it). Throws "bind-mount SOURCE on TARGET: <why>".
void bind_mount(const std::string& source, const std::string& target);

// Makes sure `path` is a directory that can be mounted on: creates it (mode
// 0755) when it is missing. Refuses a symlink: a rootfs is untrusted input,
// and a symlinked /proc could point the mount at any directory of the host.
void ensure_mount_point(const std::string& path);

// Mounts under `rootfs`: proc on /proc, sysfs read-only on /sys, a tmpfs on
// /tmp. Creates the mount points when they are missing.
void mount_pseudo_filesystems(const std::string& rootfs);

}  // namespace berth::rootfs
