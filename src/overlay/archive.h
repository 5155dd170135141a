// archive — tar archives, read and written through libarchive.
//
// Two small owners of libarchive's handles, shared by chapter 07's layer
// diff and apply and by chapter 08's save and load. They know the tar
// format and its compressions, nothing about layers: what an entry means
// is the caller's business. Every failure is a berth::Error that names the
// archive, and when reading, the entry and the offset where it happened:
//
//     read layer.tar: entry etc/passwd at offset 1536: truncated tar archive
//
// The entries themselves are libarchive's `archive_entry` (see
// archive_entry(3)): its getters and setters are the clearest description of
// a tar header there is, so they are not wrapped again.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/fd.h"
#include "overlay/input.h"

struct archive;
struct archive_entry;

namespace berth::overlay {

// An archive_entry that frees itself.
struct EntryDeleter {
  void operator()(archive_entry* entry) const;
};
using Entry = std::unique_ptr<archive_entry, EntryDeleter>;
Entry make_entry();

// Reads a tar archive (plain, gzip, zstd, xz or bzip2: detected from its
// first bytes) one entry at a time, front to back. A compressed archive is
// checked against its checksums to its last byte (see input.h).
class ArchiveReader {
 public:
  // Reads from `fd` (not owned) to its end. `name` names the archive in
  // errors ("layer sha256:ab12...", a path).
  ArchiveReader(int fd, std::string name);
  // Opens and reads the file at `path`.
  explicit ArchiveReader(const std::filesystem::path& path);
  ~ArchiveReader();
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;

  // Moves to the next entry and returns its header (owned by the reader,
  // valid until the next call), or nullptr after the last one. The data of
  // the entry before, if not read, is skipped.
  archive_entry* next();

  // The current entry's data: the next block of it and where it belongs in
  // the file (sparse files have holes between blocks); an empty block at its
  // end. The bytes stay valid until the next call.
  struct Block {
    std::span<const std::byte> bytes;
    std::int64_t offset = 0;
  };
  Block read_block();

  // The current entry's path, as the archive spells it.
  std::string path() const;
  // How far into the (uncompressed) archive the reader is.
  std::int64_t offset() const;
  const std::string& name() const { return name_; }

  // A berth::Error "read NAME: entry PATH at offset N: <why>".
  [[noreturn]] void fail(const std::string& why) const;

 private:
  void open(int fd);
  [[noreturn]] void fail_with_libarchive() const;

  UniqueFd owned_;
  std::string name_;
  std::optional<ArchiveInput> input_;
  struct archive* archive_ = nullptr;
  archive_entry* entry_ = nullptr;
};

// Writes an uncompressed tar archive in POSIX format: a plain ustar header
// for each entry, and a pax extended header only for what ustar cannot hold
// (long names, big ids or sizes), then the 1 KB end marker and no further
// padding: the output depends only on the entries written. Call close() to
// finish it: an archive not closed is incomplete.
class ArchiveWriter {
 public:
  // Writes to `fd` (not owned). `name` names the archive in errors.
  ArchiveWriter(int fd, std::string name);
  ~ArchiveWriter();
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  // Starts an entry; its data, archive_entry_size() bytes, follows.
  void write_header(archive_entry* entry);
  void write_data(std::span<const std::byte> bytes);
  // Writes `size` bytes read from `fd` as the current entry's data; a file
  // shorter than that is an error (it changed while it was being read).
  void copy_data(int fd, std::uint64_t size, const std::string& what);
  // Writes the end of the archive and flushes it to the fd.
  void close();

 private:
  [[noreturn]] void fail(const std::string& operation) const;
  static ssize_t write_out(struct archive* archive, void* self, const void* data,
                           size_t size) noexcept;

  std::string name_;
  int fd_;
  struct archive* archive_ = nullptr;
  bool closed_ = false;
  bool discarding_ = false;
  std::vector<std::byte> buffer_;
};

}  // namespace berth::overlay
