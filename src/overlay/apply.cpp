// Applying a layer tarball to a directory: one entry at a time, each made
// with *at() calls on a parent resolved inside the target.
#include "overlay/apply.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/error.h"
#include "common/fd.h"
#include "overlay/archive.h"
#include "rootfs/in_root.h"

namespace berth::overlay {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr std::string_view kAufsPrefix = ".wh..wh.";  // aufs's bookkeeping: skipped
constexpr const char* kOpaqueXattr = "trusted.overlay.opaque";
constexpr const char* kCapabilityXattr = "security.capability";

// The names of the directory `dir_fd`, without "." and "..".
std::vector<std::string> names_in(int dir_fd) {
  const int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* dir = fd >= 0 ? ::fdopendir(fd) : nullptr;
  if (dir == nullptr) {
    if (fd >= 0) ::close(fd);
    throw Error("opendir", "", errno);
  }
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(dir);
  return names;
}

// A directory's metadata, set once its contents are in (writing into it
// would change its mtime; a read-only mode could stop the writes).
struct DirectoryMetadata {
  mode_t mode = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  timespec mtime{};
};

class Applier {
 public:
  Applier(int fd, const fs::path& dir, const ApplyOptions& options)
      : reader_(fd, "layer"),
        dir_(dir),
        options_(options),
        root_(static_cast<int>(
            check(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC), "open", dir.string()))) {}

  ApplyResult run() {
    while (archive_entry* entry = reader_.next()) {
      entry_ = reader_.path();
      apply(entry);
    }
    finish_directories();
    return result_;
  }

 private:
  // #region apply-entry
  void apply(archive_entry* entry) {
    if (++result_.entries > options_.limits.max_entries) {
      fail("more than " + std::to_string(options_.limits.max_entries) + " entries (the limit)");
    }
    std::vector<std::string> names = components(entry_);
    if (names.empty()) {
      apply_root(entry);
      return;
    }
    const std::string name = std::move(names.back());
    names.pop_back();
    const std::string parent = join(names);
    if (name.starts_with(kWhiteoutPrefix)) {
      apply_whiteout(parent, name);
      return;
    }
    const std::string path = parent.empty() ? name : parent + "/" + name;
    forget(path);
    const int parent_fd = open_parent(parent);
    if (const char* target = archive_entry_hardlink(entry)) {
      make_hardlink(parent_fd, name, target);
    } else {
      make(parent_fd, name, path, entry);
    }
    if (options_.whiteouts == Whiteouts::remove) remember(path);
  }
  // #endregion apply-entry

  void make(int parent_fd, const std::string& name, const std::string& path, archive_entry* entry) {
    const mode_t type = archive_entry_filetype(entry);
    switch (type) {
      case AE_IFREG:
        make_file(parent_fd, name, entry);
        return;
      case AE_IFDIR:
        make_directory(parent_fd, name, path, entry);
        return;
      case AE_IFLNK: {
        // A tar header may leave the target empty; the kernel has no empty symlinks.
        const char* target = archive_entry_symlink(entry);
        if (target == nullptr || *target == '\0') fail("a symlink with an empty target");
        create(parent_fd, name, [&] { return ::symlinkat(target, parent_fd, name.c_str()); });
        break;
      }
      case AE_IFCHR:
      case AE_IFBLK:
        if (options_.rootless) fail("a device node, refused in rootless mode");
        [[fallthrough]];
      case AE_IFIFO:
        create(parent_fd, name, [&] {
          return ::mknodat(parent_fd, name.c_str(), type | 0600, archive_entry_rdev(entry));
        });
        check_entry(::fchmodat(parent_fd, name.c_str(), archive_entry_perm(entry), 0), "chmod");
        break;
      default:
        fail("an entry of unknown type " + std::to_string(type));
    }
    set_owner_at(parent_fd, name, entry);
    const timespec times[2] = {mtime_of(entry), mtime_of(entry)};
    check_entry(::utimensat(parent_fd, name.c_str(), times, AT_SYMLINK_NOFOLLOW), "utimensat");
  }

  // --- Regular files, directories, hardlinks -------------------------------

  void make_file(int parent_fd, const std::string& name, archive_entry* entry) {
    const auto size = static_cast<std::uint64_t>(archive_entry_size(entry));
    if (size > options_.limits.max_file_size) {
      fail("a file of " + std::to_string(size) + " bytes, more than the limit of " +
           std::to_string(options_.limits.max_file_size));
    }
    if (size > options_.limits.max_total_size - total_size_) {
      fail("more than " + std::to_string(options_.limits.max_total_size) +
           " bytes of files in all (the limit)");
    }
    total_size_ += size;
    UniqueFd file;
    create(parent_fd, name, [&] {
      file.reset(::openat(parent_fd, name.c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      return file ? 0 : -1;
    });
    // The data in blocks, each where it belongs: a sparse file's holes are
    // skipped, and ftruncate gives it its full size if it ends in one.
    std::uint64_t end = 0;
    while (true) {
      const ArchiveReader::Block block = reader_.read_block();
      if (block.bytes.empty()) break;
      write_at(file.get(), block);
      end = static_cast<std::uint64_t>(block.offset) + block.bytes.size();
    }
    if (end < size) check_entry(::ftruncate(file.get(), static_cast<off_t>(size)), "ftruncate");
    result_.bytes += size;
    if (!options_.rootless) {
      check_entry(::fchown(file.get(), uid_of(entry), gid_of(entry)), "chown");
    }
    // After chown, which clears the setuid and setgid bits and capabilities.
    check_entry(::fchmod(file.get(), archive_entry_perm(entry)), "chmod");
    set_capabilities(file.get(), entry);
    const timespec times[2] = {mtime_of(entry), mtime_of(entry)};
    check_entry(::futimens(file.get(), times), "futimens");
  }

  void write_at(int fd, const ArchiveReader::Block& block) {
    std::size_t done = 0;
    while (done < block.bytes.size()) {
      const ssize_t n = ::pwrite(fd, block.bytes.data() + done, block.bytes.size() - done,
                                 static_cast<off_t>(block.offset) + static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      check_entry(n, "write");
      done += static_cast<std::size_t>(n);
    }
  }

  void set_capabilities(int fd, archive_entry* entry) {
    const char* name = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    archive_entry_xattr_reset(entry);
    while (archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK) {
      if (std::string_view{name} == kCapabilityXattr) {
        check_entry(::fsetxattr(fd, name, value, size, 0), "setxattr security.capability");
      }
    }
  }

  // An existing directory stays (a layer adds to it); anything else there
  // is replaced. Its metadata waits for finish_directories().
  void make_directory(int parent_fd, const std::string& name, const std::string& path,
                      archive_entry* entry) {
    if (::mkdirat(parent_fd, name.c_str(), 0700) == -1) {
      struct stat info {};
      if (errno != EEXIST || ::fstatat(parent_fd, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == -1 ||
          !S_ISDIR(info.st_mode)) {
        create(parent_fd, name, [&] { return ::mkdirat(parent_fd, name.c_str(), 0700); });
      }
    }
    directories_[path] = metadata_of(entry);
  }

  void apply_root(archive_entry* entry) {
    if (archive_entry_filetype(entry) != AE_IFDIR) fail("names the root, and is not a directory");
    directories_[""] = metadata_of(entry);
  }

  // The target is looked up inside the root too, and linked through its
  // descriptor: what is linked is exactly the file found there.
  void make_hardlink(int parent_fd, const std::string& name, const char* target) {
    const std::string inside = join(components(target));
    UniqueFd file;
    try {
      file = rootfs::open_in_root(root_.get(), inside, O_NOFOLLOW);
    } catch (const Error& error) {
      fail("a hardlink to " + std::string(target) + ": " + errno_text(error.errno_value()));
    }
    // linkat(fd, "", AT_EMPTY_PATH) would need CAP_DAC_READ_SEARCH; the
    // /proc/self/fd name of the descriptor works for anyone.
    const std::string source = rootfs::fd_path(file);
    create(parent_fd, name, [&] {
      return ::linkat(AT_FDCWD, source.c_str(), parent_fd, name.c_str(), AT_SYMLINK_FOLLOW);
    });
  }

  // --- Whiteouts -------------------------------------------------------------

  void apply_whiteout(const std::string& parent, const std::string& name) {
    cached_parent_fd_.reset();  // a deletion may take the cached directory
    // #lab 07 apply-whiteouts: Turn OCI's .wh. files into overlayfs whiteouts, or into deletions.
    // #hint The opaque marker (kOpaqueMarker) makes `parent` opaque: make_opaque(parent).
    // #hint Other names starting with kAufsPrefix are aufs's own: skip them.
    // #hint .wh.NAME hides NAME: with Whiteouts::overlay, a 0/0 character device NAME in the
    // #hint parent (mknodat, through create() to replace what is there); with
    // #hint Whiteouts::remove, remove_tree(parent_fd, NAME).
    // #region apply-whiteouts
    if (name == kOpaqueMarker) {
      make_opaque(parent);
      return;
    }
    if (name.starts_with(kAufsPrefix)) return;
    const std::string hidden = name.substr(kWhiteoutPrefix.size());
    if (hidden.empty() || hidden == "." || hidden == "..") fail("a whiteout of no file");
    const int parent_fd = open_parent(parent);
    if (options_.whiteouts == Whiteouts::overlay) {
      create(parent_fd, hidden,
             [&] { return ::mknodat(parent_fd, hidden.c_str(), S_IFCHR | 0000, ::makedev(0, 0)); });
    } else {
      remove_tree(parent_fd, hidden);
    }
    // #endregion apply-whiteouts
    // #endlab
  }

  // overlayfs: the xattr. Flattening: what the directory held before this
  // layer goes, and what this layer put there (before or after the
  // marker) stays.
  void make_opaque(const std::string& dir) {
    const UniqueFd fd = open_directory(open_parent(dir), ".");
    if (options_.whiteouts == Whiteouts::overlay) {
      check_entry(::fsetxattr(fd.get(), kOpaqueXattr, "y", 1, 0),
                  std::string("setxattr ") + kOpaqueXattr);
    } else {
      remove_earlier(fd.get(), dir);
    }
  }

  void remove_earlier(int dir_fd, const std::string& dir) {
    for (const std::string& name : names_in(dir_fd)) {
      std::string path = dir;
      if (!path.empty()) path += '/';
      path += name;
      if (!written_.contains(path)) {
        remove_tree(dir_fd, name);
        continue;
      }
      struct stat info {};
      if (::fstatat(dir_fd, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 &&
          S_ISDIR(info.st_mode)) {
        remove_earlier(open_directory(dir_fd, name).get(), path);
      }
    }
  }

  // Removes `name` from `parent_fd`, and all under it; never follows a
  // symlink (it is removed, not what it points to).
  void remove_tree(int parent_fd, const std::string& name) {
    if (::unlinkat(parent_fd, name.c_str(), 0) == 0 || errno == ENOENT) return;
    if (errno != EISDIR) fail("unlink " + name + ": " + errno_text(errno));
    {
      const UniqueFd dir = open_directory(parent_fd, name);
      for (const std::string& child : names_in(dir.get())) {
        remove_tree(dir.get(), child);
      }
    }
    check_entry(::unlinkat(parent_fd, name.c_str(), AT_REMOVEDIR), "rmdir " + name);
  }

  // --- Paths -----------------------------------------------------------------

  // The names of an entry's path inside the root: a leading "/" or "./"
  // and empty or "." names dropped, ".." refused.
  std::vector<std::string> components(std::string_view path) const {
    std::vector<std::string> names;
    std::size_t start = 0;
    while (start <= path.size()) {
      const std::size_t end = std::min(path.find('/', start), path.size());
      const std::string_view name = path.substr(start, end - start);
      if (name == "..") fail("a path with \"..\"");
      if (!name.empty() && name != ".") names.emplace_back(name);
      start = end + 1;
    }
    return names;
  }

  static std::string join(const std::vector<std::string>& names) {
    std::string path;
    for (const auto& name : names) {
      if (!path.empty()) path += '/';
      path += name;
    }
    return path;
  }

  // #region apply-parent
  // The directory `parent` (a path inside the root), created if missing. The
  // last one is kept open: the entries of one directory come together.
  int open_parent(const std::string& parent) {
    if (cached_parent_fd_ && cached_parent_ == parent) return cached_parent_fd_.get();
    try {
      cached_parent_fd_ = open_or_make(parent);
    } catch (const Error& error) {
      fail(error.what());
    }
    cached_parent_ = parent;
    return cached_parent_fd_.get();
  }

  // The kernel resolves `parent` as if the target were "/": symlinks on the
  // way, absolute or climbing with "..", cannot lead out of it.
  UniqueFd open_or_make(const std::string& parent) const {
    try {
      return rootfs::open_in_root(root_.get(), parent, O_DIRECTORY);
    } catch (const Error& error) {
      if (error.errno_value() != ENOENT) throw;
    }
    // Layers may leave out directory entries: make the missing ones
    // (inside the root too).
    rootfs::make_mount_point(root_.get(), parent, false);
    return rootfs::open_in_root(root_.get(), parent, O_DIRECTORY);
  }
  // #endregion apply-parent

  // `path` is about to be replaced: a cached descriptor of it, or of a
  // directory under it, may name what is no longer there.
  void forget(const std::string& path) {
    if (cached_parent_ == path || cached_parent_.starts_with(path + "/")) {
      cached_parent_fd_.reset();
    }
  }

  // For flattening: what this layer wrote, so that an opaque marker keeps
  // it; its parents too, made implicitly or not.
  void remember(std::string path) {
    while (!path.empty() && written_.insert(path).second) {
      const std::size_t slash = path.rfind('/');
      path.resize(slash == std::string::npos ? 0 : slash);
    }
  }

  UniqueFd open_directory(int parent_fd, const std::string& name) const {
    const int fd =
        ::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd == -1) fail("open " + name + ": " + errno_text(errno));
    return UniqueFd{fd};
  }

  // --- Making names ----------------------------------------------------------

  // Runs `make` (a *at() call: 0 or -1 and errno) to create `name`; when
  // something is in the way, removes it and runs `make` again.
  template <typename Make>
  void create(int parent_fd, const std::string& name, Make make) {
    if (make() == 0) return;
    if (errno != EEXIST) fail("create " + name + ": " + errno_text(errno));
    remove_tree(parent_fd, name);
    if (make() == -1) fail("create " + name + ": " + errno_text(errno));
  }

  void set_owner_at(int parent_fd, const std::string& name, archive_entry* entry) {
    if (options_.rootless) return;
    check_entry(
        ::fchownat(parent_fd, name.c_str(), uid_of(entry), gid_of(entry), AT_SYMLINK_NOFOLLOW),
        "chown");
  }

  // Directories last, children before their parents (directories_ sorts
  // them so), so no later write changes a directory's mtime once set.
  void finish_directories() {
    for (const auto& [path, meta] : directories_) {
      entry_ = path;
      UniqueFd dir;
      try {
        const UniqueFd found = rootfs::open_in_root(root_.get(), path, O_NOFOLLOW);
        dir = open_directory(found.get(), ".");
      } catch (const Error&) {
        continue;  // deleted or replaced by a later entry
      }
      if (!options_.rootless) check_entry(::fchown(dir.get(), meta.uid, meta.gid), "chown");
      check_entry(::fchmod(dir.get(), meta.mode), "chmod");
      const timespec times[2] = {meta.mtime, meta.mtime};
      check_entry(::futimens(dir.get(), times), "futimens");
    }
  }

  static timespec mtime_of(archive_entry* entry) {
    return {.tv_sec = archive_entry_mtime(entry), .tv_nsec = archive_entry_mtime_nsec(entry)};
  }

  DirectoryMetadata metadata_of(archive_entry* entry) const {
    return {.mode = archive_entry_perm(entry),
            .uid = uid_of(entry),
            .gid = gid_of(entry),
            .mtime = mtime_of(entry)};
  }

  // Ids are 32 bits, and (uid_t)-1 means "leave as it is" to chown.
  std::uint32_t id_of(la_int64_t id) const {
    if (id < 0 || id >= 0xffffffff) fail("an owner id out of range: " + std::to_string(id));
    return static_cast<std::uint32_t>(id);
  }
  uid_t uid_of(archive_entry* entry) const { return id_of(archive_entry_uid(entry)); }
  gid_t gid_of(archive_entry* entry) const { return id_of(archive_entry_gid(entry)); }

  // --- Errors ----------------------------------------------------------------

  [[noreturn]] void fail(const std::string& why) const {
    throw Error("apply layer to " + dir_.string() + ":", "entry " + entry_, why);
  }

  void check_entry(long result, const std::string& operation) const {
    if (result == -1) fail(operation + ": " + errno_text(errno));
  }

  ArchiveReader reader_;
  fs::path dir_;
  ApplyOptions options_;
  UniqueFd root_;
  std::string entry_;  // the current entry's name, for errors
  ApplyResult result_;
  std::uint64_t total_size_ = 0;
  std::string cached_parent_;
  UniqueFd cached_parent_fd_;
  // By path, descending: "a/b" before "a".
  std::map<std::string, DirectoryMetadata, std::greater<>> directories_;
  std::unordered_set<std::string> written_;
};

}  // namespace

ApplyResult apply_layer(int fd, const fs::path& dir, const ApplyOptions& options) {
  const ApplyResult result = Applier(fd, dir, options).run();
  // The archive ends at its end marker; read what follows (padding) too,
  // so that whoever writes into `fd` (a pipe) sees it all taken.
  char rest[4096];
  while (::read(fd, rest, sizeof rest) > 0) {
  }
  return result;
}

}  // namespace berth::overlay
