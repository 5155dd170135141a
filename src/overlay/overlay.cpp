// Mounting a stack of layers, and overlayfs's whiteouts and opaque dirs.
#include "overlay/overlay.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common/error.h"
#include "common/fd.h"

namespace berth::overlay {
namespace {

namespace fs = std::filesystem;

// mount(2) copies its data argument into one page.
constexpr std::size_t kPageSize = 4096;
constexpr const char* kOpaqueXattr = "trusted.overlay.opaque";

// overlayfs splits lowerdir at ':' and its options at ','; a path holding
// either says so with a backslash.
std::string escape(const std::string& path) {
  std::string escaped;
  for (const char c : path) {
    if (c == ':' || c == ',' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return escaped;
}

std::string options_with(const std::vector<std::string>& lowers, const Stack& stack) {
  std::string options = "lowerdir=";
  for (std::size_t i = 0; i < lowers.size(); ++i) {
    options += (i == 0 ? "" : ":") + escape(lowers[i]);
  }
  if (!stack.upper.empty()) {
    options +=
        ",upperdir=" + escape(stack.upper.string()) + ",workdir=" + escape(stack.work.string());
  }
  return options;
}

void mount_with(const std::string& options, const fs::path& target) {
  if (::mount("overlay", target.c_str(), "overlay", 0, options.c_str()) == -1) {
    const std::string what = "mount overlay on " + target.string();
    // overlayfs gives its reasons in the kernel log only; this errno is the
    // one it uses for layers that overlap, which a reader would not guess.
    if (errno == ELOOP) {
      throw Error(what, options.substr(0, 200),
                  "too many levels of symbolic links (overlayfs: layers that overlap, one "
                  "inside another or the same one twice; dmesg says which)");
    }
    throw Error(what, options.substr(0, 200), errno);
  }
}

// Changes the working directory for as long as it lives, and back.
class WorkingDirectory {
 public:
  explicit WorkingDirectory(const fs::path& dir)
      : previous_(static_cast<int>(check(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC), "open",
                                         "the working directory"))) {
    check(::chdir(dir.c_str()), "chdir", dir.string());
  }
  ~WorkingDirectory() { (void)::fchdir(previous_.get()); }
  WorkingDirectory(const WorkingDirectory&) = delete;
  WorkingDirectory& operator=(const WorkingDirectory&) = delete;

 private:
  UniqueFd previous_;
};

// #region short-links
// The short names: LINKS/0, LINKS/1, ... pointing at the layers, and the
// options naming them relative to LINKS' parent ("l/0:l/1:..."), 4 to 6
// bytes a layer instead of a whole path.
void mount_through_links(const Stack& stack, const fs::path& target) {
  if (stack.work.empty()) {
    throw Error("mount overlay on " + target.string(), "",
                "too many layers for one page of options, and no work directory to link them from");
  }
  const fs::path base = stack.work.parent_path();
  const fs::path links = base / "l";
  std::error_code error;
  fs::create_directories(links, error);
  if (error) throw Error("mkdir", links.string(), error.message());
  std::vector<std::string> short_names;
  for (std::size_t i = 0; i < stack.lowers.size(); ++i) {
    const std::string name = std::to_string(i);
    fs::remove(links / name, error);
    fs::create_directory_symlink(fs::absolute(stack.lowers[i]), links / name, error);
    if (error) throw Error("symlink", (links / name).string(), error.message());
    short_names.push_back("l/" + name);
  }
  const std::string options = options_with(short_names, stack);
  if (options.size() >= kPageSize) {
    throw Error("mount overlay on " + target.string(), "",
                std::to_string(stack.lowers.size()) + " layers: more than one page of options");
  }
  // The relative names are resolved against our working directory when
  // the kernel reads the options.
  const WorkingDirectory in_base(base);
  mount_with(options, fs::absolute(target));
}
// #endregion short-links

}  // namespace

std::string mount_options(const Stack& stack) {
  std::vector<std::string> lowers;
  lowers.reserve(stack.lowers.size());
  for (const auto& lower : stack.lowers) {
    lowers.push_back(lower.string());
  }
  return options_with(lowers, stack);
}

void mount(const Stack& stack, const fs::path& target) {
  if (stack.lowers.empty()) throw Error("mount overlay on " + target.string(), "", "no layers");
  // #lab 07 overlay-mount: Mount the stack, through short links when its options overflow a page.
  // #hint mount_options(stack) gives "lowerdir=...,upperdir=...,workdir=...".
  // #hint mount(2) takes at most a page of options (kPageSize): below it, mount_with();
  // #hint above it, mount_through_links() names each layer by a short relative link.
  // #region overlay-mount
  const std::string options = mount_options(stack);
  if (options.size() < kPageSize) {
    mount_with(options, target);
  } else {
    mount_through_links(stack, target);
  }
  // #endregion overlay-mount
  // #endlab
}

// #region whiteouts
void make_whiteout(const fs::path& dir, const std::string& name) {
  const fs::path path = dir / name;
  check(::mknod(path.c_str(), S_IFCHR | 0000, ::makedev(0, 0)), "mknod whiteout", path.string());
}

bool is_whiteout(const fs::path& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0 && S_ISCHR(info.st_mode) && info.st_rdev == 0;
}

void make_opaque(const fs::path& dir) {
  check(::setxattr(dir.c_str(), kOpaqueXattr, "y", 1, 0), std::string("setxattr ") + kOpaqueXattr,
        dir.string());
}

bool is_opaque(const fs::path& dir) {
  char value[2] = {};
  const ssize_t n = ::getxattr(dir.c_str(), kOpaqueXattr, value, sizeof value);
  return n == 1 && value[0] == 'y';
}
// #endregion whiteouts

}  // namespace berth::overlay
