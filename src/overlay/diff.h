// diff — what a container changed, as a list and as an OCI layer tarball.
//
// Chapter 07. Everything a container changed is in its overlay's upper
// directory: new and copied-up files, whiteouts for deleted paths, opaque
// directories for ones deleted and made again. That directory, written as a
// tar archive in the OCI image spec's layer format, is a new layer; this is
// `docker commit` and every Dockerfile step.
//
// OCI layers cannot hold a 0/0 character device or a trusted.* xattr
// portably, so the upper directory's whiteouts are translated:
//     whiteout NAME (char 0/0)      ->  empty regular file  .wh.NAME
//     opaque DIR (trusted.overlay)  ->  DIR, then the empty file  DIR/.wh..wh..opq
// (apply.h translates them back.)
//
// Determinism: the same tree always gives the same bytes, so that a layer's
// digest names its content, and a rebuild of the same changes finds its
// layer already stored:
//   - order: depth first, parents before their children; in each directory
//     the opaque marker first, then the entries by their names' bytes
//     (strcmp order, no locale);
//   - headers: ustar, with a pax extended header only when a field does not
//     fit (libarchive's "restricted pax"); numeric uid/gid only (no user or
//     group names, which depend on the host's /etc/passwd); no atime or ctime;
//   - time: every entry's mtime is DiffOptions::timestamp (0 by default: the
//     idea of reproducible builds' SOURCE_DATE_EPOCH); std::nullopt keeps
//     each file's own mtime, in whole seconds;
//   - xattrs: only security.capability (file capabilities, which programs
//     like ping need); never trusted.overlay.* (overlayfs's own bookkeeping);
//   - hardlinks: a file linked more than once inside `upper` is written once,
//     at its first path in this order; its other paths are hardlink entries.
// Sockets are left out (tar has no type for them).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "overlay/overlay.h"

namespace berth::overlay {

// One line of `docker diff`: "A /new", "C /etc", "D /etc/gone".
struct Change {
  enum class Kind : char { added = 'A', changed = 'C', deleted = 'D' };
  Kind kind = Kind::added;
  std::string path;  // absolute in the container's view: "/etc/hosts"

  bool operator==(const Change&) const = default;
};

// What the stack's upper directory changed over its lowers, sorted by path.
// A path of the upper that some lower shows is Changed (a directory whose
// contents changed counts: it was copied up), one no lower shows is Added,
// a whiteout is Deleted. An opaque directory is Changed when a lower had
// it, and every name the lowers showed in it that the upper does not have
// is Deleted. Throws berth::Error naming the path it could not read.
std::vector<Change> changes(const Stack& stack);

struct DiffOptions {
  // Every entry's mtime (seconds since the epoch), or nullopt: the files' own.
  std::optional<std::int64_t> timestamp = 0;
};

// Writes the upper directory `upper` to `out_fd` as an uncompressed OCI
// layer tarball (see the top of this file for the format). Throws
// berth::Error naming the path it could not read or the write that failed;
// what was written to `out_fd` by then is not a valid archive.
void write_layer(const std::filesystem::path& upper, int out_fd, const DiffOptions& options = {});

}  // namespace berth::overlay
