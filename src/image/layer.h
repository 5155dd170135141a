// image/layer — a layer blob's two digests, read through its compression.
//
// Chapter 08. A layer has two names. Its digest (what the manifest lists,
// and the blob's file name) is the hash of the bytes as stored: usually
// gzip-compressed. Its diff_id (what the config lists in rootfs.diff_ids,
// and what chain IDs are made of) is the hash of the tar inside. The
// compressed bytes are a matter of transport (two gzip programs give two
// digests for one tar); the diff_id is the content itself.
#pragma once

#include <functional>
#include <string_view>

#include "image/digest.h"

namespace berth::image {

struct LayerDigests {
  HashedSize stored;        // the bytes as read: the blob's digest
  HashedSize uncompressed;  // the tar inside them: the diff_id
  // The OCI layer media type of the bytes as read (tar, tar+gzip or
  // tar+zstd); empty for xz and bzip2, which no OCI media type names.
  std::string_view media_type;
};

// Reads `fd` to its end, decompressing it (gzip, zstd, xz, bzip2 or none,
// detected from its first bytes; in-process only, never an external
// program), hashing both the bytes read and the bytes they decompress to.
// `sink`, when given, receives the decompressed bytes as they come. A
// corrupt or truncated stream, or a gzip stream whose checksum does not
// match, throws berth::Error "read WHAT: <why>".
LayerDigests read_layer(int fd, std::string_view what,
                        const std::function<void(std::string_view)>& sink = {});

}  // namespace berth::image
