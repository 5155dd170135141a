// security — what a process in a container may still do once it is inside.
//
// Chapter 05. Namespaces (chapter 03) decide what a container can see and
// cgroups (chapter 04) how much it may use; neither stops a root process in
// the container from asking the kernel for dangerous things: loading a
// module, rebooting, mounting over /proc, reading the host's disk. Docker
// answers with layers, each of which alone would be too weak:
//
//   capabilities    root's privileges cut to Docker's 14 (capabilities.cpp)
//   no_new_privs    no setuid binary can hand any of them back (no_new_privs.cpp)
//   seccomp         an allow-list of system calls, EPERM for the rest (seccomp*.cpp)
//   masked paths    /proc files that leak or control the host hidden (paths.cpp)
//   read-only paths /proc/sys and friends readable but not writable (paths.cpp)
//   rlimits         per-process resource limits, `--ulimit` (rlimits.cpp)
//   devices         only the harmless device nodes may be opened (devices*.cpp)
//
// Everything except the device rules is applied by the container's own
// process to itself, after its root switch and before its init starts
// (ns::ContainerSpec::child_hooks), in this order: paths, rlimits,
// no_new_privs, capabilities, seccomp. Seccomp comes last so that the setup
// before it may still use the calls it forbids. The device rules are applied
// from outside, by the parent, to the container's cgroup.
//
// Every function throws berth::Error naming the failed call and its target.
#pragma once

#include <sys/resource.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::security {

// ---- Capabilities (capabilities.cpp) ---------------------------------------

// A capability's number, as <linux/capability.h> defines it (CAP_CHOWN = 0).
using Capability = int;

// Docker's default set: CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW,
// SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL,
// AUDIT_WRITE.
std::vector<Capability> default_capabilities();

// Every capability this kernel knows.
std::vector<Capability> all_capabilities();

// The capabilities in the calling process's permitted set: all of them for
// root on most hosts, fewer where we run confined ourselves. What
// --privileged keeps: a process can never give itself more.
std::vector<Capability> permitted_capabilities();

// A capability's number from its name: "NET_ADMIN", "CAP_NET_ADMIN" and
// "cap_net_admin" are the same. Throws berth::Error for an unknown name:
//     capability "FOO": unknown capability
Capability capability_from_name(std::string_view name);

// "CAP_NET_ADMIN" for CAP_NET_ADMIN.
std::string capability_name(Capability capability);

// Docker's --cap-add/--cap-drop arithmetic on the default set: the default
// set plus `add` minus `drop`, where "ALL" in `add` starts from every
// capability we hold ourselves (permitted_capabilities()) and "ALL" in
// `drop` from none. Sorted, no duplicates.
std::vector<Capability> resolve_capabilities(const std::vector<std::string>& add,
                                             const std::vector<std::string>& drop);

// A process's five capability sets (capabilities(7)).
struct CapabilitySets {
  std::vector<Capability> bounding;     // the ceiling, for us and every descendant
  std::vector<Capability> effective;    // what the kernel checks
  std::vector<Capability> inheritable;  // what may pass through exec (with file or ambient caps)
  std::vector<Capability> permitted;    // what we may make effective
  std::vector<Capability> ambient;      // what passes through exec of any program
};

// Makes `sets` the calling process's capabilities: drops from the bounding
// set every capability not in sets.bounding, sets effective, permitted and
// inheritable, then the ambient set (those of it that are permitted and
// inheritable: the kernel refuses the others). Needs CAP_SETPCAP (effective) for the
// bounding set. The OCI runtime's process.capabilities (chapter 06).
void set_capabilities(const CapabilitySets& sets);

// Makes `keep` the calling process's capabilities, in all five sets: the
// bounding set loses every other capability (so not even exec of a file with
// file capabilities can bring one back), effective, permitted and inheritable
// become exactly `keep`, and the ambient set is cleared. Needs CAP_SETPCAP.
void limit_capabilities(const std::vector<Capability>& keep);

// ---- no_new_privs (no_new_privs.cpp) ----------------------------------------

// Sets the calling process's no_new_privs bit (prctl PR_SET_NO_NEW_PRIVS):
// from now on exec never grants privileges (setuid, setgid, file
// capabilities are ignored). Inherited by children; cannot be unset.
void set_no_new_privs();

// ---- The container's init (dumpable.cpp) -----------------------------------

// Makes the calling process non-dumpable (prctl PR_SET_DUMPABLE 0): no
// process without CAP_SYS_PTRACE may ptrace it, or open its /proc/PID/mem,
// /proc/PID/exe and friends. The container's init is Berth's own code, not
// exec'd from the image: its /proc/1/exe is the host's berth binary, and a
// container that could open it could read, or later overwrite, a host file
// (runc's CVE-2019-5736). exec makes the command dumpable again.
void set_non_dumpable();

// ---- Seccomp (seccomp.h) is in its own header: it has a profile format. ----

// ---- Masked and read-only paths (paths.cpp) ---------------------------------

// Docker's masked paths: /proc/acpi, /proc/kcore, /proc/keys, ...
const std::vector<std::string>& default_masked_paths();
// Docker's read-only paths: /proc/bus, /proc/fs, /proc/irq, /proc/sys,
// /proc/sysrq-trigger.
const std::vector<std::string>& default_readonly_paths();

// Hides each path: /dev/null is bound over a file, an empty read-only tmpfs
// is mounted over a directory. A path that does not exist is skipped (not
// every kernel has /proc/timer_stats). Runs after the root switch, in the
// container's mount namespace, with its /proc and /sys mounted.
void mask_paths(const std::vector<std::string>& paths);

// Makes each path read-only: binds it onto itself, then remounts the bind
// read-only. A path that does not exist is skipped. Same place as mask_paths.
void make_paths_readonly(const std::vector<std::string>& paths);

// ---- Resource limits (rlimits.cpp) ------------------------------------------

struct Rlimit {
  int resource = 0;  // RLIMIT_NOFILE, ...
  rlim_t soft = 0;
  rlim_t hard = 0;
};

// Parses Docker's --ulimit syntax, NAME=SOFT[:HARD] (HARD defaults to SOFT;
// -1 or "unlimited" is RLIM_INFINITY): "nofile=1024:2048". Names are
// setrlimit's without RLIMIT_: core, cpu, data, fsize, locks, memlock,
// msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack.
// Throws berth::Error naming the text: --ulimit nofile=2:1: soft limit above hard limit
Rlimit parse_ulimit(std::string_view text);

// The resource of a name of parse_ulimit's list ("nofile": RLIMIT_NOFILE),
// or std::nullopt.
std::optional<int> resource_from_name(std::string_view name);

// setrlimit() for each. Raising a hard limit needs CAP_SYS_RESOURCE, so this
// runs before capabilities are dropped.
void set_rlimits(const std::vector<Rlimit>& limits);

}  // namespace berth::security
