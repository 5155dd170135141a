// Masked and read-only paths: the parts of /proc and /sys a container must
// not read or change.
//
// /proc and /sys are not namespaced as a whole. A PID namespace gives the
// container its own process list in /proc, but /proc/kcore is still the
// host's memory, /proc/sysrq-trigger still reboots the host, and /proc/sys
// still sets the host's kernel parameters. Docker hides the first kind
// (masking) and freezes the second (read-only). Both are mounts in the
// container's own mount namespace, so the host's /proc is never touched.
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>

#include "common/error.h"
#include "security/security.h"

namespace berth::security {
namespace {

// stat() the path; false when there is nothing to hide. Other errors are
// real ones: a path we cannot look at is one we cannot vouch for.
bool exists(const std::string& path, struct stat& info) {
  if (::stat(path.c_str(), &info) == 0) return true;
  if (errno == ENOENT) return false;
  throw Error("stat", path, errno);
}

}  // namespace

const std::vector<std::string>& default_masked_paths() {
  static const std::vector<std::string> paths = {
      "/proc/acpi",        "/proc/kcore",
      "/proc/keys",        "/proc/latency_stats",
      "/proc/timer_list",  "/proc/timer_stats",
      "/proc/sched_debug", "/proc/scsi",
      "/sys/firmware",     "/sys/devices/virtual/powercap",
  };
  return paths;
}

const std::vector<std::string>& default_readonly_paths() {
  static const std::vector<std::string> paths = {
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
  };
  return paths;
}

void mask_paths(const std::vector<std::string>& paths) {
  // #lab 05 masked-paths: Hide each path: /dev/null over a file, a read-only tmpfs over a dir.
  // #hint stat() each path; skip it when it does not exist (errno ENOENT).
  // #hint A directory: mount("tmpfs", path, "tmpfs", MS_RDONLY, nullptr).
  // #hint A file: mount("/dev/null", path, nullptr, MS_BIND, nullptr): reading gives nothing.
  // #region masked-paths
  for (const auto& path : paths) {
    struct stat info {};
    if (!exists(path, info)) continue;
    if (S_ISDIR(info.st_mode)) {
      // An empty, read-only tmpfs: the directory is still there, empty.
      check(::mount("tmpfs", path.c_str(), "tmpfs", MS_RDONLY, nullptr), "mount tmpfs on", path);
    } else {
      // /dev/null bound over a file: it reads as empty, writes vanish.
      check(::mount("/dev/null", path.c_str(), nullptr, MS_BIND, nullptr), "bind /dev/null on",
            path);
    }
  }
  // #endregion masked-paths
  // #endlab
}

void make_paths_readonly(const std::vector<std::string>& paths) {
  for (const auto& path : paths) {
    struct stat info {};
    if (!exists(path, info)) continue;
    // MS_RDONLY is ignored on a plain MS_BIND: the kernel takes a bind's
    // flags only from a remount of it. So: bind the path onto itself, which
    // makes it a mount of its own, then remount that bind read-only.
    // The remount keeps the nosuid, nodev and noexec the mount had (a
    // user namespace may not drop them, and runc keeps them too).
    check(::mount(path.c_str(), path.c_str(), nullptr, MS_BIND | MS_REC, nullptr), "bind", path);
    struct statvfs mount_info {};
    check(::statvfs(path.c_str(), &mount_info), "statvfs", path);
    // (statvfs's ST_NOSUID, ST_NODEV and ST_NOEXEC are mount's MS_ values.)
    const unsigned long kept = mount_info.f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
    check(::mount(nullptr, path.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | kept, nullptr),
          "remount read-only", path);
  }
}

}  // namespace berth::security
