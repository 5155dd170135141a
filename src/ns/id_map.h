// id_map — a user namespace's uid and gid mappings, and becoming its root.
//
// A new user namespace maps no ids at all: until its uid_map is written,
// every id in it shows as the overflow id (65534, "nobody"), and its first
// process can do nothing that needs an id, such as create a file. The map
// can only be written from outside the namespace (or by a process in it
// that has CAP_SETUID there), which is why the parent writes it while the
// child waits.
#pragma once

#include <sys/types.h>

#include <vector>

#include "ns/container.h"

namespace berth::ns {

// Writes /proc/PID/uid_map and gid_map for the process `pid`, which has just
// been created in a new user namespace. Each file can be written once, in
// one write. Unless we may map any id (CAP_SETUID in our user namespace,
// that is as root), "deny" goes to /proc/PID/setgroups first: the kernel
// lets an unprivileged user write a gid_map only once setgroups(2) is off
// for good in the namespace. Throws berth::Error naming the file:
// "write /proc/42/uid_map: operation not permitted".
void write_id_maps(pid_t pid, const std::vector<IdMapping>& uid_map,
                   const std::vector<IdMapping>& gid_map);

// In the child, once its maps are written: makes uid and gid 0 of the user
// namespace ours, with no supplementary groups. The child got all
// capabilities in its new user namespace at clone, but kept the host's ids,
// which are not mapped there; files it created would fail (EOVERFLOW).
void become_root();

}  // namespace berth::ns
