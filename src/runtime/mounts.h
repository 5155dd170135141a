// runtime/mounts — the container's root filesystem as config.json describes it.
//
// Chapter 06. Chapter 02 mounted a fixed set of filesystems (/proc, /sys,
// /dev, /tmp). An OCI bundle lists its own ("mounts" in config.json), with
// mount(8)-style options, and runc's conventions fill in the rest: the
// default device nodes in /dev, the /dev/fd and /dev/std* links, /dev/ptmx
// pointing into the container's devpts, a cgroup filesystem that shows the
// container its own cgroups. This module does that in three steps, in the
// container's child process, in a mount namespace of its own:
//
//   prepare_root   all mounts made private; the root bound onto itself; each
//                  of config.mounts under it, in order; the default devices
//   (the runtime runs the createContainer hooks here: mounts done, root not
//    yet switched)
//   switch_root    pivot_root (or, for --no-pivot, MS_MOVE and chroot)
//   finish_root    the root made read-only if root.readonly; maskedPaths,
//                  readonlyPaths; linux.sysctl written under /proc/sys
//
// Every function throws berth::Error naming the call and the path that failed,
// after the place in config.json it is about:
//     mounts[0] /proc: mount proc on /x/rootfs/proc: operation not permitted
//     mounts[3] /dev: options[1]: empty option
//     linux.sysctl kernel.panic: not in a namespace of the container's own
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "runtime/config.h"

namespace berth::runtime {

// What mount(2) needs, from a mount's "options" (mount(8)'s names: "ro",
// "nosuid", "nodev", "noexec", "rbind", "bind", "rprivate", "mode=755", ...).
struct MountOptions {
  unsigned long flags = 0;        // MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC ...
  unsigned long propagation = 0;  // MS_PRIVATE, MS_SLAVE, MS_SHARED, MS_UNBINDABLE (| MS_REC)
  std::string data;  // the options mount(2) passes to the filesystem: "mode=755,size=65536k"
};

// Turns mount(8) option names into flags; what is not a flag ("mode=755")
// goes to data, comma-separated, in order. A later option undoes an earlier
// one ("ro", "rw"); of several propagation options the last one counts.
// "defaults" is no flag; runc's "tmpcopyup" is accepted and ignored (not
// implemented). Throws berth::Error naming the option for an empty one:
// "options[1]: empty option".
MountOptions parse_mount_options(const std::vector<std::string>& options);

// Step 1, before the root switch (see above). `rootfs` is the absolute path of
// the root on the host. A destination is resolved inside `rootfs` (symlinks
// in the container's tree never lead out of it: in_root.h); missing mount
// points are created (a directory, or an empty file for a file bind mount).
// As runc does:
//   - a bind's source is a host path, relative to the current directory (the
//     bundle); ro, nosuid... apply to a bind through a second, remount call;
//   - proc and sysfs go only on a real directory, not through a symlink, and
//     nothing else goes on or under /proc (but over the files lxcfs fakes);
//   - a tmpfs keeps the mode of the directory it covers; its "ro" (and that
//     of /dev) waits for finish_root(), so that mounts nested in it can be made;
//   - a "cgroup" mount shows the container its own cgroups (cgroup_mount.h);
//   - a tmpfs on /dev gets null, zero, full, random, urandom, tty (bound from
//     the host where mknod is refused, in a user namespace) and the links fd,
//     stdin, stdout, stderr, ptmx -> pts/ptmx, core (where /proc/kcore is).
//     Without a /dev tmpfs, the rootfs's /dev is left as it is.
void prepare_root(const Config& config, const std::filesystem::path& rootfs);

// Step 2: makes `rootfs` the root. `no_pivot`: runc's --no-pivot, for roots
// on a ramfs where pivot_root(2) is refused: the root's mount is moved over
// "/" and chrooted into, after the host's proc and sysfs mounts are taken
// out of the namespace (a visible full proc would let the container mount
// an unmasked one).
void switch_root(const std::filesystem::path& rootfs, bool no_pivot);

// Step 3, after the root switch, while the container still has the
// capabilities to mount, in runc's order: the deferred read-only tmpfs
// mounts; "/" read-only (root.readonly); linux.sysctl, each only if it
// belongs to a namespace the config gives the container (net.* needs a
// network namespace, kernel.shm* and fs.mqueue.* an ipc one,
// kernel.domainname a uts one), written before /proc/sys turns read-only;
// linux.readonlyPaths; linux.maskedPaths (which bind /dev/null).
void finish_root(const Config& config);

}  // namespace berth::runtime
