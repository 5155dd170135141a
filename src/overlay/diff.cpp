// A container's upper directory as a list of changes and as a layer tarball.
#include "overlay/diff.h"

#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>
#include <utility>

#include "common/error.h"
#include "common/fd.h"
#include "overlay/archive.h"

namespace berth::overlay {
namespace {

namespace fs = std::filesystem;

constexpr const char* kWhiteoutPrefix = ".wh.";
constexpr const char* kOpaqueMarker = ".wh..wh..opq";
constexpr const char* kOpaqueXattr = "trusted.overlay.opaque";
constexpr const char* kCapabilityXattr = "security.capability";

bool is_whiteout(const struct stat& info) {
  return S_ISCHR(info.st_mode) && info.st_rdev == 0;
}

bool is_opaque_fd(int dir_fd) {
  char value[2] = {};
  return ::fgetxattr(dir_fd, kOpaqueXattr, value, sizeof value) == 1 && value[0] == 'y';
}

UniqueFd open_directory(int parent_fd, const std::string& name, const std::string& what) {
  return UniqueFd{static_cast<int>(
      check(::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC),
            "open", what))};
}

// One entry of a directory: its name on disk, its name in a layer, its stat.
struct Child {
  std::string name;
  std::string layer_name;
  struct stat info {};
};

// What the entry `name` is called in a layer tarball.
std::string layer_name(const std::string& name, const struct stat& info) {
  return is_whiteout(info) ? kWhiteoutPrefix + name : name;
}

// The entries of the directory `dir_fd` (`what` names it in errors), in
// the bytewise order of their names in a layer.
std::vector<Child> children(int dir_fd, const std::string& what) {
  DIR* dir = ::fdopendir(static_cast<int>(
      check(::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), "open", what)));
  if (dir == nullptr) throw Error("opendir", what, errno);
  std::vector<Child> list;
  errno = 0;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    Child child{.name = name, .layer_name = {}, .info = {}};
    if (::fstatat(dir_fd, name.c_str(), &child.info, AT_SYMLINK_NOFOLLOW) == -1) {
      const int error = errno;
      ::closedir(dir);
      throw Error("stat", (fs::path(what) / name).string(), error);
    }
    child.layer_name = layer_name(name, child.info);
    list.push_back(std::move(child));
  }
  const int error = errno;
  ::closedir(dir);
  if (error != 0) throw Error("readdir", what, error);
  std::sort(list.begin(), list.end(),
            [](const Child& a, const Child& b) { return a.layer_name < b.layer_name; });
  return list;
}

// --- The layer tarball -----------------------------------------------------

class LayerWriter {
 public:
  LayerWriter(const fs::path& upper, int out_fd, const DiffOptions& options)
      : upper_(upper), options_(options), archive_(out_fd, "layer of " + upper.string()) {}

  void write() {
    const UniqueFd root{static_cast<int>(check(
        ::open(upper_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC), "open", upper_.string()))};
    write_directory(root.get(), "");
    archive_.close();
  }

 private:
  void write_directory(int dir_fd, const std::string& prefix) {
    for (const Child& child : children(dir_fd, (upper_ / prefix).string())) {
      write_entry(dir_fd, child, prefix);
    }
  }

  void write_entry(int dir_fd, const Child& child, const std::string& prefix) {
    const std::string path = prefix + child.layer_name;
    // #lab 07 diff-whiteouts: Write whiteouts and opaque directories as OCI's .wh. files.
    // #hint A whiteout (is_whiteout(child.info)) becomes an empty regular file, already
    // #hint named .wh.NAME (child.layer_name): write_marker(path, child.info).
    // #hint A directory: its header; when it is opaque (is_opaque_fd), the marker
    // #hint DIR/.wh..wh..opq (kOpaqueMarker) next; then write_directory() into it.
    // #region diff-whiteouts
    if (is_whiteout(child.info)) {
      write_marker(path, child.info);
      return;
    }
    if (S_ISDIR(child.info.st_mode)) {
      const UniqueFd dir = open_directory(dir_fd, child.name, (upper_ / path).string());
      write_header(*header(path, child.info));
      // The marker before the contents: a reader applying entries in order
      // then clears what was below before it adds what is new.
      if (is_opaque_fd(dir.get())) write_marker(path + "/" + kOpaqueMarker, child.info);
      write_directory(dir.get(), path + "/");
      return;
    }
    // #endregion diff-whiteouts
    // #endlab
    if (S_ISSOCK(child.info.st_mode)) return;
    if (S_ISREG(child.info.st_mode)) {
      write_file(dir_fd, child, path);
      return;
    }
    Entry entry = header(path, child.info);
    if (S_ISLNK(child.info.st_mode)) {
      archive_entry_set_symlink(entry.get(), read_link(dir_fd, child.name, path).c_str());
    }
    write_header(*entry);
  }

  // #region layer-header
  // A header with the stat's type, mode, owner and (chosen) mtime, and nothing
  // that depends on the host or the moment: no names of users, no atime.
  Entry header(const std::string& path, const struct stat& info) const {
    Entry entry = make_entry();
    archive_entry_set_pathname(entry.get(), path.c_str());
    archive_entry_set_mode(entry.get(), info.st_mode);
    archive_entry_set_uid(entry.get(), info.st_uid);
    archive_entry_set_gid(entry.get(), info.st_gid);
    archive_entry_set_mtime(entry.get(), options_.timestamp.value_or(info.st_mtim.tv_sec), 0);
    if (S_ISCHR(info.st_mode) || S_ISBLK(info.st_mode)) {
      archive_entry_set_rdev(entry.get(), info.st_rdev);
    }
    return entry;
  }
  // #endregion layer-header

  // An empty regular file of the OCI whiteout format, owned as `info` is.
  void write_marker(const std::string& path, const struct stat& info) {
    struct stat marker = info;
    marker.st_mode = S_IFREG | 0600;
    write_header(*header(path, marker));
  }

  void write_file(int dir_fd, const Child& child, const std::string& path) {
    Entry entry = header(path, child.info);
    if (child.info.st_nlink > 1) {
      const auto [first, inserted] =
          links_.try_emplace({child.info.st_dev, child.info.st_ino}, path);
      if (!inserted) {  // seen before: only a name for the same file
        archive_entry_set_hardlink(entry.get(), first->second.c_str());
        write_header(*entry);
        return;
      }
    }
    const std::string what = (upper_ / path).string();
    const UniqueFd file{static_cast<int>(check(
        ::openat(dir_fd, child.name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC), "open", what))};
    add_capabilities(file.get(), *entry, what);
    archive_entry_set_size(entry.get(), child.info.st_size);
    write_header(*entry);
    archive_.copy_data(file.get(), static_cast<std::uint64_t>(child.info.st_size), what);
  }

  static void add_capabilities(int fd, archive_entry& entry, const std::string& what) {
    char value[256];
    const ssize_t size = ::fgetxattr(fd, kCapabilityXattr, value, sizeof value);
    if (size < 0 && errno != ENODATA && errno != ENOTSUP) {
      throw Error(std::string("getxattr ") + kCapabilityXattr, what, errno);
    }
    if (size > 0) {
      archive_entry_xattr_add_entry(&entry, kCapabilityXattr, value,
                                    static_cast<std::size_t>(size));
    }
  }

  std::string read_link(int dir_fd, const std::string& name, const std::string& path) const {
    std::string target(PATH_MAX, '\0');
    const auto size = check(::readlinkat(dir_fd, name.c_str(), target.data(), target.size()),
                            "readlink", (upper_ / path).string());
    target.resize(static_cast<std::size_t>(size));
    return target;
  }

  void write_header(archive_entry& entry) { archive_.write_header(&entry); }

  fs::path upper_;
  DiffOptions options_;
  ArchiveWriter archive_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;  // first path of each linked file
};

// --- The list of changes ---------------------------------------------------

bool lstat_ok(const fs::path& path, struct stat& info) {
  return ::lstat(path.c_str(), &info) == 0;
}

// Whether the lowers (topmost first) show `path` ("etc/hosts"), as overlayfs
// would: the first layer that has it or hides it decides.
bool shown_below(const Stack& stack, const fs::path& path) {
  for (const fs::path& lower : stack.lowers) {
    // An ancestor of `path` in this layer may hide it from the layers below:
    // a whiteout, a non-directory, or an opaque directory.
    bool opaque = false;
    bool here = true;
    fs::path ancestor = lower;
    for (auto it = path.begin(); here && std::next(it) != path.end(); ++it) {
      ancestor /= *it;
      struct stat info {};
      if (!lstat_ok(ancestor, info)) {
        here = false;
      } else if (!S_ISDIR(info.st_mode)) {
        return false;
      } else if (is_opaque(ancestor)) {
        opaque = true;
      }
    }
    struct stat info {};
    if (here && lstat_ok(lower / path, info)) return !is_whiteout(info);
    if (opaque) return false;
  }
  return false;
}

class ChangeLister {
 public:
  explicit ChangeLister(const Stack& stack) : stack_(stack) {}

  std::vector<Change> list() {
    const UniqueFd root{
        static_cast<int>(check(::open(stack_.upper.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC),
                               "open", stack_.upper.string()))};
    walk(root.get(), "");
    std::sort(changes_.begin(), changes_.end(),
              [](const Change& a, const Change& b) { return a.path < b.path; });
    return std::move(changes_);
  }

 private:
  void walk(int dir_fd, const fs::path& dir) {
    for (const Child& child : children(dir_fd, (stack_.upper / dir).string())) {
      const fs::path path = dir / child.name;
      const bool below = shown_below(stack_, path);
      if (is_whiteout(child.info)) {
        if (below) add(Change::Kind::deleted, path);
        continue;
      }
      add(below ? Change::Kind::changed : Change::Kind::added, path);
      if (!S_ISDIR(child.info.st_mode)) continue;
      const UniqueFd sub = open_directory(dir_fd, child.name, (stack_.upper / path).string());
      if (below && is_opaque_fd(sub.get())) add_hidden(sub.get(), path);
      walk(sub.get(), path);
    }
  }

  // An opaque directory deletes every name the lowers showed in it that
  // it does not have itself.
  void add_hidden(int dir_fd, const fs::path& dir) {
    std::set<std::string> names;
    for (const fs::path& lower : stack_.lowers) {
      std::error_code error;
      for (const auto& entry : fs::directory_iterator(lower / dir, error)) {
        names.insert(entry.path().filename().string());
      }
    }
    for (const std::string& name : names) {
      struct stat info {};
      const bool in_upper = ::fstatat(dir_fd, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0;
      if (!in_upper && shown_below(stack_, dir / name)) add(Change::Kind::deleted, dir / name);
    }
  }

  void add(Change::Kind kind, const fs::path& path) {
    changes_.push_back({.kind = kind, .path = "/" + path.string()});
  }

  const Stack& stack_;
  std::vector<Change> changes_;
};

}  // namespace

std::vector<Change> changes(const Stack& stack) {
  return ChangeLister(stack).list();
}

void write_layer(const fs::path& upper, int out_fd, const DiffOptions& options) {
  LayerWriter(upper, out_fd, options).write();
}

}  // namespace berth::overlay
