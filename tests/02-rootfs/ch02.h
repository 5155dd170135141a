// Helpers shared by chapter 02's tests: a container's rootfs in a temporary
// directory, running berth-ch02 on it, and reading mountinfo.
#pragma once

#include <string>
#include <vector>

#include "support/support.h"

namespace berth::test::ch02 {

// A private copy of the busybox rootfs at TMP/rootfs, removed with TMP.
struct Sandbox {
  TempDir tmp;
  fs::path rootfs = copy_busybox_rootfs(tmp / "rootfs");
};

// Writes `text` to `path`, replacing it.
void write_text(const fs::path& path, const std::string& text);

// berth-ch02 run --rootfs ROOTFS FLAGS... -- COMMAND...
CommandResult run_ch02(const fs::path& rootfs, const std::vector<std::string>& flags,
                       const std::vector<std::string>& command);

// The same, with COMMAND given as a busybox shell script: /bin/sh -c SCRIPT.
CommandResult sh(const fs::path& rootfs, const std::vector<std::string>& flags,
                 const std::string& script);

// One line of /proc/self/mountinfo.
struct MountEntry {
  std::string mount_point;
  std::string options;  // per-mount options: "ro,nosuid,..."
  std::string fstype;
};

std::vector<MountEntry> parse_mountinfo(const std::string& text);

// The entry whose mount point is `mount_point`; fails the test if none.
MountEntry find_mount(const std::vector<MountEntry>& mounts, const std::string& mount_point);

}  // namespace berth::test::ch02
