// Resolving container paths inside the rootfs with openat2(RESOLVE_IN_ROOT).
#include "rootfs/in_root.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <vector>

#include "common/error.h"

namespace berth::rootfs {
namespace {

// Linux's own limit on symlinks followed in one lookup.
constexpr int kMaxSymlinks = 40;

// openat2(2) has no glibc wrapper in Debian 12. -1 and errno on failure.
int open_in_root_raw(int root, const std::string& path, int flags) {
  open_how how{};
  how.flags = static_cast<unsigned>(O_PATH | O_CLOEXEC | flags);
  // RESOLVE_NO_MAGICLINKS: a /proc/PID/root in the tree cannot jump out either.
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  // EAGAIN: a mount or rename elsewhere on the host raced with a ".." in
  // the lookup, and the kernel could not prove it stayed inside: it asks
  // us to try again (as runc does, a bounded number of times).
  long fd = -1;
  for (int attempt = 0; attempt < 128; ++attempt) {
    fd = ::syscall(SYS_openat2, root, path.c_str(), &how, sizeof how);
    if (fd != -1 || errno != EAGAIN) break;
  }
  return static_cast<int>(fd);
}

// The names of `path`, last one first (a stack), without "" and ".".
void push_components(std::string_view path, std::vector<std::string>& stack) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view name = path.substr(start, end - start);
    if (!name.empty() && name != ".") names.emplace_back(name);
    start = end + 1;
  }
  stack.insert(stack.end(), names.rbegin(), names.rend());
}

// Creates `name` in `dir`. false when something (a dangling symlink) is
// already there.
bool create(const UniqueFd& dir, const std::string& name, bool file, const std::string& path) {
  if (file) {
    const int fd = ::openat(dir.get(), name.c_str(),
                            O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::close(fd);
      return true;
    }
  } else if (::mkdirat(dir.get(), name.c_str(), 0755) == 0) {
    return true;
  }
  if (errno != EEXIST) throw Error(file ? "create" : "mkdir", path, errno);
  return false;
}

}  // namespace

UniqueFd open_in_root(int root, std::string_view path, int flags) {
  const std::string text{path.empty() ? "/" : path};
  const int fd = open_in_root_raw(root, text, flags);
  if (fd < 0) throw Error("open", text + " in the container's root", errno);
  return UniqueFd{fd};
}

UniqueFd make_mount_point(int root, std::string_view path, bool file) {
  // Walk the path one name at a time. `done` is the part known to exist; each
  // step reopens done + "/" + name from the root, so the kernel, not us,
  // follows the symlinks (inside the root).
  std::vector<std::string> todo;
  push_components(path, todo);
  std::string done;
  UniqueFd dir = open_in_root(root, "/");
  int symlinks = 0;
  while (!todo.empty()) {
    const std::string name = std::move(todo.back());
    todo.pop_back();
    std::string next = done;
    next += "/";
    next += name;
    UniqueFd found{open_in_root_raw(root, next, 0)};
    if (!found && errno != ENOENT) throw Error("open", next + " in the container's root", errno);
    if (!found && !create(dir, name, file && todo.empty(), next)) {
      // A dangling symlink: continue with its target, as the kernel would,
      // from "/" (the root) or from the directory holding the link.
      if (++symlinks > kMaxSymlinks) throw Error("open", next, ELOOP);
      std::string target(PATH_MAX, '\0');
      const ssize_t size = ::readlinkat(dir.get(), name.c_str(), target.data(), target.size());
      if (size < 0) throw Error("readlink", next, errno);
      target.resize(static_cast<std::size_t>(size));
      if (target.starts_with('/')) {
        done.clear();
        dir = open_in_root(root, "/");
      }
      push_components(target, todo);
      continue;
    }
    dir = found ? std::move(found) : open_in_root(root, next);
    done = next;
  }
  return dir;
}

std::string fd_path(const UniqueFd& fd) {
  return "/proc/self/fd/" + std::to_string(fd.get());
}

}  // namespace berth::rootfs
