// A minimal /dev: a tmpfs with six device nodes, a few links, devpts and shm.
#include "rootfs/devices.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"
#include "common/fd.h"
#include "rootfs/mounts.h"

namespace berth::rootfs {
namespace {

struct DevLink {
  const char* name;
  const char* target;
};

// Links resolved at use, through the container's own /proc: /dev/stdout is
// whatever the reading process has as fd 1.
constexpr DevLink kDevLinks[] = {
    {"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"},
};

void make_device_node(const std::string& dev, const DeviceNode& node) {
  const std::string path = dev + "/" + node.name;
  if (::mknod(path.c_str(), S_IFCHR | 0666, ::makedev(node.major, node.minor)) == 0) {
    // mknod's mode passes through our umask; these are for everyone.
    check(::chmod(path.c_str(), 0666), "chmod", path);
    return;
  }
  if (errno != EPERM) {
    throw Error("mknod", path, errno);
  }
  // Creating a device node needs CAP_MKNOD in the initial user namespace;
  // inside a user namespace the kernel says EPERM. Binding the host's node
  // onto an empty file gives the container the same device without
  // creating one.
  UniqueFd placeholder{static_cast<int>(
      check(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666), "create", path))};
  bind_mount(std::string("/dev/") + node.name, path);
}

void make_link(const std::string& dev, const DevLink& link) {
  const std::string path = dev + "/" + link.name;
  check(::symlink(link.target, path.c_str()), "symlink", path);
}

}  // namespace

void populate_dev(const std::string& rootfs) {
  // #lab 02 minimal-dev: Mount a tmpfs on /dev and fill it with the nodes, links, pts and shm.
  // #hint mount_filesystem("tmpfs", dev, MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k").
  // #hint make_device_node() and make_link() do one entry of kDeviceNodes and kDevLinks each.
  // #hint devpts with "newinstance,ptmxmode=0666,mode=0620" gives the container its own ptys.
  // #hint /dev/shm is one more tmpfs, "mode=1777": POSIX shared memory lives there.
  // #region minimal-dev
  const std::string dev = rootfs + "/dev";
  ensure_mount_point(dev);
  // A tmpfs, not the host's devtmpfs: only the nodes made here exist.
  // Not MS_NODEV, or the nodes could not be opened.
  mount_filesystem("tmpfs", dev, MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  for (const auto& node : kDeviceNodes) {
    make_device_node(dev, node);
  }
  for (const auto& link : kDevLinks) {
    make_link(dev, link);
  }

  // "newinstance": a devpts of the container's own, numbering its
  // terminals from 0 and blind to the host's. Opening /dev/ptmx (-> pts/ptmx)
  // allocates a pseudo-terminal in this instance.
  ensure_mount_point(dev + "/pts");
  mount_filesystem("devpts", dev + "/pts", MS_NOSUID | MS_NOEXEC,
                   "newinstance,ptmxmode=0666,mode=0620");

  // POSIX shared memory (shm_open) is files in /dev/shm.
  ensure_mount_point(dev + "/shm");
  mount_filesystem("tmpfs", dev + "/shm", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                   "mode=1777,size=65536k");
  // #endregion minimal-dev
  // #endlab
}

}  // namespace berth::rootfs
