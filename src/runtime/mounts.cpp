// The container's root filesystem from config.json: its mounts, the default
// devices, the root switch, and what is made read-only afterwards.
#include "runtime/mounts.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>
#include <string_view>

#include "cgroup/files.h"
#include "common/error.h"
#include "common/fd.h"
#include "rootfs/devices.h"
#include "rootfs/in_root.h"
#include "rootfs/mountinfo.h"
#include "rootfs/mounts.h"
#include "rootfs/pivot_root.h"
#include "runtime/cgroup_mount.h"
#include "security/security.h"

namespace berth::runtime {
namespace {

namespace fs = std::filesystem;

struct FlagOption {
  std::string_view name;
  unsigned long flag;
  bool clears;  // "rw" clears MS_RDONLY, "suid" clears MS_NOSUID...
};

// mount(8)'s names for mount(2)'s flags, as runc reads them.
constexpr std::array<FlagOption, 32> kFlagOptions{{
    {"ro", MS_RDONLY, false},
    {"rw", MS_RDONLY, true},
    {"nosuid", MS_NOSUID, false},
    {"suid", MS_NOSUID, true},
    {"nodev", MS_NODEV, false},
    {"dev", MS_NODEV, true},
    {"noexec", MS_NOEXEC, false},
    {"exec", MS_NOEXEC, true},
    {"sync", MS_SYNCHRONOUS, false},
    {"async", MS_SYNCHRONOUS, true},
    {"dirsync", MS_DIRSYNC, false},
    {"remount", MS_REMOUNT, false},
    {"mand", MS_MANDLOCK, false},
    {"nomand", MS_MANDLOCK, true},
    {"noatime", MS_NOATIME, false},
    {"atime", MS_NOATIME, true},
    {"nodiratime", MS_NODIRATIME, false},
    {"diratime", MS_NODIRATIME, true},
    {"relatime", MS_RELATIME, false},
    {"norelatime", MS_RELATIME, true},
    {"strictatime", MS_STRICTATIME, false},
    {"nostrictatime", MS_STRICTATIME, true},
    {"lazytime", MS_LAZYTIME, false},
    {"nolazytime", MS_LAZYTIME, true},
    {"iversion", MS_I_VERSION, false},
    {"noiversion", MS_I_VERSION, true},
    {"acl", MS_POSIXACL, false},
    {"noacl", MS_POSIXACL, true},
    {"silent", MS_SILENT, false},
    {"loud", MS_SILENT, true},
    {"bind", MS_BIND, false},
    {"rbind", MS_BIND | MS_REC, false},
}};

struct PropagationOption {
  std::string_view name;
  unsigned long flags;
};

constexpr std::array<PropagationOption, 8> kPropagationOptions{{
    {"private", MS_PRIVATE},
    {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},
    {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},
    {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE},
    {"runbindable", MS_UNBINDABLE | MS_REC},
}};

// The flags a mount of a user namespace's parent keeps "locked": a remount
// from inside that user namespace must repeat them or get EPERM.
// statvfs's ST_* values are the same bits as MS_*.
constexpr unsigned long kLockableFlags =
    MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME;

// "/dev/", "dev" and "/dev/." are all "/dev".
std::string clean(std::string_view destination) {
  std::string path = fs::path("/" + std::string(destination)).lexically_normal().string();
  if (path.size() > 1 && path.ends_with('/')) path.pop_back();
  return path;
}

bool is_bind(const MountOptions& options) {
  return (options.flags & MS_BIND) != 0;
}

bool has_namespace(const Config& config, NamespaceType type) {
  return config.linux && std::ranges::any_of(config.linux->namespaces,
                                             [&](const auto& ns) { return ns.type == type; });
}

// A /dev tmpfs is where runc puts its default devices and links.
bool has_dev_tmpfs(const Config& config) {
  return std::ranges::any_of(config.mounts, [](const Mount& mount) {
    return clean(mount.destination) == "/dev" && mount.type == "tmpfs" &&
           !is_bind(parse_mount_options(mount.options));
  });
}

// The path `fd` was opened at, as the host names it (for messages and checks).
std::string real_path(const UniqueFd& fd) {
  std::error_code error;
  const fs::path path = fs::read_symlink(rootfs::fd_path(fd), error);
  return error ? rootfs::fd_path(fd) : path.string();
}

// runc's checkProcMount: nothing may be mounted inside /proc, where it could
// hide a masked path or lift a read-only one, except over the files lxcfs
// emulates. /proc itself takes only a proc. `where` is the resolved
// destination relative to the root.
void check_proc_destination(const std::string& where, const Mount& mount) {
  static constexpr std::string_view kLxcfsFiles[] = {
      "/proc/cpuinfo", "/proc/diskstats",
      "/proc/meminfo", "/proc/stat",
      "/proc/swaps",   "/proc/uptime",
      "/proc/loadavg", "/proc/slabinfo",
      "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
  };
  if (where == "/proc" && mount.type != "proc") {
    throw Error("mount", "on /proc", "only a proc may be mounted there");
  }
  if (where.starts_with("/proc/") &&
      std::ranges::find(kLxcfsFiles, where) == std::end(kLxcfsFiles)) {
    throw Error("mount", "on " + where, "is inside /proc");
  }
}

// proc and sysfs go on plain directories only: runc's defence against a
// rootfs whose /proc is a symlink to somewhere the mount would do harm.
void refuse_symlink(int root, const std::string& destination, const Mount& mount) {
  UniqueFd found{};
  try {
    found = rootfs::open_in_root(root, destination, O_NOFOLLOW);
  } catch (const Error& error) {
    if (error.errno_value() == ENOENT) return;  // made as a directory later
    throw;
  }
  struct stat info {};
  check(::fstat(found.get(), &info), "stat", real_path(found));
  if (!S_ISDIR(info.st_mode)) {
    throw Error("mount " + mount.type, "on " + destination,
                "must be mounted on an ordinary directory, not a symlink or file");
  }
}

// Remounts the mount at `target` with `flags` (MS_REMOUNT added), repeating
// the flags a user namespace's parent may have locked on it.
void remount(const std::string& target, unsigned long flags, const std::string& shown) {
  if (::mount(nullptr, target.c_str(), nullptr, flags | MS_REMOUNT, nullptr) == 0) return;
  if (errno != EPERM) throw Error("remount", shown, errno);
  struct statvfs info {};
  check(::statvfs(target.c_str(), &info), "statvfs", shown);
  check(::mount(nullptr, target.c_str(), nullptr,
                flags | MS_REMOUNT | (info.f_flag & kLockableFlags), nullptr),
        "remount", shown);
}

// The container's root: a descriptor to resolve paths in, and its path on
// the host (symlinks resolved), for messages and checks.
struct RootDir {
  int fd;
  fs::path path;
};

// One mount of config.mounts (or of what a "cgroup" entry stands for).
void mount_one(const RootDir& root, const Mount& mount) {
  const MountOptions options = parse_mount_options(mount.options);
  const bool bind = is_bind(options);
  const std::string destination = clean(mount.destination);
  std::string shown = root.path.string() + destination;

  if (!bind && (mount.type == "proc" || mount.type == "sysfs")) {
    refuse_symlink(root.fd, destination, mount);
  }
  // A file is bound onto a file; anything else onto a directory.
  bool file = false;
  if (bind) {
    struct stat info {};
    check(::stat(mount.source.c_str(), &info), "stat", mount.source);
    file = !S_ISDIR(info.st_mode);
  }
  // A tmpfs keeps the mode of the directory it covers (runc does this, so a
  // tmpfs /tmp stays 1777 without a mode= option).
  std::optional<mode_t> covered_mode;
  if (mount.type == "tmpfs" && !bind) {
    try {
      struct stat info {};
      const UniqueFd covered = rootfs::open_in_root(root.fd, destination);
      if (::fstat(covered.get(), &info) == 0 && S_ISDIR(info.st_mode)) covered_mode = info.st_mode;
    } catch (const Error&) {
      // Missing: created below with the tmpfs's own mode.
    }
  }

  UniqueFd target = rootfs::make_mount_point(root.fd, destination, file);
  shown = real_path(target);
  check_proc_destination("/" + fs::path(shown).lexically_relative(root.path).string(), mount);

  // Read-only is applied to a tmpfs (and /dev) only in finish_root(): the
  // devices and the mount points of later mounts are made inside it first.
  unsigned long flags = options.flags;
  if (!bind && (mount.type == "tmpfs" || destination == "/dev")) {
    flags &= ~static_cast<unsigned long>(MS_RDONLY);
  }
  const std::string source = mount.source.empty() ? mount.type : mount.source;
  check(
      ::mount(source.c_str(), rootfs::fd_path(target).c_str(), bind ? nullptr : mount.type.c_str(),
              flags, options.data.empty() ? nullptr : options.data.c_str()),
      bind ? "bind-mount " + source + " on" : "mount " + mount.type + " on", shown);

  // The descriptor still names the directory under the new mount; reopen it.
  target = rootfs::open_in_root(root.fd, destination);
  // The kernel ignores all but MS_REC on a bind's first call: ro, nosuid...
  // take effect only in a remount of the bind.
  if (bind && (flags & ~static_cast<unsigned long>(MS_BIND | MS_REC | MS_REMOUNT)) != 0) {
    remount(rootfs::fd_path(target), flags | MS_BIND, shown);
  }
  if (covered_mode) {
    check(::chmod(rootfs::fd_path(target).c_str(), *covered_mode & 07777), "chmod", shown);
  }
  if (options.propagation != 0) {
    check(::mount(nullptr, rootfs::fd_path(target).c_str(), nullptr, options.propagation, nullptr),
          "change the propagation of", shown);
  }
}

// A "cgroup" entry: several mounts and links (cgroup_mount.h).
void mount_cgroup(const RootDir& root, const Mount& mount, bool cgroupns) {
  const CgroupMounts expanded = cgroup_mounts(mount, cgroupns);
  for (const auto& one : expanded.mounts) {
    mount_one(root, one);
  }
  for (const auto& link : expanded.links) {
    const fs::path path = link.path;
    const UniqueFd dir = rootfs::open_in_root(root.fd, path.parent_path().string());
    if (::symlinkat(link.target.c_str(), dir.get(), path.filename().c_str()) != 0 &&
        errno != EEXIST) {
      throw Error("symlink", root.path.string() + link.path, errno);
    }
  }
}

// A device node in `dev`; where mknod is refused (in a user namespace,
// CAP_MKNOD counts only in the initial one), the host's node bound onto an
// empty file.
void make_device(const UniqueFd& dev, const rootfs::DeviceNode& node, const std::string& shown) {
  const std::string path = shown + "/" + node.name;
  if (::mknodat(dev.get(), node.name, S_IFCHR | 0666, ::makedev(node.major, node.minor)) == 0) {
    // mknod's mode went through our umask; these are for everyone.
    check(::fchmodat(dev.get(), node.name, 0666, 0), "chmod", path);
    return;
  }
  if (errno != EPERM) throw Error("mknod", path, errno);
  // A regular file needs no capability: the placeholder for the bind.
  check(::mknodat(dev.get(), node.name, S_IFREG | 0666, 0), "create", path);
  const UniqueFd file{static_cast<int>(
      check(::openat(dev.get(), node.name, O_PATH | O_NOFOLLOW | O_CLOEXEC), "open", path))};
  const std::string host = std::string("/dev/") + node.name;
  check(::mount(host.c_str(), rootfs::fd_path(file).c_str(), nullptr, MS_BIND, nullptr),
        "bind-mount", host + " on " + path);
}

void make_link(const UniqueFd& dev, const char* name, const char* target,
               const std::string& shown) {
  if (::symlinkat(target, dev.get(), name) != 0 && errno != EEXIST) {
    throw Error("symlink", shown + "/" + name, errno);
  }
}

// What runc adds to a /dev tmpfs: six devices, and links through /proc and
// into the container's devpts.
void make_default_dev(int root) {
  const UniqueFd dev = rootfs::open_in_root(root, "/dev");
  const std::string shown = real_path(dev);
  for (const auto& node : rootfs::kDeviceNodes) {
    make_device(dev, node, shown);
  }
  // ptmx must be the container's devpts's, whatever the rootfs had.
  if (::unlinkat(dev.get(), "ptmx", 0) != 0 && errno != ENOENT) {
    throw Error("unlink", shown + "/ptmx", errno);
  }
  make_link(dev, "ptmx", "pts/ptmx", shown);
  make_link(dev, "fd", "/proc/self/fd", shown);
  make_link(dev, "stdin", "/proc/self/fd/0", shown);
  make_link(dev, "stdout", "/proc/self/fd/1", shown);
  make_link(dev, "stderr", "/proc/self/fd/2", shown);
  // runc links /dev/core only on kernels built with /proc/kcore.
  if (::access("/proc/kcore", F_OK) == 0) make_link(dev, "core", "/proc/kcore", shown);
}

// linux.devices: each node made at its path inside the root, with its
// owner and mode. Where mknod is refused (a user namespace), the host's node
// of the same path is bound instead, as runc does.
void make_config_devices(int root, const std::vector<Device>& devices) {
  for (const Device& device : devices) {
    const fs::path path = clean(device.path);
    const UniqueFd dir = rootfs::open_in_root(root, path.parent_path().string());
    const std::string name = path.filename().string();
    const std::string shown = real_path(dir) + "/" + name;
    const mode_t mode = device.file_mode.value_or(0666) & 07777;
    const mode_t type = device.type == 'b' ? S_IFBLK : device.type == 'p' ? S_IFIFO : S_IFCHR;
    if (::mknodat(dir.get(), name.c_str(), type | mode, ::makedev(device.major, device.minor)) ==
        0) {
      check(::fchownat(dir.get(), name.c_str(), device.uid, device.gid, AT_SYMLINK_NOFOLLOW),
            "chown", shown);
      check(::fchmodat(dir.get(), name.c_str(), mode, 0), "chmod", shown);
      continue;
    }
    if (errno != EPERM) throw Error("mknod", shown, errno);
    check(::mknodat(dir.get(), name.c_str(), S_IFREG | 0666, 0), "create", shown);
    const UniqueFd file{static_cast<int>(
        check(::openat(dir.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC), "open", shown))};
    check(::mount(path.c_str(), rootfs::fd_path(file).c_str(), nullptr, MS_BIND, nullptr),
          "bind-mount", path.string() + " on " + shown);
  }
}

// Wraps whatever `step` throws with the place in config.json it is about.
template <typename Step>
void at(std::string_view place, std::string_view what, Step&& step) {
  try {
    step();
  } catch (const Error& error) {
    throw Error(place, what, error.what());
  }
}

// True when `path` is `dir` or below it.
bool is_under(const fs::path& path, const fs::path& dir) {
  const fs::path relative = path.lexically_relative(dir);
  return !relative.empty() && *relative.begin() != "..";
}

// Before moving the root without pivot_root: the host's proc and sysfs mounts
// stay in the namespace, under the container's root. A proc fully visible
// anywhere in the namespace lets the container mount a new proc that shows
// what the masked paths hide, so take them out (runc's msMoveRoot).
void hide_host_proc_and_sys(const fs::path& rootfs) {
  std::vector<std::string> targets;
  for (const auto& mount : rootfs::read_mountinfo()) {
    if ((mount.type == "proc" || mount.type == "sysfs") && mount.root == "/" &&
        !is_under(mount.mount_point, rootfs)) {
      targets.push_back(mount.mount_point);
    }
  }
  for (const auto& target : targets) {
    if (::umount2(target.c_str(), MNT_DETACH) == 0 || errno == ENOENT) continue;
    // Not ours to unmount (a mount locked by a user namespace): cover it.
    check(::mount("tmpfs", target.c_str(), "tmpfs", 0, nullptr), "mount tmpfs over", target);
  }
}

// runc's rule for linux.sysctl: only the sysctls of a namespace the container
// has of its own, or it would be setting the host's.
void check_sysctl(const Config& config, const std::string& name) {
  static constexpr std::string_view kIpc[] = {
      "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
      "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
  };
  if (name.empty() || name.find('/') != std::string::npos || name.find("..") != std::string::npos ||
      name.starts_with('.') || name.ends_with('.')) {
    throw Error("linux.sysctl", "\"" + name + "\"", "not a sysctl name");
  }
  const auto needs = [&](NamespaceType type) {
    if (!has_namespace(config, type)) {
      throw Error("linux.sysctl", name,
                  "not allowed without a " + std::string(runtime::name(type)) + " namespace");
    }
  };
  if (std::ranges::find(kIpc, name) != std::end(kIpc) || name.starts_with("fs.mqueue.")) {
    needs(NamespaceType::ipc);
  } else if (name.starts_with("net.")) {
    needs(NamespaceType::network);
  } else if (name == "kernel.domainname") {
    needs(NamespaceType::uts);
  } else {
    throw Error("linux.sysctl", name, "not in a namespace of the container's own");
  }
}

void write_sysctl(const std::string& name, const std::string& value) {
  std::string path = "/proc/sys/" + name;
  std::ranges::replace(path, '.', '/');
  cgroup::write_file(path, value);
}

}  // namespace

MountOptions parse_mount_options(const std::vector<std::string>& options) {
  MountOptions result;
  for (std::size_t i = 0; i < options.size(); ++i) {
    const std::string& option = options[i];
    if (option.empty()) throw Error("options[" + std::to_string(i) + "]", "", "empty option");
    const auto flag = std::ranges::find(kFlagOptions, option, &FlagOption::name);
    const auto propagation =
        std::ranges::find(kPropagationOptions, option, &PropagationOption::name);
    if (flag != kFlagOptions.end()) {
      result.flags = flag->clears ? result.flags & ~flag->flag : result.flags | flag->flag;
    } else if (propagation != kPropagationOptions.end()) {
      // mount(2) takes one propagation type per call: the last one wins.
      result.propagation = propagation->flags;
    } else if (option == "defaults" || option == "tmpcopyup" || option == "notmpcopyup") {
      // mount(8)'s "defaults" is no flag at all. "tmpcopyup" (runc's copy of
      // the covered directory's files into a tmpfs) is not implemented.
    } else {
      result.data += (result.data.empty() ? "" : ",") + option;
    }
  }
  return result;
}

void prepare_root(const Config& config, const fs::path& rootfs) {
  if (!rootfs.is_absolute()) throw Error("root", rootfs.string(), "not an absolute path");
  // Private first: nothing below may propagate back to the host.
  rootfs::make_mounts_private();
  // pivot_root wants the new root to be a mount point, and the mounts below
  // must be made on that mount (not the directory under it) to come along.
  rootfs::bind_mount(rootfs, rootfs);
  const UniqueFd root_fd{static_cast<int>(
      check(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC), "open", rootfs.string()))};
  const RootDir root{root_fd.get(), real_path(root_fd)};
  const bool cgroupns = has_namespace(config, NamespaceType::cgroup);
  for (std::size_t i = 0; i < config.mounts.size(); ++i) {
    const Mount& mount = config.mounts[i];
    at("mounts[" + std::to_string(i) + "]", mount.destination, [&] {
      if (mount.type == "cgroup" && !is_bind(parse_mount_options(mount.options))) {
        mount_cgroup(root, mount, cgroupns);
      } else {
        mount_one(root, mount);
      }
    });
  }
  if (has_dev_tmpfs(config)) make_default_dev(root.fd);
  if (config.linux) make_config_devices(root.fd, config.linux->devices);
}

void switch_root(const fs::path& rootfs, bool no_pivot) {
  if (!no_pivot) {
    rootfs::enter_pivot_root(rootfs);
    return;
  }
  // --no-pivot: move the root's mount over "/" and chroot into it. The old
  // root stays underneath, out of reach of paths but still in the namespace.
  hide_host_proc_and_sys(fs::canonical(rootfs));
  check(::chdir(rootfs.c_str()), "chdir", rootfs.string());
  check(::mount(rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr), "move the mount",
        rootfs.string() + " to /");
  check(::chroot("."), "chroot", rootfs.string());
  check(::chdir("/"), "chdir", "/");
}

void finish_root(const Config& config) {
  // Plain paths from here: "/" is the container's, nothing leads out of it.
  // The tmpfs mounts whose read-only prepare_root() deferred.
  for (std::size_t i = 0; i < config.mounts.size(); ++i) {
    const Mount& mount = config.mounts[i];
    const MountOptions options = parse_mount_options(mount.options);
    const std::string destination = clean(mount.destination);
    if ((options.flags & MS_RDONLY) != 0 && !is_bind(options) &&
        (mount.type == "tmpfs" || destination == "/dev")) {
      at("mounts[" + std::to_string(i) + "]", mount.destination,
         [&] { remount(destination, options.flags, destination); });
    }
  }
  if (config.root.readonly) {
    at("root.readonly", "", [] { remount("/", MS_BIND | MS_RDONLY, "/"); });
  }
  if (!config.linux) return;
  // Sysctls first: readonlyPaths usually makes /proc/sys read-only.
  for (const auto& sysctl : config.linux->sysctl) {
    check_sysctl(config, sysctl.first);
    at("linux.sysctl", sysctl.first, [&] { write_sysctl(sysctl.first, sysctl.second); });
  }
  at("linux.readonlyPaths", "",
     [&] { security::make_paths_readonly(config.linux->readonly_paths); });
  at("linux.maskedPaths", "", [&] { security::mask_paths(config.linux->masked_paths); });
}

}  // namespace berth::runtime
