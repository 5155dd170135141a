// devices — a minimal /dev for a container.
//
// The host's /dev holds every disk, terminal and oddity of the machine, and
// a process that can open a disk's node can read the disk. A container gets
// a fresh tmpfs instead, holding only the few nodes every program expects
// (the same set as Docker and runc give), a pseudo-terminal instance and
// shared memory of its own.
#pragma once

#include <string>

namespace berth::rootfs {

// A character device every program may rely on, with the numbers the kernel
// gives it (Documentation/admin-guide/devices.txt).
struct DeviceNode {
  const char* name;
  unsigned major;
  unsigned minor;
};

// The nodes of a container's /dev, the same as Docker's and runc's.
inline constexpr DeviceNode kDeviceNodes[] = {
    {"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

// Mounts a tmpfs on rootfs/dev and fills it with:
//   nodes   null zero full random urandom tty (character devices, mode 0666)
//   links   fd -> /proc/self/fd, stdin stdout stderr -> /proc/self/fd/0 1 2,
//           ptmx -> pts/ptmx
//   mounts  pts (a new devpts instance), shm (a tmpfs, mode 1777)
//
// Runs in the container's child before the root is switched, while the
// host's /dev is still reachable: where the kernel refuses mknod (inside a
// user namespace), the host's node is bind-mounted instead. Throws
// berth::Error naming the call and the path: "mknod /x/rootfs/dev/null: ...".
void populate_dev(const std::string& rootfs);

}  // namespace berth::rootfs
