// Image archives, reading: docker-save archives old and new and OCI
// archives, staged and checked before anything reaches the store
// (image/archive.h).
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "image/archive.h"
#include "image/layer.h"
#include "overlay/archive.h"

namespace berth::image {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Manifests, configs and indexes are read whole; registries refuse
// manifests over 4 MiB, and so does load.
constexpr std::size_t kMaxDocument = std::size_t{4} << 20;

std::string blob_name(const Digest& digest) {
  return "blobs/sha256/" + digest.hex();
}

// A regular file of the archive, copied out and hashed.
struct StagedFile {
  fs::path path;  // its copy under the store's tmp/
  HashedSize content;
};

// "./blobs//sha256/x" and "blobs/sha256/x" are one name in a tar.
std::string normal_name(std::string_view name) {
  std::string normal = fs::path(name).lexically_normal().generic_string();
  normal.erase(0, normal.find_first_not_of('/'));
  while (!normal.empty() && normal.back() == '/') {
    normal.pop_back();
  }
  return normal;
}

// A directory removed with everything in it when it goes out of scope.
struct ScratchDir {
  explicit ScratchDir(fs::path where) : path(std::move(where)) {}
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  fs::path path;
};

// Every regular file of an archive, copied to a staging directory in the
// store's tmp/ under a number (never under the name the archive chose), and
// the archive's links between names. The directory goes with the object.
class Staged {
 public:
  Staged(const Store& store, int fd) : dir_(store.make_temporary("load-", true)) {
    overlay::ArchiveReader tar(fd, "archive");
    while (archive_entry* entry = tar.next()) {
      add(tar, entry);
    }
  }

  bool contains(std::string_view name) const {
    const std::string key = normal_name(name);
    return files_.contains(key) || links_.contains(key);
  }

  // The file `name` names, following the archive's links (skopeo's
  // docker-archive: holds `<id>/layer.tar -> ../<diff-id>.tar`).
  const StagedFile& file(std::string_view name) const {
    std::string key = normal_name(name);
    for (int hops = 0; hops < 16; ++hops) {
      if (const auto found = files_.find(key); found != files_.end()) {
        return found->second;
      }
      const auto link = links_.find(key);
      if (link == links_.end()) {
        throw Error("find", std::string{name}, "not in the archive");
      }
      key = link->second;
    }
    throw Error("find", std::string{name}, "too many levels of links");
  }

  // The document `name`, whole.
  std::string read(std::string_view name) const {
    const StagedFile& staged = file(name);
    if (staged.content.size > kMaxDocument) {
      throw Error("read", std::string{name}, "too big for a JSON document");
    }
    const fs::path& path = staged.path;
    const UniqueFd fd{
        static_cast<int>(check(::open(path.c_str(), O_RDONLY | O_CLOEXEC), "open", path.string()))};
    return read_all(fd.get(), path.string());
  }

 private:
  void add(overlay::ArchiveReader& tar, archive_entry* entry) {
    const std::string name = normal_name(archive_entry_pathname(entry));
    if (const char* hardlink = archive_entry_hardlink(entry); hardlink != nullptr) {
      links_[name] = normal_name(hardlink);  // hard link targets count from the top
    } else if (archive_entry_filetype(entry) == AE_IFLNK) {
      const fs::path target = archive_entry_symlink(entry);
      links_[name] =
          normal_name(target.is_absolute() ? target.string()
                                           : (fs::path(name).parent_path() / target).string());
    } else if (archive_entry_filetype(entry) == AE_IFREG) {
      files_[name] = copy_out(tar);
    } else if (archive_entry_filetype(entry) != AE_IFDIR) {
      tar.fail("not a file, directory or link");
    }
  }

  StagedFile copy_out(overlay::ArchiveReader& tar) {
    StagedFile staged{dir_.path / std::to_string(files_.size()), {}};
    const UniqueFd out{static_cast<int>(
        check(::open(staged.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600), "create",
              staged.path.string()))};
    Sha256 hash;
    for (auto block = tar.read_block(); !block.bytes.empty(); block = tar.read_block()) {
      // A sparse entry's holes would have to be hashed as zeros; no image
      // tool writes one.
      if (block.offset != static_cast<std::int64_t>(staged.content.size)) {
        tar.fail("sparse files are not image blobs");
      }
      const auto* bytes = reinterpret_cast<const char*>(block.bytes.data());
      hash.update(bytes, block.bytes.size());
      write_all(out.get(), {bytes, block.bytes.size()}, staged.path.string());
      staged.content.size += block.bytes.size();
    }
    staged.content.digest = hash.finish();
    return staged;
  }

  ScratchDir dir_;
  std::map<std::string, StagedFile> files_;
  std::map<std::string, std::string> links_;  // name -> the name it points to
};

// A layer's diff ID (the digest of its tar uncompressed) and the media type
// its compression calls for.
std::pair<Digest, std::string_view> layer_diff_id(const StagedFile& layer, std::string_view name) {
  const UniqueFd fd{
      static_cast<int>(check(::open(layer.path.c_str(), O_RDONLY | O_CLOEXEC), "open", name))};
  const LayerDigests digests = read_layer(fd.get(), "layer " + std::string{name});
  if (digests.media_type.empty()) {
    throw Error("layer", name, "compressed with xz or bzip2, which no OCI media type names");
  }
  return {digests.uncompressed.digest, digests.media_type};
}

// --- Planning and committing ----------------------------------------------

// Whether a name the user gave carries its own tag ("busybox:1.36", but
// not "localhost:5000/busybox").
bool has_tag(std::string_view name) {
  const auto last = name.rfind('/');
  const auto tail = name.substr(last == std::string_view::npos ? 0 : last + 1);
  return tail.find(':') != std::string_view::npos || tail.find('@') != std::string_view::npos;
}

// Reads the archive's documents, checks every blob they name, and plans
// what to store; commit() then stores it. Nothing touches the store before
// the whole archive has been checked.
class Loader {
 public:
  Loader(const Staged& staged, const LoadOptions& options) : staged_(staged), options_(options) {}

  // #region load-oci
  // index.json -> (nested indexes) -> manifest -> config and layers, each
  // blob found under blobs/sha256/ by its digest and checked against it.
  void plan_oci() {
    for (const auto& entry : parse_index(staged_.read("index.json"), "index.json")) {
      const Descriptor manifest = pick_manifest(entry, 0);
      check_image(manifest);
      images_.push_back({oci_name(entry.annotations, manifest), manifest});
    }
  }
  // #endregion load-oci

  // #region load-docker
  // manifest.json -> a config and uncompressed layers at paths of the
  // archive's choosing; Berth writes the manifest that ties them together.
  void plan_docker() {
    const json entries = parse_json(staged_.read("manifest.json"), "manifest.json");
    if (!entries.is_array()) {
      throw Error("parse manifest.json", "", "not a JSON array");
    }
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const std::string at = "manifest.json[" + std::to_string(i) + "]";
      const json& entry = entries[i];
      const std::string config_name = string_at(entry, "Config", at);
      const StagedFile& config_file = named_blob(config_name);
      const ImageConfig config = parse_config(staged_.read(config_name), config_name);
      const json layers = entry.contains("Layers") ? entry["Layers"] : json::array();
      if (!layers.is_array() || layers.size() != config.diff_ids.size()) {
        throw Error(at, "Layers",
                    "does not list one layer for each of the config's " +
                        std::to_string(config.diff_ids.size()) + " diff_ids");
      }
      Manifest manifest;
      manifest.media_type = media_type::kOciManifest;
      manifest.config =
          describe(media_type::kOciConfig, config_file.content.digest, config_file.content.size);
      for (std::size_t l = 0; l < layers.size(); ++l) {
        manifest.layers.push_back(
            docker_layer(string_at(layers, l, at + ".Layers"), config.diff_ids[l]));
      }
      std::string bytes = to_json(manifest);
      const Descriptor descriptor =
          describe(media_type::kOciManifest, sha256_of(bytes), bytes.size());
      documents_.push_back(std::move(bytes));
      for (const auto& reference : docker_names(entry, at, descriptor)) {
        images_.push_back({reference, descriptor});
      }
    }
  }
  // #endregion load-docker

  // Blobs first (harmless until referenced), then the tags.
  std::vector<Image> commit(Store& store) const {
    if (images_.empty()) {
      throw Error("read archive", "", "it holds no images");
    }
    for (const auto& [digest, file] : blobs_) {
      const UniqueFd fd{static_cast<int>(
          check(::open(file->path.c_str(), O_RDONLY | O_CLOEXEC), "open", file->path.string()))};
      store.write_blob(fd.get(), digest);
    }
    for (const auto& document : documents_) {
      store.write_blob(document);
    }
    for (const auto& image : images_) {
      store.add(image.reference, image.manifest);
    }
    return images_;
  }

 private:
  static json parse_json(const std::string& text, std::string_view where) {
    try {
      return json::parse(text);
    } catch (const json::exception& error) {
      throw Error("parse", std::string{where}, error.what());
    }
  }

  template <typename Key>
  static std::string string_at(const json& object, const Key& key, const std::string& at) {
    if constexpr (std::is_integral_v<Key>) {
      if (!object[key].is_string()) {
        throw Error("parse", at + "[" + std::to_string(key) + "]", "not a string");
      }
      return object[key].template get<std::string>();
    } else {
      if (!object.is_object() || !object.contains(key) || !object[key].is_string()) {
        throw Error("parse", at + "." + key, "missing or not a string");
      }
      return object[key].template get<std::string>();
    }
  }

  // A blob of the OCI half: blobs/sha256/<hex>, checked against the
  // descriptor's digest and size; remembered for commit().
  const StagedFile& blob(const Descriptor& descriptor) {
    const StagedFile& file = staged_.file(blob_name(descriptor.digest));
    if (file.content.digest != descriptor.digest) {
      throw Error("blob", descriptor.digest.str(),
                  "digest mismatch (content hashes to " + file.content.digest.str() + ")");
    }
    if (static_cast<std::int64_t>(file.content.size) != descriptor.size) {
      throw Error("blob", descriptor.digest.str(),
                  "size mismatch (" + std::to_string(file.content.size) +
                      " bytes, descriptor says " + std::to_string(descriptor.size) + ")");
    }
    blobs_[descriptor.digest] = &file;
    return file;
  }

  // A file of the docker half, at a path manifest.json chose. A name that
  // is a digest ("<hex>.json", "blobs/sha256/<hex>") must be the content's.
  const StagedFile& named_blob(const std::string& name) {
    const StagedFile& file = staged_.file(name);
    std::string stem = fs::path(name).stem().string();
    if (stem.size() == 64 && stem.find_first_not_of("0123456789abcdef") == std::string::npos &&
        stem != file.content.digest.hex()) {
      throw Error(name, "",
                  "digest mismatch (content hashes to " + file.content.digest.str() + ")");
    }
    blobs_[file.content.digest] = &file;
    return file;
  }

  Descriptor docker_layer(const std::string& name, const Digest& diff_id) {
    const StagedFile& file = named_blob(name);
    const auto [uncompressed, type] = layer_diff_id(file, name);
    if (uncompressed != diff_id) {
      throw Error("layer", name,
                  "digest mismatch (content hashes to " + uncompressed.str() +
                      ", the config's diff_id is " + diff_id.str() + ")");
    }
    return describe(type, file.content.digest, file.content.size);
  }

  // An index entry may be an index itself (multi-platform): take the linux
  // image for this machine's architecture.
  Descriptor pick_manifest(const Descriptor& entry, int depth) {
    if (entry.media_type == media_type::kOciManifest ||
        entry.media_type == media_type::kDockerManifest) {
      return describe(entry.media_type, entry.digest, static_cast<std::size_t>(entry.size));
    }
    if (entry.media_type != media_type::kOciIndex &&
        entry.media_type != media_type::kDockerManifestList) {
      throw Error("index entry", entry.digest.str(), "unknown media type " + entry.media_type);
    }
    if (depth > 4) {
      throw Error("index", entry.digest.str(), "nested too deep");
    }
    blob(entry);
    const auto platforms = parse_index(staged_.read(blob_name(entry.digest)), entry.digest.str());
    for (const auto& candidate : platforms) {
      if ((candidate.os == "linux" && candidate.architecture == host_architecture()) ||
          (platforms.size() == 1 && candidate.os.empty())) {
        return pick_manifest(candidate, depth + 1);
      }
    }
    throw Error("index", entry.digest.str(),
                "no image for linux/" + std::string{host_architecture()});
  }

  // The manifest parses (a known media type), and its config and layers
  // are present, match their digests, and agree in number.
  void check_image(const Descriptor& descriptor) {
    blob(descriptor);
    const std::string where = "manifest " + descriptor.digest.str();
    const Manifest manifest = parse_manifest(staged_.read(blob_name(descriptor.digest)), where);
    blob(manifest.config);
    const ImageConfig config = parse_config(staged_.read(blob_name(manifest.config.digest)),
                                            "config " + manifest.config.digest.str());
    for (const auto& layer : manifest.layers) {
      if (!is_layer_media_type(layer.media_type)) {
        throw Error("layer", layer.digest.str(), "unknown media type " + layer.media_type);
      }
      blob(layer);
    }
    if (config.diff_ids.size() != manifest.layers.size()) {
      throw Error(where, "",
                  std::to_string(manifest.layers.size()) + " layers but " +
                      std::to_string(config.diff_ids.size()) + " diff_ids in the config");
    }
  }

  // An OCI archive names an image by io.containerd.image.name (Docker 25,
  // containerd) or org.opencontainers.image.ref.name, which is a full name
  // ("busybox:latest", skopeo's oci-archive:FILE:busybox:latest) or a tag
  // alone ("latest").
  Reference oci_name(const std::map<std::string, std::string>& annotations,
                     const Descriptor& manifest) const {
    if (const auto name = annotations.find("io.containerd.image.name"); name != annotations.end()) {
      return Reference::parse(name->second);
    }
    const auto ref = annotations.find("org.opencontainers.image.ref.name");
    if (ref != annotations.end() && ref->second.find_first_of(":/") != std::string::npos) {
      return Reference::parse(ref->second);
    }
    return given_name(ref != annotations.end() ? ref->second : "latest", manifest);
  }

  std::vector<Reference> docker_names(const json& entry, const std::string& at,
                                      const Descriptor& manifest) const {
    std::vector<Reference> names;
    if (entry.contains("RepoTags") && entry["RepoTags"].is_array()) {
      for (std::size_t t = 0; t < entry["RepoTags"].size(); ++t) {
        names.push_back(Reference::parse(string_at(entry["RepoTags"], t, at + ".RepoTags")));
      }
    }
    if (names.empty()) {
      names.push_back(given_name("latest", manifest));
    }
    return names;
  }

  // The name for an image the archive does not name: LoadOptions::name.
  Reference given_name(const std::string& tag, const Descriptor& manifest) const {
    if (!options_.name) {
      throw Error("image", manifest.digest.str(),
                  "has no name in the archive (only the tag \"" + tag + "\"): give it a name");
    }
    return Reference::parse(has_tag(*options_.name) ? *options_.name : *options_.name + ":" + tag);
  }

  const Staged& staged_;
  const LoadOptions& options_;
  std::map<Digest, const StagedFile*> blobs_;  // to store, by their checked digests
  std::vector<std::string> documents_;         // manifests Berth wrote
  std::vector<Image> images_;
};

}  // namespace

std::vector<Image> load(Store& store, int in_fd, std::string_view where,
                        const LoadOptions& options) {
  try {
    const Staged staged(store, in_fd);
    Loader loader(staged, options);
    if (staged.contains("index.json")) {
      loader.plan_oci();
    } else if (staged.contains("manifest.json")) {
      loader.plan_docker();
    } else {
      throw Error("read archive", "",
                  "neither index.json (OCI) nor manifest.json (docker save) in it");
    }
    return loader.commit(store);
  } catch (const Error& error) {
    throw Error("load", where, error.what());
  }
}

std::vector<Image> load(Store& store, const std::filesystem::path& archive,
                        const LoadOptions& options) {
  const UniqueFd fd{static_cast<int>(
      check(::open(archive.c_str(), O_RDONLY | O_CLOEXEC), "load", archive.string()))};
  return load(store, fd.get(), archive.string(), options);
}

}  // namespace berth::image
