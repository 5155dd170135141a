// overlay — a container's root made of read-only layers and one writable one.
//
// Chapter 07. An image is a stack of layers, each a directory tree of the
// changes one build step made. overlayfs shows them as one tree: a file of
// an upper layer shadows the same path below; the writable upper directory
// (the container's own) takes every change, and a file changed for the
// first time is copied up into it from the layer that had it, so the
// layers below never change and many containers can share them.
//
// What overlayfs keeps in the upper directory for things that are gone:
//   whiteout        a character device 0/0 named like the deleted file: the
//                   path is hidden from every layer below
//   opaque dir      a directory with the xattr trusted.overlay.opaque="y":
//                   its contents replace, not merge with, those below
// (OCI layer tarballs write these differently, as .wh.NAME files; chapter
// 07's diff and apply translate between the two.)
//
// Typical use, in a mount namespace of the caller's own:
//
//     overlay::mount({.lowers = {top, ..., bottom}, .upper = u, .work = w}, root);
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace berth::overlay {

struct Stack {
  // The read-only layers, the topmost first (overlayfs's lowerdir order).
  std::vector<std::filesystem::path> lowers;
  // The writable layer and overlayfs's scratch directory, on the same
  // filesystem; both empty: a read-only stack of `lowers` alone.
  std::filesystem::path upper;
  std::filesystem::path work;
};

// Mounts the stack on `target`. The mount's options must fit in one page
// (4096 bytes), which a few dozen layers with long paths overflow: the
// layers are then named through short symbolic links in a directory next to
// `work` (Docker's overlay2 does the same with its l/ directory), relative to
// which the mount is made. Throws berth::Error naming the call:
//     mount overlay on /x/merged: invalid argument (lowerdir=...)
void mount(const Stack& stack, const std::filesystem::path& target);

// The mount options for `stack` with each path as given (what mount()
// passes when it fits in a page): "lowerdir=A:B,upperdir=U,workdir=W".
// Paths holding ':' or ',' are escaped as overlayfs wants ("\:").
std::string mount_options(const Stack& stack);

// Hides `name` in `dir`'s layer and every layer below: a whiteout, the
// character device 0/0. Throws berth::Error naming the path.
void make_whiteout(const std::filesystem::path& dir, const std::string& name);

// Whether `path` is a whiteout.
bool is_whiteout(const std::filesystem::path& path);

// Makes the directory `dir` opaque: the layers below do not show through it.
void make_opaque(const std::filesystem::path& dir);

// Whether the directory `dir` is opaque.
bool is_opaque(const std::filesystem::path& dir);

}  // namespace berth::overlay
