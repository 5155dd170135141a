// image/archive — image archives: `save` writes one, `load` reads one.
//
// Chapter 08. An image archive is a tar file holding an image's blobs and
// the documents that name them. Two formats are in use, and since Docker 25
// `docker save` writes both at once in one tar:
//
//     oci-layout                      OCI image layout: a reader follows
//     index.json                      index.json to manifests, configs and
//     blobs/sha256/<hex>              layers, all named by digest
//     manifest.json                   docker-save: [{"Config": "blobs/sha256/…",
//     repositories                      "RepoTags": ["busybox:latest"],
//                                       "Layers": ["blobs/sha256/…", …]}]
//
// Older `docker save` and skopeo's docker-archive: put the same things at
// other names (`<id>/layer.tar`, `<hex>.json`, `<diff-id>.tar`, symlinks
// between them); manifest.json says where. An OCI archive (skopeo's
// oci-archive:, a tarred `umoci` layout) has only the OCI half.
//
// Names in an archive are only keys: load never creates a file at a path
// the archive chose. Every entry is copied to a staging directory under the
// store's tmp/ as it streams past and hashed on the way; documents are then
// read from there, every blob checked against its digest, and only then
// copied into the store.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "image/store.h"

namespace berth::image {

// Writes the images to `out_fd` as one tar that is both an OCI image layout
// and a docker-save archive (the combined format of Docker 25 and later),
// so that `docker load`, `podman load`, `skopeo ... docker-archive:` and
// `skopeo ... oci-archive:` all read it. The blobs go in exactly as the
// store holds them (a gzip layer stays gzip: docker load and skopeo's
// docker-archive: reader decompress what manifest.json points at), so
// the image keeps its manifest digest. Several tags of one image share one
// manifest.json entry. The output is a function of the images alone:
// entries sorted by name, mtime 0, owner 0:0, modes 0644/0755. Throws
// berth::Error ("save busybox:latest: …") on a missing or corrupt blob —
// every blob is opened and checked against its digest (Store::open_blob)
// before the first byte is written, so `out_fd` is then left untouched —
// or on a failed write, after which what `out_fd` holds is not an archive.
void save(const Store& store, const std::vector<Image>& images, int out_fd);

struct LoadOptions {
  // The reference for an image the archive does not name fully: an OCI
  // archive whose org.opencontainers.image.ref.name is a tag alone
  // ("latest", as skopeo's oci-archive:FILE:latest writes) or missing, or a
  // docker-save entry with no RepoTags. Without a tag of its own
  // ("busybox"), the archive's tag is used ("busybox:latest"). Images the
  // archive names fully keep their own names.
  std::optional<std::string> name;
};

// Reads an image archive from `in_fd` (to its end; a pipe is fine) into
// the store, and returns the images it tagged, in the archive's order: the
// caller prints "Loaded image: busybox:latest" for each, as docker does
// (Reference::familiar_name() + ":" + tag).
//
// Accepted: docker-save archives old and new, skopeo's docker-archive:,
// OCI archives (index.json, nested indexes: the linux entry for this
// machine's architecture is taken); plain tar, or tar compressed with gzip,
// bzip2, xz or zstd. An archive holding both halves is read by its
// index.json, so an image that goes through save and load keeps its
// manifest digest. From manifest.json alone, Berth writes an OCI manifest
// of its own (canonical JSON) over the config and layers, after checking
// each layer against the config's rootfs.diff_ids.
//
// Atomic: a truncated or corrupt archive, a blob whose content does not
// match its digest, a missing blob, a document that does not parse, an
// unknown media type, an invalid or missing name — each throws berth::Error
// "load WHERE: …" (WHERE is `where`, e.g. the file name or "stdin") before
// the store is touched: every entry is staged and every document (4 MiB at
// most, as registries allow) and blob checked first. Then the blobs are
// written (should that fail half-way, a blob nothing references is
// harmless, and gc() removes it), and the tags last, one Store::add each.
std::vector<Image> load(Store& store, int in_fd, std::string_view where,
                        const LoadOptions& options = {});

// As above, reading the file at `archive` (named so in errors).
std::vector<Image> load(Store& store, const std::filesystem::path& archive,
                        const LoadOptions& options = {});

}  // namespace berth::image
