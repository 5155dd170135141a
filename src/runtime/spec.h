// runtime/spec — what `berth-runtime spec` and `berth-runtime features` print.
//
// Chapter 06. `spec` writes a starting config.json for a bundle, the same as
// `runc spec` does (so that tutorials written for runc work): `sh` in a
// terminal, as root, in new pid, network, ipc, uts and mount namespaces,
// with runc's mounts, three capabilities (AUDIT_WRITE, KILL,
// NET_BIND_SERVICE), masked and read-only paths. `--rootless` adds a user
// namespace mapping the caller's ids and drops what an unprivileged user
// cannot do (the network namespace, gid=5 on devpts, the device rules, a
// sysfs of its own: /sys is bound instead).
#pragma once

#include <sys/types.h>

#include <string>

namespace berth::runtime {

// The config.json text, byte for byte what runc 1.1 writes (tab-indented, no
// newline at the end). For rootless, `uid` and `gid` are the caller's
// effective ids (runc takes geteuid(), getegid()), mapped to 0 in the
// container.
std::string default_spec(bool rootless, uid_t uid, gid_t gid);

// The JSON of the runtime-spec's features.md: the ociVersion range, hooks,
// mount options, and the namespaces, capabilities, cgroup and seccomp
// support of this runtime, as `runc features` prints it.
std::string features_json();

}  // namespace berth::runtime
