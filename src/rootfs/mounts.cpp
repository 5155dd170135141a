// Mount propagation and the pseudo-filesystems: /proc, /sys, /tmp.
#include "rootfs/mounts.h"

#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>

#include "common/error.h"

namespace berth::rootfs {

void make_mounts_private() {
  // No source and no type: this changes the propagation of the mount at "/"
  // and, with MS_REC, of every mount beneath it.
  check(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), "make mounts private on",
        "/");
}

void mount_filesystem(const char* fstype, const std::string& target, unsigned long flags,
                      const char* data) {
  // The source of a pseudo-filesystem is not a device; by convention it is
  // the type's name, which is what `mount` and /proc/self/mountinfo show.
  check(::mount(fstype, target.c_str(), fstype, flags, data),
        std::string("mount ") + fstype + " on", target);
}

void bind_mount(const std::string& source, const std::string& target) {
  check(::mount(source.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr), "bind-mount",
        source + " on " + target);
}

void ensure_mount_point(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0) {
    return;
  }
  if (errno != EEXIST) {
    throw Error("mkdir", path, errno);
  }
  // lstat, not stat: mount(2) would follow a symlink wherever it points.
  struct stat info {};
  check(::lstat(path.c_str(), &info), "lstat", path);
  if (!S_ISDIR(info.st_mode)) {
    throw Error("mount point", path, "is not a directory");
  }
}

void mount_pseudo_filesystems(const std::string& rootfs) {
  // #lab 02 pseudo-filesystems: Mount proc on /proc, sysfs read-only on /sys and a tmpfs on /tmp.
  // #hint Each target is rootfs + "/proc" and so on; ensure_mount_point() creates a missing one.
  // #hint mount_filesystem("proc", target, flags) mounts a filesystem whose source is its type.
  // #hint MS_RDONLY makes /sys read-only. MS_NOSUID | MS_NODEV suit all three, MS_NOEXEC not /tmp.
  // #hint A tmpfs for /tmp needs the data "mode=1777": anyone may create, only owners delete.
  // #region pseudo-filesystems
  // /proc: the kernel's view of processes. Without a PID namespace (chapter
  // 03) it still lists every process of the host.
  const std::string proc = rootfs + "/proc";
  ensure_mount_point(proc);
  mount_filesystem("proc", proc, MS_NOSUID | MS_NODEV | MS_NOEXEC);

  // /sys: devices, drivers and kernel knobs. Read-only, so a container
  // can look but cannot reconfigure the host's kernel through it.
  const std::string sys = rootfs + "/sys";
  ensure_mount_point(sys);
  mount_filesystem("sysfs", sys, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);

  // /tmp: scratch space in memory that vanishes with the container.
  const std::string tmp = rootfs + "/tmp";
  ensure_mount_point(tmp);
  mount_filesystem("tmpfs", tmp, MS_NOSUID | MS_NODEV, "mode=1777");
  // #endregion pseudo-filesystems
  // #endlab
}

}  // namespace berth::rootfs
