// pivot_root: switch the root mount, then detach the old one.
#include "rootfs/pivot_root.h"

#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"
#include "rootfs/mounts.h"

namespace berth::rootfs {
namespace {

// glibc has no wrapper for pivot_root; the system call is all there is.
int pivot_root(const char* new_root, const char* put_old) {
  return static_cast<int>(::syscall(SYS_pivot_root, new_root, put_old));
}

}  // namespace

void enter_pivot_root(const std::string& rootfs) {
  // #lab 02 pivot-root: Switch the root with pivot_root and detach the old one.
  // #hint pivot_root needs new_root to be a mount point: bind-mount it onto itself.
  // #hint pivot_root(".", ".") after chdir(rootfs) stacks the old root on top of the new one.
  // #hint umount2(".", MNT_DETACH) then takes the old root away, with every mount below it.
  // #hint Finish with chdir("/"), and wrap each call in check() so errors name the path.
  // #region pivot-root
  // pivot_root moves mounts, not directories: new_root must be a mount
  // point. Binding the rootfs onto itself makes it one; MS_REC brings along
  // the /proc, /sys, /dev and /tmp mounted beneath it.
  bind_mount(rootfs, rootfs);

  // pivot_root(".", ".") puts the old root on top of the new one, at the
  // same place. It saves a put_old directory that would otherwise have to
  // exist inside the rootfs (pivot_root(2), NOTES).
  check(::chdir(rootfs.c_str()), "chdir", rootfs);
  check(pivot_root(".", "."), "pivot_root", rootfs);

  // The old root, stacked on "/", is the host's whole filesystem. MNT_DETACH
  // takes it out of the namespace now, with every mount below it, even
  // though it is busy (we stand on it); the kernel frees it when the last
  // user lets go. From here on there is nothing of the host to reach.
  check(::umount2(".", MNT_DETACH), "unmount the old root at", rootfs);
  check(::chdir("/"), "chdir", "/");
  // #endregion pivot-root
  // #endlab
}

}  // namespace berth::rootfs
