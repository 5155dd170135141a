// Layers: reading a blob through its compression, and unpacking an image's
// layers into ROOT/layers/<chain ID>.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <span>
#include <vector>

#include "common/error.h"
#include "image/layer.h"
#include "image/manifest.h"
#include "image/store.h"
#include "overlay/apply.h"
#include "overlay/input.h"

namespace berth::image {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kChunk = 1 << 20;

struct ArchiveDeleter {
  void operator()(struct archive* archive) const { archive_read_free(archive); }
};

[[noreturn]] void fail(struct archive* archive, std::string_view what) {
  const char* text = archive_error_string(archive);
  throw Error("read", what, text != nullptr ? text : "unreadable");
}

// A directory under ROOT/tmp/ removed, with what it holds, unless kept.
struct RemoveAll {
  fs::path path;
  ~RemoveAll() {
    std::error_code ignored;
    if (!path.empty()) fs::remove_all(path, ignored);
  }
};

// One layer, checked and unpacked into `dir`. The blob is read twice: once
// to check both its digests, then by the extractor. Unpacking from bytes
// not yet checked would let a tampered layer write into the store before
// the check could refuse it.
void unpack_layer(const Store& store, const Descriptor& layer, const Digest& diff_id,
                  const fs::path& dir) {
  const std::string what = "layer " + layer.digest.str();
  const fs::path path = store.blob_path(layer.digest);
  const UniqueFd fd{static_cast<int>(
      check(::open(path.c_str(), O_RDONLY | O_CLOEXEC), "open blob", layer.digest.str()))};
  const auto mismatch = [&](const Digest& content) {
    return Error("unpack " + what, "", "digest mismatch (content hashes to " + content.str() + ")");
  };
  LayerDigests digests;
  try {
    digests = read_layer(fd.get(), what);
  } catch (const Error&) {
    // Changed bytes usually break the compression before the end: the
    // digest then says better what is wrong than the decompressor.
    check(::lseek(fd.get(), 0, SEEK_SET), "lseek", path.string());
    const Digest content = sha256_of_fd(fd.get()).digest;
    if (content != layer.digest) throw mismatch(content);
    throw;
  }
  if (digests.stored.digest != layer.digest) throw mismatch(digests.stored.digest);
  if (digests.uncompressed.digest != diff_id) {
    throw Error("unpack " + what, "",
                "its tar hashes to " + digests.uncompressed.digest.str() +
                    ", the config's diff_id is " + diff_id.str());
  }
  check(::lseek(fd.get(), 0, SEEK_SET), "lseek", path.string());

  // Built in tmp/ and renamed into place whole: layers/ never holds half a layer.
  RemoveAll work{store.make_temporary("layer", true)};
  check(::chmod(work.path.c_str(), 0755), "chmod", work.path.string());
  overlay::ApplyOptions options;
  options.whiteouts = overlay::Whiteouts::overlay;  // a layer of an overlay stack
  options.rootless = ::geteuid() != 0;
  overlay::apply_layer(fd.get(), work.path, options);
  if (::rename(work.path.c_str(), dir.c_str()) == -1) {
    // Another command unpacked the same layer meanwhile: theirs is as good.
    if (errno != EEXIST && errno != ENOTEMPTY) throw Error("rename", work.path.string(), errno);
    return;
  }
  work.path.clear();
}

}  // namespace

LayerDigests read_layer(int fd, std::string_view what,
                        const std::function<void(std::string_view)>& sink) {
  Sha256 stored;
  LayerDigests digests;
  overlay::ArchiveInput input(fd, [&](std::span<const std::byte> bytes) {
    stored.update(bytes.data(), bytes.size());
    digests.stored.size += bytes.size();
  });
  const std::unique_ptr<struct archive, ArchiveDeleter> archive{archive_read_new()};
  if (!archive) throw std::bad_alloc();
  // The filters libarchive runs in-process ("all" would add some that run
  // an external program on untrusted bytes; gzip is the input's job), and
  // the "raw" format: the decompressed bytes as they are, not parsed as tar.
  archive_read_support_filter_zstd(archive.get());
  archive_read_support_filter_xz(archive.get());
  archive_read_support_filter_bzip2(archive.get());
  archive_read_support_format_raw(archive.get());
  archive_read_support_format_empty(archive.get());
  if (input.open(archive.get()) != ARCHIVE_OK) fail(archive.get(), what);
  Sha256 uncompressed;
  archive_entry* entry = nullptr;
  const int header = archive_read_next_header(archive.get(), &entry);
  if (header != ARCHIVE_EOF) {
    if (header != ARCHIVE_OK) fail(archive.get(), what);
    std::vector<char> buffer(kChunk);
    for (;;) {
      const la_ssize_t count = archive_read_data(archive.get(), buffer.data(), buffer.size());
      if (count < 0) fail(archive.get(), what);
      if (count == 0) break;
      const std::string_view chunk{buffer.data(), static_cast<std::size_t>(count)};
      uncompressed.update(chunk);
      digests.uncompressed.size += chunk.size();
      if (sink) sink(chunk);
    }
  }
  // The stored digest covers the whole file, also bytes after the end of
  // the compressed stream that the decompressor never asked for.
  try {
    input.finish();
  } catch (const Error& error) {
    throw Error("read", what, error.what());
  }
  digests.uncompressed.digest = uncompressed.finish();
  digests.stored.digest = stored.finish();
  if (input.gzip()) {
    digests.media_type = media_type::kOciLayerGzip;
  } else if (archive_filter_code(archive.get(), 0) == ARCHIVE_FILTER_ZSTD) {
    digests.media_type = media_type::kOciLayerZstd;
  } else if (archive_filter_code(archive.get(), 0) == ARCHIVE_FILTER_NONE) {
    digests.media_type = media_type::kOciLayer;
  }
  return digests;
}

std::vector<fs::path> Store::unpack(const Image& image) {
  const Manifest manifest = this->manifest(image);
  const ImageConfig config = this->config(manifest);
  if (config.diff_ids.size() != manifest.layers.size()) {
    throw Error("unpack", image.reference.str(),
                "the config lists " + std::to_string(config.diff_ids.size()) + " diff_ids for " +
                    std::to_string(manifest.layers.size()) + " layers");
  }
  // Every layer's type first, so that an image we cannot unpack leaves nothing behind.
  for (const Descriptor& layer : manifest.layers) {
    if (!is_layer_media_type(layer.media_type)) {
      throw Error("unpack layer", layer.digest.str(),
                  "unknown media type \"" + layer.media_type + "\"");
    }
  }
  const std::vector<Digest> chain = chain_ids(config.diff_ids);
  std::vector<fs::path> directories;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    const fs::path dir = root_ / "layers" / chain[i].hex();
    if (!fs::exists(dir)) unpack_layer(*this, manifest.layers[i], config.diff_ids[i], dir);
    directories.push_back(dir);
  }
  std::ranges::reverse(directories);  // overlayfs lists the topmost first
  return directories;
}

}  // namespace berth::image
