// An archive's bytes for libarchive, with gzip inflated and checked by zlib.
#include "overlay/input.h"

#include <archive.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <new>
#include <string>
#include <utility>

#include "common/error.h"
#include "common/fd.h"

namespace berth::overlay {
namespace {

// Reads of 64 KiB: few enough system calls for a big layer (GNU tar reads
// 10 KiB at a time), and small enough that the bytes read are still in the
// CPU's cache when a small file's data is written out of them. 1 MiB reads
// made unpacking 25,600 files of 4 KiB 10% slower, all of it in the copy
// into the new files' pages (perf; bench/README.md).
constexpr std::size_t kBlockSize = 64 << 10;

// Called by libarchive (C code): nothing may throw through it.
la_ssize_t read_callback(struct archive* archive, void* self, const void** block) noexcept {
  try {
    const std::span<const std::byte> bytes = static_cast<ArchiveInput*>(self)->read();
    *block = bytes.data();
    return static_cast<la_ssize_t>(bytes.size());
  } catch (const std::exception& error) {
    archive_set_error(archive, EIO, "%s", error.what());
    return -1;
  }
}

bool starts_gzip(std::span<const std::byte> bytes) {
  return bytes.size() >= 2 && bytes[0] == std::byte{0x1f} && bytes[1] == std::byte{0x8b};
}

}  // namespace

ArchiveInput::ArchiveInput(int fd, RawObserver observer)
    : fd_(fd),
      observer_(std::move(observer)),
      stream_(std::make_unique<z_stream>()),
      in_(kBlockSize) {
}

ArchiveInput::~ArchiveInput() {
  if (gzip_) inflateEnd(stream_.get());
}

int ArchiveInput::open(struct archive* archive) {
  return archive_read_open(archive, this, nullptr, read_callback, nullptr);
}

std::span<const std::byte> ArchiveInput::read() {
  for (;;) {
    switch (mode_) {
      case Mode::sniff: {
        const std::span<const std::byte> bytes = sniff();
        if (!bytes.empty()) return bytes;
        break;
      }
      case Mode::plain: {
        const std::size_t count = fill(0);
        if (count == 0) mode_ = Mode::end;
        return {in_.data(), count};
      }
      case Mode::member: {
        const std::span<const std::byte> bytes = inflate_some();
        if (!bytes.empty()) return bytes;
        break;
      }
      case Mode::between:
        next_member();
        break;
      case Mode::padding:
        check_padding();
        break;
      case Mode::end:
        return {};
    }
  }
}

void ArchiveInput::finish() {
  while (!read().empty()) {
  }
}

// Reads the file's next bytes into in_, after the first `kept` bytes there,
// and gives inflate all of them. The number of new bytes, 0 at the end.
std::size_t ArchiveInput::fill(std::size_t kept) {
  const std::size_t count = read_some(fd_, in_.data() + kept, in_.size() - kept, "archive data");
  if (count > 0 && observer_) observer_({in_.data() + kept, count});
  raw_offset_ += count;
  stream_->next_in = reinterpret_cast<Bytef*>(in_.data());
  stream_->avail_in = static_cast<uInt>(kept + count);
  return count;
}

// The first two bytes decide: gzip's magic number, or anything else, which
// goes to libarchive as it is for its own filters to recognize.
std::span<const std::byte> ArchiveInput::sniff() {
  std::size_t have = 0;
  while (have < 2) {  // a pipe may hand over one byte at a time
    const std::size_t count = fill(have);
    if (count == 0) break;
    have += count;
  }
  gzip_ = starts_gzip({in_.data(), have});
  if (!gzip_) {
    mode_ = have > 0 ? Mode::plain : Mode::end;
    return {in_.data(), have};
  }
  // 16 + MAX_WBITS: deflate data wrapped in a gzip header and trailer (zlib.h).
  if (inflateInit2(stream_.get(), 16 + MAX_WBITS) != Z_OK) throw std::bad_alloc();
  out_.resize(kBlockSize);
  mode_ = Mode::member;
  return {};
}

// Inflates what there is of the current member; no bytes when inflate
// needs more input first.
std::span<const std::byte> ArchiveInput::inflate_some() {
  if (stream_->avail_in == 0 && fill(0) == 0) {
    throw Error("inflate", "gzip data",
                "truncated: the file ends inside a gzip member, after " +
                    std::to_string(raw_offset_) + " bytes");
  }
  stream_->next_out = reinterpret_cast<Bytef*>(out_.data());
  stream_->avail_out = static_cast<uInt>(out_.size());
  const int result = ::inflate(stream_.get(), Z_NO_FLUSH);
  if (result == Z_MEM_ERROR) throw std::bad_alloc();
  if (result == Z_STREAM_END) {
    // inflate has read the member's trailer and checked its CRC-32 and length.
    mode_ = Mode::between;
  } else if (result != Z_OK && result != Z_BUF_ERROR) {
    const std::size_t at = raw_offset_ - stream_->avail_in;
    throw Error("inflate", "gzip data",
                "corrupt at byte " + std::to_string(at) + " (zlib: " +
                    (stream_->msg != nullptr ? stream_->msg : "error " + std::to_string(result)) +
                    ")");
  }
  return {out_.data(), out_.size() - stream_->avail_out};
}

// After a member: the next member, padding, or the end of the file.
void ArchiveInput::next_member() {
  if (stream_->avail_in == 0 && fill(0) == 0) {
    mode_ = Mode::end;
  } else if (*stream_->next_in == 0x1f) {
    // Another member; inflate checks the rest of its header.
    inflateReset(stream_.get());
    mode_ = Mode::member;
  } else {
    mode_ = Mode::padding;
  }
}

// Zero bytes to the end of the file, or an error naming the first other one.
void ArchiveInput::check_padding() {
  const std::span<const std::byte> rest{reinterpret_cast<const std::byte*>(stream_->next_in),
                                        stream_->avail_in};
  const auto other = std::ranges::find_if(rest, [](std::byte b) { return b != std::byte{0}; });
  if (other != rest.end()) {
    const std::size_t at =
        raw_offset_ - rest.size() + static_cast<std::size_t>(other - rest.begin());
    throw Error("read", "gzip data",
                "unexpected bytes after the end of the gzip stream, at byte " + std::to_string(at));
  }
  stream_->avail_in = 0;
  if (fill(0) == 0) mode_ = Mode::end;
}

}  // namespace berth::overlay
