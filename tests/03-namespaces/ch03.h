// Helpers shared by chapter 03's tests: a rootfs in a temporary directory,
// berth-ch03 run on it, and what the host sees of namespaces.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "support/support.h"

namespace berth::test::ch03 {

// The namespaces berth-ch03 creates by default, and all seven.
inline const std::string kDefaultNamespaces = "uts,pid,mnt,ipc,net,cgroup";
inline const std::string kAllNamespaces = "uts,pid,mnt,ipc,net,cgroup,user";

// A private copy of the busybox rootfs at TMP/rootfs, removed with TMP.
// TMP is made reachable by everyone (mkdtemp makes it 0700): in a user
// namespace the container's root is, to the host, an ordinary user, and
// could not even reach its rootfs otherwise.
struct Sandbox {
  Sandbox();
  TempDir tmp;
  fs::path rootfs = copy_busybox_rootfs(tmp / "rootfs");
};

// berth-ch03 run --rootfs ROOTFS FLAGS... -- COMMAND...
CommandResult run_ch03(const fs::path& rootfs, const std::vector<std::string>& flags,
                       const std::vector<std::string>& command);

// The same, with COMMAND given as a busybox shell script: /bin/sh -c SCRIPT.
CommandResult sh(const fs::path& rootfs, const std::vector<std::string>& flags,
                 const std::string& script);

// Our own hostname.
std::string hostname();

// The lines of `text`.
std::vector<std::string> lines_of(const std::string& text);

// What /proc/self/ns/NAME of this (the test's) process links to:
// "uts:[4026531838]".
std::string our_namespace(const std::string& name);

// The pid of a child of `parent` whose name (comm) is `name`, or 0.
pid_t child_named(pid_t parent, const std::string& name);

// Like child_named(), but waits (generously) until there is one; fails the
// test if none comes, or at once if `parent` ends first.
pid_t wait_for_child(pid_t parent, const std::string& name);

}  // namespace berth::test::ch03
