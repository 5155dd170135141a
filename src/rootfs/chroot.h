// chroot — the oldest way to give a process another "/".
//
// chroot(2) changes one thing: the directory at which the calling process's
// absolute path lookups start, and past which ".." does not climb. It does
// not change the mount namespace, and it does not move the current
// directory. A process that can call chroot again (CAP_SYS_CHROOT, which
// root has) can therefore climb out: chroot into a subdirectory while its
// current directory stays outside, then ".." its way up to the real root.
// chapters/02-rootfs/chroot_escape.cpp does exactly that.
//
// Berth keeps chroot to show the difference; containers use pivot_root.
#pragma once

#include <string>

namespace berth::rootfs {

// Makes `rootfs` the root of the calling process and changes directory to
// it, so that no directory of the caller is left outside the new root.
// Throws berth::Error: "chroot /x/rootfs: operation not permitted".
void enter_chroot(const std::string& rootfs);

}  // namespace berth::rootfs
