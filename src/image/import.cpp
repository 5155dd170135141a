// Import: a root filesystem tarball as a one-layer image.
#include "image/import.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <memory>

#include "common/error.h"
#include "image/layer.h"
#include "overlay/archive.h"

namespace berth::image {

namespace fs = std::filesystem;

namespace {

// Reads the whole archive as tar, data included: a truncated or corrupt
// tarball is refused here, before the store is touched.
void check_tar(int fd, const fs::path& tarball) {
  overlay::ArchiveReader reader(fd, tarball.string());
  while (reader.next() != nullptr) {
    while (!reader.read_block().bytes.empty()) {
    }
  }
  check(::lseek(fd, 0, SEEK_SET), "lseek", tarball.string());
}

// Writes what it is given as one gzip stream into a file, deterministically:
// no time and no file name in the gzip header, so the same tar always
// compresses to the same bytes (and the same blob digest).
class GzipWriter {
 public:
  GzipWriter(int fd, const fs::path& path) : path_(path), archive_(archive_write_new()) {
    if (!archive_) throw std::bad_alloc();
    const std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry{archive_entry_new(),
                                                                         archive_entry_free};
    if (!entry) throw std::bad_alloc();
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    // "raw": the bytes as they are, no archive format around them.
    if (archive_write_add_filter_gzip(archive_.get()) != ARCHIVE_OK ||
        archive_write_set_filter_option(archive_.get(), "gzip", "timestamp", nullptr) !=
            ARCHIVE_OK ||
        archive_write_set_format_raw(archive_.get()) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(archive_.get(), 1) != ARCHIVE_OK ||
        archive_write_open_fd(archive_.get(), fd) != ARCHIVE_OK ||
        archive_write_header(archive_.get(), entry.get()) != ARCHIVE_OK) {
      fail();
    }
  }

  void write(std::string_view bytes) {
    if (archive_write_data(archive_.get(), bytes.data(), bytes.size()) < 0) fail();
  }
  void close() {
    if (archive_write_close(archive_.get()) != ARCHIVE_OK) fail();
  }

 private:
  [[noreturn]] void fail() const {
    const char* text = archive_error_string(archive_.get());
    throw Error("compress", path_.string(), text != nullptr ? text : "libarchive failed");
  }

  struct Deleter {
    void operator()(struct archive* archive) const { archive_write_free(archive); }
  };
  fs::path path_;
  std::unique_ptr<struct archive, Deleter> archive_;
};

std::string rfc3339_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char text[32];
  return std::string(text, std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc));
}

// The layer: the tarball decompressed (its digest is the diff_id) and
// gzip-compressed into a blob.
struct StoredLayer {
  Digest diff_id;
  Descriptor descriptor;
};

StoredLayer store_layer(Store& store, int fd, const fs::path& tarball) {
  const fs::path compressed = store.make_temporary("import", false);
  struct Unlink {
    const fs::path& path;
    ~Unlink() { ::unlink(path.c_str()); }
  } unlink_compressed{compressed};

  LayerDigests digests;
  {
    const UniqueFd out{static_cast<int>(check(
        ::open(compressed.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC), "open", compressed.string()))};
    GzipWriter gzip(out.get(), compressed);
    digests = read_layer(fd, tarball.string(), [&](std::string_view bytes) { gzip.write(bytes); });
    gzip.close();
  }
  const UniqueFd in{static_cast<int>(
      check(::open(compressed.c_str(), O_RDONLY | O_CLOEXEC), "open", compressed.string()))};
  const HashedSize blob = store.write_blob(in.get());
  return {digests.uncompressed.digest, describe(media_type::kOciLayerGzip, blob.digest, blob.size)};
}

}  // namespace

Image import_tarball(Store& store, const fs::path& tarball, std::string_view name,
                     const ImportOptions& options) {
  try {
    const Reference reference = Reference::parse(name);
    const UniqueFd fd{static_cast<int>(
        check(::open(tarball.c_str(), O_RDONLY | O_CLOEXEC), "open", tarball.string()))};
    check_tar(fd.get(), tarball);

    // Bottom up, as everything in the store: the layer, the config that
    // names it, the manifest that names both, and last the tag.
    const StoredLayer layer = store_layer(store, fd.get(), tarball);
    ImageConfig config;
    config.architecture = options.architecture;
    config.os = options.os;
    config.created = options.created.empty() ? rfc3339_now() : options.created;
    config.diff_ids = {layer.diff_id};
    config.history = {History{.created = config.created,
                              .created_by = "berth import " + tarball.filename().string(),
                              .comment = "",
                              .empty_layer = false}};
    const std::string config_json = to_json(config);

    Manifest manifest;
    manifest.media_type = media_type::kOciManifest;
    manifest.config =
        describe(media_type::kOciConfig, store.write_blob(config_json), config_json.size());
    manifest.layers = {layer.descriptor};
    const std::string manifest_json = to_json(manifest);

    const Descriptor descriptor =
        describe(media_type::kOciManifest, store.write_blob(manifest_json), manifest_json.size());
    store.add(reference, descriptor);
    return Image{reference, descriptor};
  } catch (const Error& error) {
    throw Error("import", tarball.string(), error.what());
  }
}

}  // namespace berth::image
