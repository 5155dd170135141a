// rootfs — give a process a root filesystem of its own.
//
// Chapter 02. A container's files are a directory tree on the host (here a
// busybox tree). Making that tree the process's "/" takes three things:
//
//   1. a mount namespace of its own (CLONE_NEWNS, from process::spawn), with
//      every mount private, so nothing mounted for the container reaches
//      the host;
//   2. the pseudo-filesystems a Linux program expects: /proc, /sys, /dev,
//      /tmp (mounts.h, devices.h);
//   3. a switch of root: chroot(2), which is escapable (chroot.h), or
//      pivot_root(2), which leaves no old root behind (pivot_root.h).
//
// Typical use, from the parent and then inside the child:
//
//     const std::string root = rootfs::validate(path);     // parent
//     options.clone_flags = CLONE_NEWNS;
//     options.before_exec = [&] { rootfs::enter({root}); }; // child
//     process::spawn(options);
#pragma once

#include <string>
#include <vector>

namespace berth::rootfs {

// How the root is switched.
enum class RootSwitch {
  chroot,      // chroot(2): changes the root of path lookups only; escapable
  pivot_root,  // pivot_root(2) and detach the old root: nothing to escape to
};

struct Options {
  // The root filesystem: an absolute path, as returned by validate().
  std::string rootfs;
  RootSwitch how = RootSwitch::pivot_root;
};

// Checks, before anything is started, that `rootfs` is a directory with
// something in it. Returns its absolute, symlink-free path. Throws
// berth::Error naming the path otherwise:
//     "rootfs /x: no such file or directory", "rootfs /x: not a directory",
//     "rootfs /x: is empty".
std::string validate(const std::string& rootfs);

// The environment a program in a root filesystem of its own starts with. It
// does not inherit the host's: it gets Docker's default PATH (the host's may
// name directories its tree does not have), HOME=/root, and our TERM so that
// programs can draw.
std::vector<std::string> container_environment();

// Makes options.rootfs the root of the calling process: makes all mounts
// private, mounts /proc, /sys (read-only), /tmp and a minimal /dev under it,
// switches root as options.how says, and changes directory to the new "/".
//
// Runs in the container's child process (SpawnOptions::before_exec), which
// must be in a mount namespace of its own: the mounts live and die with that
// namespace, so nothing needs unmounting afterwards. Needs CAP_SYS_ADMIN
// (mounts, pivot_root) and CAP_SYS_CHROOT. Throws berth::Error naming the
// failed call and its path: "pivot_root /x/rootfs: invalid argument".
void enter(const Options& options);

}  // namespace berth::rootfs
