#include "ch02.h"

#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

namespace berth::test::ch02 {

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  REQUIRE(out.good());
}

CommandResult run_ch02(const fs::path& rootfs, const std::vector<std::string>& flags,
                       const std::vector<std::string>& command) {
  return run_container("berth-ch02", rootfs, flags, command);
}

CommandResult sh(const fs::path& rootfs, const std::vector<std::string>& flags,
                 const std::string& script) {
  return run_ch02(rootfs, flags, {"/bin/sh", "-c", script});
}

std::vector<MountEntry> parse_mountinfo(const std::string& text) {
  // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
  // (1)(2)(3)   (4)   (5)      (6)      (7...)  (-) (type) ...
  std::vector<MountEntry> mounts;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string id, parent, device, root;
    MountEntry entry;
    fields >> id >> parent >> device >> root >> entry.mount_point >> entry.options;
    std::string field;
    while (fields >> field && field != "-") {
      // optional fields ("shared:1", "master:2"): not needed here
    }
    fields >> entry.fstype;
    if (!entry.fstype.empty()) {
      mounts.push_back(entry);
    }
  }
  return mounts;
}

MountEntry find_mount(const std::vector<MountEntry>& mounts, const std::string& mount_point) {
  for (const auto& entry : mounts) {
    if (entry.mount_point == mount_point) {
      return entry;
    }
  }
  FAIL("no mount at " << mount_point);
  return {};
}

}  // namespace berth::test::ch02
