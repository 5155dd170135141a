// Entering a root filesystem: the order of the steps, and why.
#include "rootfs/rootfs.h"

#include <cstdlib>

#include "process/path_search.h"
#include "rootfs/chroot.h"
#include "rootfs/devices.h"
#include "rootfs/mounts.h"
#include "rootfs/pivot_root.h"

namespace berth::rootfs {

std::vector<std::string> container_environment() {
  std::vector<std::string> env = {"PATH=" + std::string(process::kDefaultPath), "HOME=/root"};
  if (const char* term = std::getenv("TERM")) {
    env.push_back(std::string("TERM=") + term);
  }
  return env;
}

void enter(const Options& options) {
  // #region enter
  // First, before any mount: nothing mounted from here on may propagate
  // back to the host's mount namespace.
  make_mounts_private();

  // Mount under the rootfs while we still see the host's tree: that is
  // where /dev's fallback nodes come from, and the paths are plain.
  mount_pseudo_filesystems(options.rootfs);
  populate_dev(options.rootfs);

  switch (options.how) {
    case RootSwitch::chroot:
      enter_chroot(options.rootfs);
      break;
    case RootSwitch::pivot_root:
      enter_pivot_root(options.rootfs);
      break;
  }
  // #endregion enter
}

}  // namespace berth::rootfs
