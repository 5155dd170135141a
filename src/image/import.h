// image/import — a root filesystem tarball becomes an image.
//
// Chapter 08. `docker import` in Berth: the tarball (plain, gzip or zstd)
// becomes the image's one layer, stored as tar+gzip; the config records
// the tar's digest as the layer's diff_id and nothing about how to run it
// (the command comes from `run`). The layer is compressed
// deterministically (no time or name in the gzip header), so importing the
// same tarball twice stores the same layer blob once.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "image/store.h"

namespace berth::image {

struct ImportOptions {
  std::string architecture{host_architecture()};
  std::string os = "linux";
  std::string created;  // RFC 3339; empty: now
};

// Imports `tarball` into `store` as the image `name` (NAME[:TAG], parsed
// with Reference::parse), replacing any image of that name, and returns
// it. The whole tarball is read and checked as a tar archive before
// anything is written, so a truncated or corrupt one (or an invalid name)
// throws berth::Error "import TARBALL: <why>" and leaves the store as it
// was; a failure after that (a full disk) leaves at most blobs no image
// references, which gc() removes.
Image import_tarball(Store& store, const std::filesystem::path& tarball, std::string_view name,
                     const ImportOptions& options = {});

}  // namespace berth::image
