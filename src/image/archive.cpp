// Image archives, writing: one tar that is an OCI image layout and a
// docker-save archive at once (image/archive.h).
#include "image/archive.h"

#include <archive_entry.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "overlay/archive.h"

namespace berth::image {
namespace {

using nlohmann::json;

std::string blob_name(const Digest& digest) {
  return "blobs/sha256/" + digest.hex();
}

// Adds entries to a tar with every header field fixed (mtime 0, owner
// 0:0), so that the same images always give the same bytes.
void add_entry(overlay::ArchiveWriter& tar, const std::string& name, unsigned type,
               std::int64_t size) {
  const overlay::Entry entry = overlay::make_entry();
  archive_entry_set_pathname(entry.get(), name.c_str());
  archive_entry_set_filetype(entry.get(), type);
  archive_entry_set_perm(entry.get(), type == AE_IFDIR ? 0755 : 0644);
  archive_entry_set_size(entry.get(), size);
  archive_entry_set_mtime(entry.get(), 0, 0);
  tar.write_header(entry.get());
}

void add_file(overlay::ArchiveWriter& tar, const std::string& name, std::string_view bytes) {
  add_entry(tar, name, AE_IFREG, static_cast<std::int64_t>(bytes.size()));
  tar.write_data(std::as_bytes(std::span{bytes}));
}

// One manifest to save and every tag that names it.
struct SavedImage {
  Descriptor manifest;
  Manifest document;
  std::vector<Reference> tags;
};

std::string docker_tag(const Reference& reference) {
  return reference.familiar_name() + ":" + reference.tag;
}

// #region save-documents
// index.json: one entry per tag, named as Docker 25 names them, so that
// containerd-based readers find the full name and OCI tools the tag.
std::string oci_index(const std::vector<SavedImage>& saved) {
  json manifests = json::array();
  for (const auto& image : saved) {
    for (const auto& tag : image.tags) {
      manifests.push_back({{"mediaType", image.manifest.media_type},
                           {"digest", image.manifest.digest.str()},
                           {"size", image.manifest.size},
                           {"annotations",
                            {{"io.containerd.image.name", tag.str()},
                             {"org.opencontainers.image.ref.name", tag.tag}}}});
    }
  }
  return json{{"schemaVersion", 2}, {"mediaType", media_type::kOciIndex}, {"manifests", manifests}}
      .dump();
}

// manifest.json: what `docker load` reads. Its paths point at the same
// blobs index.json does, so nothing is stored twice.
std::string docker_manifest(const std::vector<SavedImage>& saved) {
  json entries = json::array();
  for (const auto& image : saved) {
    json tags = json::array();
    for (const auto& tag : image.tags) {
      tags.push_back(docker_tag(tag));
    }
    json layers = json::array();
    for (const auto& layer : image.document.layers) {
      layers.push_back(blob_name(layer.digest));
    }
    entries.push_back({{"Config", blob_name(image.document.config.digest)},
                       {"RepoTags", tags},
                       {"Layers", layers}});
  }
  return entries.dump();
}
// #endregion save-documents

// repositories: the pre-1.10 docker's list of names, repository -> tag ->
// top layer; today's readers use it only to list what an archive holds.
std::string docker_repositories(const std::vector<SavedImage>& saved) {
  json repositories = json::object();
  for (const auto& image : saved) {
    for (const auto& tag : image.tags) {
      const auto& layers = image.document.layers;
      repositories[tag.familiar_name()][tag.tag] =
          layers.empty() ? image.manifest.digest.hex() : layers.back().digest.hex();
    }
  }
  return repositories.dump();
}

std::vector<SavedImage> collect(const Store& store, const std::vector<Image>& images) {
  std::vector<SavedImage> saved;
  for (const auto& image : images) {
    auto same = std::find_if(saved.begin(), saved.end(), [&](const SavedImage& other) {
      return other.manifest.digest == image.manifest.digest;
    });
    if (same == saved.end()) {
      Descriptor manifest = image.manifest;
      manifest.annotations.clear();
      saved.push_back({manifest, store.manifest(image), {}});
      same = std::prev(saved.end());
    }
    same->tags.push_back(image.reference);
  }
  return saved;
}

void write_archive(const Store& store, const std::vector<SavedImage>& saved, int out_fd) {
  std::set<Digest> digests;
  for (const auto& image : saved) {
    digests.insert(image.manifest.digest);
    digests.insert(image.document.config.digest);
    for (const auto& layer : image.document.layers) {
      digests.insert(layer.digest);
    }
  }
  // Every blob opened and checked before the first byte is written: a
  // missing or corrupt one leaves the output untouched.
  std::vector<std::pair<Digest, UniqueFd>> blobs;
  blobs.reserve(digests.size());
  for (const auto& digest : digests) {
    blobs.emplace_back(digest, store.open_blob(digest));
  }
  // Entries in name order: blobs/…, index.json, manifest.json, oci-layout,
  // repositories (a std::set<Digest> iterates in hex order).
  overlay::ArchiveWriter tar(out_fd, "archive");
  add_entry(tar, "blobs/", AE_IFDIR, 0);
  add_entry(tar, "blobs/sha256/", AE_IFDIR, 0);
  for (const auto& [digest, blob] : blobs) {
    struct stat status {};
    check(::fstat(blob.get(), &status), "stat", store.blob_path(digest).string());
    add_entry(tar, blob_name(digest), AE_IFREG, status.st_size);
    tar.copy_data(blob.get(), static_cast<std::uint64_t>(status.st_size), digest.str());
  }
  add_file(tar, "index.json", oci_index(saved));
  add_file(tar, "manifest.json", docker_manifest(saved));
  add_file(tar, "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  add_file(tar, "repositories", docker_repositories(saved));
  tar.close();
}

}  // namespace

void save(const Store& store, const std::vector<Image>& images, int out_fd) {
  std::string names;
  for (const auto& image : images) {
    names += (names.empty() ? "" : " ") + docker_tag(image.reference);
  }
  try {
    write_archive(store, collect(store, images), out_fd);
  } catch (const Error& error) {
    throw Error("save", names, error.what());
  }
}

}  // namespace berth::image
