// in_root — paths of the container's tree, resolved without leaving it.
//
// A mount's destination is a path inside the rootfs, and the rootfs comes
// from the bundle's author: any component of the path may be a symlink,
// and "/proc -> /etc" or "data -> ../../../../etc" in a rootfs must not
// turn a mount "inside the container" into a mount over the host's /etc.
// Joining strings (rootfs + "/" + destination) and calling mount(2) on the
// result lets the kernel follow those symlinks wherever they lead.
//
// So every path is opened with openat2(2) and RESOLVE_IN_ROOT: the kernel
// resolves it as if the rootfs were "/" (an absolute symlink starts at the
// rootfs, ".." stops there), and hands back a file descriptor of what it
// found. mount(2) is then given /proc/self/fd/N, which names exactly that
// file: nothing can swap a symlink in between resolving and mounting. This
// is what runc does (libcontainer/utils.WithProcfd).
#pragma once

#include <string>
#include <string_view>

#include "common/fd.h"

namespace berth::rootfs {

// Opens `path` (a path in the container's view; relative counts from "/")
// inside the directory `root`, as an O_PATH descriptor; `flags` are added
// to O_PATH | O_CLOEXEC (O_NOFOLLOW: open a final symlink itself). Throws
// berth::Error "open PATH in the container's root: <why>".
UniqueFd open_in_root(int root, std::string_view path, int flags = 0);

// Makes `path` exist inside `root` and opens it as open_in_root() does:
// missing directories are created (mode 0755), and the last component as
// an empty file when `file` is true. A dangling symlink on the way is
// followed inside the root and its target created, as runc does.
UniqueFd make_mount_point(int root, std::string_view path, bool file);

// "/proc/self/fd/N": a name for the file `fd` refers to, for calls that
// take a path (mount(2) follows it to the file itself).
std::string fd_path(const UniqueFd& fd);

}  // namespace berth::rootfs
