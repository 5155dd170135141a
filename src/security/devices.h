// devices — which device nodes a container may open.
//
// Chapter 05. A device node is only a name for a (type, major, minor)
// triple: a root process that may mknod can make /dev/sda inside its
// container and read the host's disk through it. Dropping CAP_MKNOD is not
// the answer (Docker keeps it, so that images can create nodes); the device
// cgroup is: it decides, per cgroup, which triples may be opened (and
// mknod'ed) at all. Berth allows what runc allows by default.
//
// cgroup v1 has a "devices" controller with files to write rules to; cgroup
// v2 has none, and instead runs a BPF program of type
// BPF_PROG_TYPE_CGROUP_DEVICE, attached to the cgroup, on every access.
// restrict_devices() picks the right one for a chapter 04 cgroup.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cgroup/cgroup.h"
#include "common/fd.h"

namespace berth::security {

// One rule, in devices.allow syntax: "c 1:3 rwm". major/minor -1 is "*".
struct DeviceRule {
  char type = 'a';  // 'c' character, 'b' block, 'a' all
  std::int64_t major = -1;
  std::int64_t minor = -1;
  std::string access = "rwm";  // r read, w write, m mknod
  bool allow = true;

  // "c 1:3 rwm"
  std::string to_string() const;
};

// runc's default allow list: null, zero, full, tty, random, urandom,
// ptmx, pts/*, tun, and mknod (only) of any c or b node. (Not /dev/console:
// runc stopped allowing it in 1.0.)
const std::vector<DeviceRule>& default_device_rules();

// cgroup v1: writes "a" to CGROUP_DIR/devices.deny, then each allow rule to
// devices.allow (and each deny rule to devices.deny). `cgroup_dir` is a
// directory of the devices hierarchy, e.g. /sys/fs/cgroup/devices/berth/x.
void restrict_devices_v1(const std::string& cgroup_dir, const std::vector<DeviceRule>& rules);

// cgroup v2: assembles a BPF_PROG_TYPE_CGROUP_DEVICE program that allows
// exactly `rules` (denying everything else), loads it with bpf(), and
// attaches it to the cgroup whose directory is open as `cgroup_dir_fd`.
// Returns the program's fd: the attachment lives on after it is closed, for
// as long as the cgroup does.
UniqueFd attach_device_program_v2(int cgroup_dir_fd, const std::vector<DeviceRule>& rules);

// Allows the processes of `group` to open (and mknod) exactly the devices of
// `rules`: through its directory in the v1 devices hierarchy (an error where
// that is not mounted), or a BPF program attached to its v2 directory.
void restrict_devices(const cgroup::Cgroup& group, const std::vector<DeviceRule>& rules);

}  // namespace berth::security
