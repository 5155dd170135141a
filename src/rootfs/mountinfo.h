// rootfs/mountinfo — what is mounted where, as the kernel lists it.
//
// /proc/self/mountinfo has one line per mount of the reader's mount
// namespace:
//
//   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//   id parent dev root mount-point options [optional fields...] - type source super-options
//
// Chapter 04 reads it to find the cgroup v1 hierarchies, chapter 06 to find
// the host's proc and sysfs mounts and the named cgroup hierarchies.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth::rootfs {

struct MountEntry {
  std::string root;           // the mounted directory within its filesystem: "/"
  std::string mount_point;    // where it is mounted ("\040" and friends undone)
  std::string type;           // "proc", "cgroup", "ext4"
  std::string super_options;  // the filesystem's own options: "rw,cpu,cpuacct"
};

// The mounts of a mountinfo text, in its order; malformed lines are skipped.
std::vector<MountEntry> parse_mountinfo(std::string_view text);

// The mounts of the calling process's mount namespace (/proc/self/mountinfo).
// Throws berth::Error if it cannot be read.
std::vector<MountEntry> read_mountinfo();

}  // namespace berth::rootfs
