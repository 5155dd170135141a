// Checking a root filesystem before a container is started from it.
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "common/error.h"
#include "rootfs/rootfs.h"

namespace berth::rootfs {

std::string validate(const std::string& rootfs) {
  // Checked in the parent, before any clone: a bad path is the user's
  // mistake, and deserves a message about the path rather than about
  // whichever mount or pivot_root would later trip over it.
  struct stat info {};
  check(::stat(rootfs.c_str(), &info), "rootfs", rootfs);
  if (!S_ISDIR(info.st_mode)) {
    throw Error("rootfs", rootfs, ENOTDIR);
  }
  std::error_code error;
  const std::filesystem::directory_iterator first{rootfs, error};
  if (error) {
    throw Error("rootfs", rootfs, error.value());
  }
  if (first == std::filesystem::directory_iterator{}) {
    throw Error("rootfs", rootfs, "is empty");
  }
  // pivot_root and the error messages want one unambiguous absolute path.
  const auto canonical = std::filesystem::canonical(rootfs, error);
  if (error) {
    throw Error("rootfs", rootfs, error.value());
  }
  return canonical.string();
}

}  // namespace berth::rootfs
