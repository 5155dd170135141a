// chroot: switch the root of path lookups (and nothing else).
#include "rootfs/chroot.h"

#include <unistd.h>

#include "common/error.h"

namespace berth::rootfs {

void enter_chroot(const std::string& rootfs) {
  // #region chroot
  check(::chroot(rootfs.c_str()), "chroot", rootfs);
  // chroot leaves the current directory where it was: outside the new root,
  // a door left open. Step inside. (A second chroot by a root process can
  // open such a door again; that is the escape.)
  check(::chdir("/"), "chdir", "/");
  // #endregion chroot
}

}  // namespace berth::rootfs
