// image/store — images on disk: an OCI image layout plus unpacked layers.
//
// Chapter 08. The store is a directory that any OCI tool can read (skopeo
// inspect oci:ROOT:TAG), with two additions of Berth's own:
//
//     ROOT/oci-layout              {"imageLayoutVersion":"1.0.0"}
//     ROOT/index.json              one entry per tag: a manifest descriptor
//                                  annotated with the full reference
//     ROOT/blobs/sha256/<hex>      manifests, configs, layer tarballs
//     ROOT/layers/<chain-id hex>/  a layer unpacked, in overlayfs's form
//                                  (whiteouts as 0/0 devices), shared by
//                                  every image built on the same layers
//     ROOT/tmp/                    work in progress; never referenced
//     ROOT/lock                    flock(2): who may change what
//
// Crash safety comes from one rule: nothing is referenced before it is
// complete and on disk. A blob is written to tmp/, fsync'ed, hashed, then
// renamed into blobs/; an unpacked layer is built in tmp/ and renamed into
// layers/; index.json is replaced by rename() of a fsync'ed new copy, last.
// A kill -9 anywhere leaves, at worst, files in tmp/ and unreferenced blobs:
// verify() still passes and gc() removes them.
//
// Concurrency: a Store holds ROOT/lock shared for its lifetime, so any
// number of commands use the store at once; changes to index.json are made
// under a second, short exclusive lock (read, modify, rename): flock(2) of
// the ROOT directory itself. Readers need no lock, since rename() swaps
// the whole file at once. gc needs the
// store to itself: it opens it with Access::exclusive and so waits for
// every other command (and every running container, which keeps its
// command's Store open) to finish.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/fd.h"
#include "image/digest.h"
#include "image/manifest.h"
#include "image/reference.h"

namespace berth::image {

// One tag in the store: the reference and the manifest it points to.
struct Image {
  Reference reference;
  Descriptor manifest;  // its digest is the image's ID, as `docker images` shows it
};

// The reference an index.json entry names: containerd's annotation
// "io.containerd.image.name" (the whole reference), or else the OCI
// "org.opencontainers.image.ref.name" when it holds a whole reference too
// (other tools write a bare tag there, which names no repository). Entries
// without one are kept, and keep their blobs, but are no Image.
std::optional<Reference> reference_of(const Descriptor& index_entry);

struct GcReport {
  std::size_t blobs_removed = 0;
  std::size_t layers_removed = 0;
  std::size_t temporaries_removed = 0;
  std::uint64_t bytes_freed = 0;  // of regular files, in all three
};

// What verify() found wrong, one line each ("blob sha256:…: digest mismatch
// (content hashes to sha256:…)", "busybox:latest: config sha256:… missing").
// Empty: the store is sound.
struct VerifyReport {
  std::vector<std::string> problems;
  std::size_t blobs_checked = 0;
  std::size_t images_checked = 0;
};

class Store {
 public:
  enum class Access { shared, exclusive };

  // Opens the store at `root`, creating an empty layout there if there is
  // none, and takes ROOT/lock (waiting for it). Throws berth::Error naming
  // the path if `root` is not a store (a directory with an index.json that
  // does not parse, say).
  explicit Store(std::filesystem::path root, Access access = Access::shared);

  const std::filesystem::path& root() const { return root_; }

  // --- Blobs -----------------------------------------------------------
  // Writes `bytes` as a blob; returns its digest. Writing a blob that
  // exists already is a no-op. Atomic: tmp/, fsync, rename.
  Digest write_blob(std::string_view bytes);
  // Streams `fd` to its end into a blob, hashing as it goes. With an
  // `expected` digest, a mismatch throws berth::Error "write blob EXPECTED:
  // digest mismatch (content hashes to sha256:…)" and nothing is stored.
  HashedSize write_blob(int fd, const std::optional<Digest>& expected = std::nullopt);
  bool has_blob(const Digest& digest) const;
  // The blob's bytes, hashed again as they are read: a blob whose content no
  // longer matches its name throws "read blob sha256:…: digest mismatch".
  std::string read_blob(const Digest& digest) const;
  // The blob opened for reading, after checking its digest (one pass over
  // the file); for layers too big to hold in memory.
  UniqueFd open_blob(const Digest& digest) const;
  std::filesystem::path blob_path(const Digest& digest) const;

  // --- Images (index.json) ---------------------------------------------
  // Every tag, in index.json's order.
  std::vector<Image> images() const;
  // The image a reference names: by tag, or by digest (a manifest digest,
  // or an image ID prefix of at least 4 hex digits as `docker` accepts;
  // "repo@sha256:…" matches the repository's image with that digest).
  // Throws berth::Error for text that is neither a valid reference nor an
  // ID, and for an ID prefix that matches two different images.
  std::optional<Image> find(std::string_view reference_or_id) const;
  // As find(), or throws berth::Error "no such image: TEXT".
  Image get(std::string_view reference_or_id) const;
  // Points `reference` at `manifest` (whose blob must exist), replacing any
  // image the reference named before.
  void add(const Reference& reference, const Descriptor& manifest);
  // Removes the tag; returns false if there was none. Blobs and layers stay
  // until gc().
  bool remove(const Reference& reference);

  // --- Documents -------------------------------------------------------
  Manifest manifest(const Image& image) const;
  ImageConfig config(const Manifest& manifest) const;

  // --- Layers ----------------------------------------------------------
  // Unpacks the image's layers that are not unpacked yet (each checked
  // against its digest and its config's diff_id, extracted safely:
  // overlay/apply.h) and returns their directories topmost first, ready for
  // overlay::Stack::lowers. A layer of a type is_layer_media_type() refuses
  // throws "unpack layer sha256:…: unknown media type \"T\"" before any
  // layer is unpacked.
  std::vector<std::filesystem::path> unpack(const Image& image);

  // --- Maintenance -----------------------------------------------------
  // Removes every blob and layer no image references, and tmp/'s leftovers.
  // Needs Access::exclusive (throws otherwise). Every index.json entry is a
  // root, named or not; if one of their documents cannot be read, gc
  // cannot know what it needs and throws, removing nothing (see verify()).
  GcReport gc();
  // Checks that every blob's content matches its name, that every image's
  // manifest, config and layers are present with the right size, and that
  // index.json and oci-layout parse.
  VerifyReport verify() const;

  // A new, empty file or directory under ROOT/tmp/ for work in progress
  // (same filesystem as the store, so it can be renamed into place).
  std::filesystem::path make_temporary(std::string_view prefix, bool directory) const;

 private:
  struct TemporaryFile {
    UniqueFd fd;
    std::filesystem::path path;
  };
  TemporaryFile make_temporary_file(std::string_view prefix) const;
  // Moves a complete temporary file into blobs/ as `digest` (or drops it
  // when that blob exists already).
  void commit_blob(TemporaryFile& file, const Digest& digest);
  // Every entry of index.json, named or not.
  std::vector<Descriptor> read_index() const;
  // Rewrites index.json with `change` applied, under the index lock.
  void update_index(const std::function<void(std::vector<Descriptor>&)>& change);
  // Replaces `path` by a file holding `bytes`: tmp/, fsync, rename.
  void replace_file(const std::filesystem::path& path, std::string_view bytes) const;

  std::filesystem::path root_;
  Access access_;
  UniqueFd lock_;
};

}  // namespace berth::image
