// Keeping a store sound: gc (mark what index.json reaches, sweep the rest)
// and verify (check every blob, and every image's tree of blobs).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <set>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "image/store.h"

namespace berth::image {

namespace fs = std::filesystem;

namespace {

// Indexes may nest (an image list per platform); a deeper tree is refused.
constexpr int kMaxDepth = 8;

bool is_index(std::string_view type) {
  return type == media_type::kOciIndex || type == media_type::kDockerManifestList;
}
bool is_manifest(std::string_view type) {
  return type == media_type::kOciManifest || type == media_type::kDockerManifest;
}

bool is_digest_name(const std::string& name) {
  try {
    Digest::parse("sha256:" + name);
    return true;
  } catch (const Error&) {
    return false;
  }
}

// What the images of index.json reach: blobs and unpacked layers, by hex.
struct Marks {
  std::set<std::string> blobs;
  std::set<std::string> layers;
};

void mark(const Store& store, const Descriptor& descriptor, Marks& marks, int depth) {
  if (depth > kMaxDepth) throw Error("gc", descriptor.digest.str(), "indexes nested too deep");
  marks.blobs.insert(descriptor.digest.hex());
  const std::string where = descriptor.media_type + " " + descriptor.digest.str();
  if (is_index(descriptor.media_type)) {
    for (const Descriptor& child : parse_index(store.read_blob(descriptor.digest), where)) {
      mark(store, child, marks, depth + 1);
    }
  } else if (is_manifest(descriptor.media_type)) {
    const Manifest manifest = parse_manifest(store.read_blob(descriptor.digest), where);
    marks.blobs.insert(manifest.config.digest.hex());
    for (const Descriptor& layer : manifest.layers) {
      marks.blobs.insert(layer.digest.hex());
    }
    for (const Digest& chain_id : chain_ids(store.config(manifest).diff_ids)) {
      marks.layers.insert(chain_id.hex());
    }
  }
}

std::uint64_t bytes_under(const fs::path& path) {
  std::uint64_t bytes = 0;
  std::error_code error;
  if (fs::is_regular_file(fs::symlink_status(path, error))) return fs::file_size(path, error);
  for (fs::recursive_directory_iterator it(path, error), end; !error && it != end;
       it.increment(error)) {
    if (it->is_regular_file(error) && !it->is_symlink(error)) bytes += it->file_size(error);
  }
  return bytes;
}

std::string read_text(const fs::path& path) {
  std::ifstream file(path);
  if (!file) throw Error("read", path.filename().string(), "missing or unreadable");
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

// A directory's entries, listed before any is removed.
std::vector<fs::path> entries_of(const fs::path& dir) {
  std::vector<fs::path> paths;
  for (const auto& entry : fs::directory_iterator(dir)) {
    paths.push_back(entry.path());
  }
  return paths;
}

void remove_tree(const fs::path& path) {
  std::error_code error;
  fs::remove_all(path, error);
  if (error) throw Error("remove", path.string(), error.message());
}

}  // namespace

GcReport Store::gc() {
  if (access_ != Access::exclusive) {
    throw Error("gc", root_.string(), "needs the store to itself (open it with Access::exclusive)");
  }
  // Mark. A tree that cannot be read cannot be marked, and sweeping then
  // could take blobs an image still needs: refuse, and remove nothing.
  Marks marks;
  for (const Descriptor& entry : read_index()) {
    try {
      mark(*this, entry, marks, 0);
    } catch (const Error& error) {
      throw Error("gc", root_.string(),
                  std::string(error.what()) + " (nothing removed; `verify` lists the problems)");
    }
  }

  // Sweep: tmp/ first, since nothing there is ever referenced.
  GcReport report;
  for (const fs::path& path : entries_of(root_ / "tmp")) {
    report.bytes_freed += bytes_under(path);
    remove_tree(path);
    ++report.temporaries_removed;
  }
  // A layer is renamed into tmp/ before it is removed: removed in place, a
  // crash halfway would leave half a layer under a name that says whole.
  for (const fs::path& path : entries_of(root_ / "layers")) {
    if (marks.layers.contains(path.filename().string())) continue;
    const fs::path doomed = make_temporary("gc-layer", true);
    check(::rename(path.c_str(), doomed.c_str()), "rename", path.string());
    report.bytes_freed += bytes_under(doomed);
    remove_tree(doomed);
    ++report.layers_removed;
  }
  for (const fs::path& path : entries_of(root_ / "blobs" / "sha256")) {
    const std::string name = path.filename().string();
    if (marks.blobs.contains(name) || !is_digest_name(name)) continue;
    report.bytes_freed += bytes_under(path);
    check(::unlink(path.c_str()), "unlink", path.string());
    ++report.blobs_removed;
  }
  return report;
}

// --- verify ------------------------------------------------------------------

namespace {

class Verifier {
 public:
  Verifier(const Store& store, VerifyReport& report) : store_(store), report_(report) {}

  // Every blob's content against its name.
  void check_blobs() {
    for (const auto& entry : fs::directory_iterator(store_.root() / "blobs" / "sha256")) {
      const std::string name = entry.path().filename().string();
      if (!is_digest_name(name)) {
        problem("blobs/sha256/" + name + ": not named by a sha256 digest");
        continue;
      }
      const UniqueFd fd{static_cast<int>(check(::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC),
                                               "open", entry.path().string()))};
      const Digest content = sha256_of_fd(fd.get()).digest;
      ++report_.blobs_checked;
      if (content.hex() != name) {
        corrupt_.insert(name);
        problem("blob sha256:" + name + ": digest mismatch (content hashes to " + content.str() +
                ")");
      }
    }
  }

  // One index entry's tree: documents parse, and every blob is there with
  // its descriptor's size.
  void check_tree(const Descriptor& descriptor, const std::string& name, int depth) {
    if (!present(descriptor, name, "manifest") || corrupt_.contains(descriptor.digest.hex())) {
      return;
    }
    try {
      const std::string where = descriptor.media_type + " " + descriptor.digest.str();
      if (is_index(descriptor.media_type)) {
        if (depth >= kMaxDepth) throw Error("read", where, "indexes nested too deep");
        for (const Descriptor& child : parse_index(store_.read_blob(descriptor.digest), where)) {
          check_tree(child, name, depth + 1);
        }
        return;
      }
      const Manifest manifest = parse_manifest(store_.read_blob(descriptor.digest), where);
      for (const Descriptor& layer : manifest.layers) {
        present(layer, name, "layer");
      }
      if (!present(manifest.config, name, "config") ||
          corrupt_.contains(manifest.config.digest.hex())) {
        return;
      }
      const ImageConfig config = store_.config(manifest);
      if (config.diff_ids.size() != manifest.layers.size()) {
        problem(name + ": config lists " + std::to_string(config.diff_ids.size()) +
                " diff_ids for " + std::to_string(manifest.layers.size()) + " layers");
      }
    } catch (const Error& error) {
      problem(name + ": " + error.what());
    }
  }

  void problem(std::string line) { report_.problems.push_back(std::move(line)); }

 private:
  bool present(const Descriptor& descriptor, const std::string& name, std::string_view role) {
    struct stat status {};
    const std::string what = name + ": " + std::string(role) + " " + descriptor.digest.str();
    if (::stat(store_.blob_path(descriptor.digest).c_str(), &status) == -1) {
      problem(what + " missing");
      return false;
    }
    if (status.st_size != descriptor.size) {
      problem(what + ": size is " + std::to_string(status.st_size) +
              " bytes, its descriptor says " + std::to_string(descriptor.size));
      return false;
    }
    return true;
  }

  const Store& store_;
  VerifyReport& report_;
  std::set<std::string> corrupt_;  // blobs already reported
};

std::string name_of(const Descriptor& entry) {
  const auto reference = reference_of(entry);
  if (!reference) return "index.json entry " + entry.digest.str();
  std::string name = reference->familiar_name();
  if (!reference->tag.empty()) name += ":" + reference->tag;
  if (reference->digest) name += "@" + reference->digest->str();
  return name;
}

}  // namespace

VerifyReport Store::verify() const {
  VerifyReport report;
  Verifier verifier(*this, report);
  try {
    const auto layout = nlohmann::json::parse(read_text(root_ / "oci-layout"));
    if (!layout.is_object() || !layout.contains("imageLayoutVersion")) {
      verifier.problem("oci-layout: no imageLayoutVersion");
    }
  } catch (const Error& error) {
    verifier.problem(error.what());
  } catch (const nlohmann::json::exception& error) {
    verifier.problem(std::string("oci-layout: ") + error.what());
  }
  verifier.check_blobs();
  std::vector<Descriptor> entries;
  try {
    entries = read_index();
  } catch (const Error& error) {
    verifier.problem(error.what());
  }
  for (const Descriptor& entry : entries) {
    verifier.check_tree(entry, name_of(entry), 0);
    ++report.images_checked;
  }
  return report;
}

}  // namespace berth::image
