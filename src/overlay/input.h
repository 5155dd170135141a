// input — an archive's bytes on their way from a file to libarchive, with
// gzip undone here, by zlib, so that its checksums are checked.
//
// Why not leave gzip to libarchive, as zstd, xz and bzip2 are: libarchive's
// gzip reader skips the CRC-32 and the length in the trailer of each gzip
// member (a "TODO" in its source, as of 3.6). Damage that still inflates,
// a flipped bit in a stored block say, would then go unnoticed and a tarball
// would import with contents nobody wrote. zlib's inflate checks both. The
// other decoders check their own formats' checksums.
//
// Like gzip(1), several gzip members one after the other read as one stream
// (pigz and `cat a.gz b.gz` make those) and zero bytes after the last one
// are padding (bsdtar pads what it writes to a pipe). Anything else after
// the gzip data is an error: a reader should not quietly ignore bytes.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <vector>

struct archive;
struct z_stream_s;

namespace berth::overlay {

class ArchiveInput {
 public:
  // Sees every byte read from the file, before any decompression (to hash
  // a blob as it is stored while reading what it holds).
  using RawObserver = std::function<void(std::span<const std::byte>)>;

  // Reads `fd` (not owned) to its end.
  explicit ArchiveInput(int fd, RawObserver observer = {});
  ~ArchiveInput();
  // libarchive and zlib both keep pointers to this object.
  ArchiveInput(const ArchiveInput&) = delete;
  ArchiveInput& operator=(const ArchiveInput&) = delete;

  // Opens `archive` to read from this input; libarchive's result
  // (archive_read_open's, with the archive's error set when it failed).
  int open(struct archive* archive);

  // The next bytes for libarchive (inflated if the file is gzip), or none
  // at the end. Throws berth::Error for a read error, corrupt or truncated
  // gzip data, and bytes after the end of the gzip data.
  std::span<const std::byte> read();

  // Reads what is left to the end of the file: a tar reader stops at the
  // archive's end marker, before the gzip trailer that holds the checksum.
  void finish();

  // Whether the file is gzip (known after the first read).
  bool gzip() const { return gzip_; }

 private:
  enum class Mode { sniff, plain, member, between, padding, end };

  std::size_t fill(std::size_t kept);
  std::span<const std::byte> sniff();
  std::span<const std::byte> inflate_some();
  void next_member();
  void check_padding();

  int fd_;
  RawObserver observer_;
  Mode mode_ = Mode::sniff;
  bool gzip_ = false;
  std::unique_ptr<z_stream_s> stream_;
  std::vector<std::byte> in_;
  std::vector<std::byte> out_;
  std::size_t raw_offset_ = 0;  // bytes read from the file so far
};

}  // namespace berth::overlay
