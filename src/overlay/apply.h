// apply — a layer tarball unpacked onto a directory, safely.
//
// Chapter 07 applies layers; chapter 08 unpacks every layer it pulls or
// loads. A layer comes from whoever built the image, so its tarball is
// hostile until proven otherwise: tar entries named "/etc/passwd" or
// "../../etc/passwd", a symlink "etc -> /" followed by an entry
// "etc/passwd", a hardlink to "/etc/shadow"... each has let some extractor
// write outside its target (Docker: CVE-2014-6407 on pull and load,
// CVE-2018-15664 in docker cp; and more).
//
// apply_layer is safe by construction, not by checking names:
//   - an entry's name loses a leading "/" or "./"; ".." anywhere is refused;
//   - the entry's parent directory is opened with openat2(RESOLVE_IN_ROOT)
//     (rootfs/in_root.h): the kernel resolves it as if `dir` were "/", so a
//     symlink on the way, absolute or full of "..", stays inside `dir`;
//   - the last name is made with *at() calls on that parent's descriptor,
//     never following a symlink (O_CREAT|O_EXCL|O_NOFOLLOW, after removing
//     what was there);
//   - a hardlink's target is resolved inside `dir` the same way;
//   - device nodes are refused in rootless mode, and the limits below hold.
// Symlinks are written as they are: they point anywhere, but nothing here
// ever follows one out of `dir`.
//
// OCI whiteouts become overlayfs ones, or deletions (see Whiteouts). Names
// ".wh..wh.*" other than the opaque marker (aufs's bookkeeping) are skipped.
// Ownership is numeric (uid/gid), set unless rootless; modes (setuid
// included), mtimes (a directory's after its contents) and the
// security.capability xattr are set too.
#pragma once

#include <cstdint>
#include <filesystem>

namespace berth::overlay {

enum class Whiteouts {
  // .wh.NAME -> a 0/0 character device NAME; .wh..wh..opq -> the xattr
  // trusted.overlay.opaque=y on its directory: `dir` is one layer of an
  // overlay stack.
  overlay,
  // .wh.NAME -> NAME (and what is under it) removed; .wh..wh..opq -> what
  // the directory held before this layer removed: flattening layers onto
  // one tree.
  remove,
};

struct ApplyLimits {
  std::uint64_t max_entries = 1'000'000;
  std::uint64_t max_file_size = 64ULL << 30;    // one file's size (a sparse file's full size)
  std::uint64_t max_total_size = 256ULL << 30;  // the sum of all files' sizes
};

struct ApplyOptions {
  Whiteouts whiteouts = Whiteouts::overlay;
  // Running without real root: ownership is left as it is, and device
  // nodes (which only real root could make usable) are refused.
  bool rootless = false;
  ApplyLimits limits;
};

struct ApplyResult {
  std::uint64_t entries = 0;  // entries of the archive, whiteouts included
  std::uint64_t bytes = 0;    // bytes of file data written
};

// Reads a layer tarball (plain, gzip, zstd, xz or bzip2: detected) from
// `fd` to its end (what follows the archive's end marker is read and
// dropped) and applies it to the existing directory `dir`. Throws berth::Error
// naming the entry for a refused or failed entry ("apply layer to /x: entry
// ../etc/passwd: a path with \"..\""), or the entry and offset for an
// unreadable archive; `dir` then holds the entries applied before it.
ApplyResult apply_layer(int fd, const std::filesystem::path& dir, const ApplyOptions& options = {});

}  // namespace berth::overlay
