// pivot_root — switch the root of a whole mount namespace.
//
// pivot_root(2) moves the mount namespace's root mount: new_root becomes
// "/", and the old root is put at a place under it, from where it can be
// unmounted. Once it is unmounted (MNT_DETACH), the host's filesystem is no
// longer in the namespace at all: there is no directory above "/" for ".."
// to reach, so the chroot escape finds nothing to escape to.
#pragma once

#include <string>

namespace berth::rootfs {

// Makes `rootfs` the root of the calling process's mount namespace,
// detaches the old root, and changes directory to the new "/".
//
// Requires: a mount namespace of the caller's own (CLONE_NEWNS), whose
// mounts are private (make_mounts_private()); otherwise pivot_root fails,
// or would change the host's root. Mounts already made under `rootfs`
// come along. Throws berth::Error naming the call and the path:
// "pivot_root /x/rootfs: invalid argument".
void enter_pivot_root(const std::string& rootfs);

}  // namespace berth::rootfs
