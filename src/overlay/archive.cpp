// Tar archives through libarchive: the reader and the writer.
#include "overlay/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <new>
#include <utility>

#include "common/error.h"

namespace berth::overlay {
namespace {

// A file's data is copied into an archive this much at a time: every
// read(2) costs a system call (GNU tar reads 10 KB at a time).
constexpr std::size_t kCopyBlockSize = 1 << 20;

// libarchive's message, lower-cased the way Berth's errors print.
std::string message_of(struct archive* archive) {
  const char* text = archive_error_string(archive);
  std::string message = text != nullptr ? text : "unknown libarchive error";
  if (!message.empty()) {
    message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
  }
  return message;
}

}  // namespace

void EntryDeleter::operator()(archive_entry* entry) const {
  archive_entry_free(entry);
}

Entry make_entry() {
  Entry entry{archive_entry_new()};
  if (!entry) throw std::bad_alloc();
  return entry;
}

// --- Reading -------------------------------------------------------------

ArchiveReader::ArchiveReader(int fd, std::string name) : name_(std::move(name)) {
  open(fd);
}

ArchiveReader::ArchiveReader(const std::filesystem::path& path) : name_(path.string()) {
  owned_.reset(static_cast<int>(check(::open(path.c_str(), O_RDONLY | O_CLOEXEC), "open", name_)));
  open(owned_.get());
}

ArchiveReader::~ArchiveReader() {
  archive_read_free(archive_);
}

void ArchiveReader::open(int fd) {
  archive_ = archive_read_new();
  if (archive_ == nullptr) throw std::bad_alloc();
  // Only formats and filters that libarchive handles in-process: "all"
  // would include filters that run an external program on untrusted data.
  // gzip is undone before libarchive sees the bytes (input.h says why).
  archive_read_support_format_tar(archive_);
  archive_read_support_filter_zstd(archive_);
  archive_read_support_filter_xz(archive_);
  archive_read_support_filter_bzip2(archive_);
  input_.emplace(fd);
  if (input_->open(archive_) != ARCHIVE_OK) {
    // No destructor runs for a constructor that throws: free it here.
    const std::string why = message_of(archive_);
    archive_read_free(std::exchange(archive_, nullptr));
    fail(why);
  }
}

archive_entry* ArchiveReader::next() {
  const int result = archive_read_next_header(archive_, &entry_);
  if (result == ARCHIVE_EOF) {
    entry_ = nullptr;
    // A tar ends before the gzip trailer that holds the checksum.
    try {
      input_->finish();
    } catch (const Error& error) {
      fail(error.what());
    }
    return nullptr;
  }
  // A warning (an odd but readable header) is not a reason to stop.
  if (result != ARCHIVE_OK && result != ARCHIVE_WARN) fail_with_libarchive();
  return entry_;
}

ArchiveReader::Block ArchiveReader::read_block() {
  const void* data = nullptr;
  std::size_t size = 0;
  la_int64_t offset = 0;
  const int result = archive_read_data_block(archive_, &data, &size, &offset);
  if (result == ARCHIVE_EOF) return {};
  if (result != ARCHIVE_OK && result != ARCHIVE_WARN) fail_with_libarchive();
  return {{static_cast<const std::byte*>(data), size}, offset};
}

std::string ArchiveReader::path() const {
  const char* path = entry_ != nullptr ? archive_entry_pathname(entry_) : nullptr;
  return path != nullptr ? path : "";
}

std::int64_t ArchiveReader::offset() const {
  // -1 before the first filter is set up (a stream that failed to open).
  if (archive_ == nullptr) return 0;
  return std::max<std::int64_t>(archive_filter_bytes(archive_, 0), 0);
}

void ArchiveReader::fail(const std::string& why) const {
  std::string where = entry_ != nullptr ? "entry " + path() + " " : "";
  where += "at offset " + std::to_string(offset());
  throw Error("read " + name_ + ":", where, why);
}

void ArchiveReader::fail_with_libarchive() const {
  fail(message_of(archive_));
}

// --- Writing -------------------------------------------------------------

ArchiveWriter::ArchiveWriter(int fd, std::string name) : name_(std::move(name)), fd_(fd) {
  archive_ = archive_write_new();
  if (archive_ == nullptr) throw std::bad_alloc();
  // "restricted" pax: ustar unless an entry needs more; and after the end
  // marker, no padding of the last block to 10 KB (libarchive's default for
  // pipes and devices, not files): the same entries give the same bytes,
  // wherever they are written.
  if (archive_write_set_format_pax_restricted(archive_) != ARCHIVE_OK ||
      archive_write_add_filter_none(archive_) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(archive_, 1) != ARCHIVE_OK ||
      archive_write_open2(archive_, this, nullptr, &ArchiveWriter::write_out, nullptr, nullptr) !=
          ARCHIVE_OK) {
    const std::string why = message_of(archive_);
    archive_write_free(std::exchange(archive_, nullptr));
    throw Error("write " + name_ + ":", "open", why);
  }
}

ArchiveWriter::~ArchiveWriter() {
  // Freeing an unfinished archive writes its end marker, which would make a
  // half-written archive look whole: from here on, write_out drops it.
  discarding_ = !closed_;
  archive_write_free(archive_);
}

// Called by libarchive (C code) with each block: nothing may throw through it.
ssize_t ArchiveWriter::write_out(struct archive* archive, void* self, const void* data,
                                 size_t size) noexcept {
  auto* writer = static_cast<ArchiveWriter*>(self);
  if (writer->discarding_) return static_cast<ssize_t>(size);
  ssize_t written = 0;
  do {
    written = ::write(writer->fd_, data, size);
  } while (written == -1 && errno == EINTR);
  if (written == -1) archive_set_error(archive, errno, "%s", std::strerror(errno));
  return written;
}

void ArchiveWriter::write_header(archive_entry* entry) {
  if (archive_write_header(archive_, entry) != ARCHIVE_OK) {
    const char* path = archive_entry_pathname(entry);
    fail(std::string("write entry ") + (path != nullptr ? path : "?"));
  }
}

void ArchiveWriter::write_data(std::span<const std::byte> bytes) {
  if (archive_write_data(archive_, bytes.data(), bytes.size()) < 0) fail("write data");
}

void ArchiveWriter::copy_data(int fd, std::uint64_t size, const std::string& what) {
  buffer_.resize(kCopyBlockSize);
  while (size > 0) {
    const std::size_t n =
        read_some(fd, buffer_.data(), std::min<std::uint64_t>(size, buffer_.size()), what);
    if (n == 0) throw Error("read", what, "the file shrank while it was being archived");
    write_data({buffer_.data(), n});
    size -= n;
  }
}

void ArchiveWriter::close() {
  if (archive_write_close(archive_) != ARCHIVE_OK) fail("close");
  closed_ = true;
}

void ArchiveWriter::fail(const std::string& operation) const {
  throw Error("write " + name_ + ":", operation, message_of(archive_));
}

}  // namespace berth::overlay
