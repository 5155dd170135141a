// runtime/config — the OCI runtime-spec bundle configuration (config.json).
//
// Chapter 06. An OCI bundle is a directory holding config.json and a root
// filesystem. config.json says everything a runtime needs to start the
// container: the process (args, env, cwd, user, capabilities, rlimits), the
// root, the mounts, and for Linux the namespaces, id mappings, cgroup
// resources, seccomp filter and the paths to mask. This header models the
// subset Berth implements, with the spec's field names (opencontainers/
// runtime-spec config.md and config-linux.md; specs-go/config.go) turned into
// snake_case. Fields Berth does not model are ignored when reading, as the
// spec requires of unknown fields.
//
// A bundle comes from its author, so config.json is untrusted input: reading
// it either gives a well-typed Config or throws berth::Error naming the file
// and the JSON path of the offending value:
//
//     config.json: process.args[2]: expected a string, got a number
//     config.json: linux.namespaces[1].type: unknown namespace "foo"
//     config.json: process.user.uid: 4294967296 out of range (0-4294967295)
//
// Typical use:
//
//     const runtime::Config config = runtime::load_config(bundle);
//     for (const auto& ns : config.linux->namespaces) ...
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::runtime {

// "root": the container's root filesystem. Required on Linux.
struct Root {
  std::string path;       // relative to the bundle, or absolute (required)
  bool readonly = false;  // mount the root read-only
};

// "mounts[]": mounted in order, after the root.
struct Mount {
  std::string destination;           // path inside the container (required)
  std::string type;                  // filesystem type: "proc", "tmpfs", "none"...
  std::string source;                // device, directory, or a name ("proc")
  std::vector<std::string> options;  // mount(8) options: "nosuid", "ro", "mode=755"
};

// "process.user": who the process runs as, in the container's id space.
struct User {
  std::uint32_t uid = 0;                       // required
  std::uint32_t gid = 0;                       // required
  std::optional<std::uint32_t> umask;          // unset: the runtime's default
  std::vector<std::uint32_t> additional_gids;  // "additionalGids"
};

// "process.capabilities": capability names ("CAP_KILL") per set.
struct Capabilities {
  std::vector<std::string> bounding;
  std::vector<std::string> effective;
  std::vector<std::string> inheritable;
  std::vector<std::string> permitted;
  std::vector<std::string> ambient;
};

// "process.rlimits[]": one setrlimit(2) call.
struct Rlimit {
  std::string type;        // "RLIMIT_NOFILE" (required)
  std::uint64_t hard = 0;  // required
  std::uint64_t soft = 0;  // required
};

// "process": what runs in the container.
struct Process {
  bool terminal = false;          // attach a pseudo-terminal
  User user;                      // required
  std::vector<std::string> args;  // argv; args[0] is looked up in PATH
  std::vector<std::string> env;   // "NAME=value"
  std::string cwd;                // absolute path in the container (required)
  Capabilities capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;    // "noNewPrivileges"
  std::optional<int> oom_score_adj;  // "oomScoreAdj": -1000 (never) to 1000 (first)
};

// The namespace types of config-linux.md.
enum class NamespaceType { pid, network, mount, ipc, uts, user, cgroup, time };

// The spec's name of a namespace type: "pid", "network", ...
std::string_view name(NamespaceType type);

// "linux.namespaces[]": a namespace to create, or with a path, to join.
struct Namespace {
  NamespaceType type = NamespaceType::pid;  // required; each type at most once
  std::string path;  // empty: create a new one; else join e.g. /proc/1234/ns/net
};

// "linux.uidMappings[]" and "gidMappings[]": one line of /proc/PID/uid_map.
struct IdMapping {
  std::uint32_t container_id = 0;  // "containerID" (required)
  std::uint32_t host_id = 0;       // "hostID" (required)
  std::uint32_t size = 0;          // required
};

// "linux.resources.memory", in bytes; -1 means unlimited.
struct MemoryResources {
  std::optional<std::int64_t> limit;
  std::optional<std::int64_t> swap;         // memory + swap
  std::optional<std::int64_t> reservation;  // soft limit, kept under memory pressure
};

// "linux.resources.cpu".
struct CpuResources {
  std::optional<std::uint64_t> shares;  // relative weight
  std::optional<std::int64_t> quota;    // microseconds per period; -1 unlimited
  std::optional<std::uint64_t> period;  // microseconds
  std::string cpus;                     // cpuset: "0-1", "0,2"; empty: the parent's
  std::string mems;                     // cpuset memory nodes; empty: the parent's
};

// "linux.resources.pids".
struct PidsResources {
  std::int64_t limit = 0;  // required; -1 or 0 means unlimited
};

// "linux.resources.devices[]": one rule of the device allow list.
struct DeviceRule {
  bool allow = false;                 // required
  std::string type;                   // "a" (all, the default), "c" or "b"
  std::optional<std::int64_t> major;  // unset: any
  std::optional<std::int64_t> minor;  // unset: any
  std::string access;                 // some of "rwm"; empty: all
};

// "linux.resources": cgroup limits.
struct Resources {
  std::optional<MemoryResources> memory;
  std::optional<CpuResources> cpu;
  std::optional<PidsResources> pids;
  std::vector<DeviceRule> devices;
};

// "linux.seccomp.syscalls[].args[]": a condition on one syscall argument.
struct SeccompArg {
  std::uint32_t index = 0;      // 0-5 (required)
  std::uint64_t value = 0;      // required
  std::uint64_t value_two = 0;  // "valueTwo", for SCMP_CMP_MASKED_EQ
  std::string op;               // "SCMP_CMP_EQ"... (required)
};

// "linux.seccomp.syscalls[]": an action for some syscalls.
struct SeccompSyscall {
  std::vector<std::string> names;          // required
  std::string action;                      // "SCMP_ACT_ALLOW"... (required)
  std::optional<std::uint32_t> errno_ret;  // "errnoRet", for SCMP_ACT_ERRNO
  std::vector<SeccompArg> args;
};

// "linux.seccomp": the filter, by action names (checked against the spec's list).
struct Seccomp {
  std::string default_action;              // "defaultAction" (required)
  std::vector<std::string> architectures;  // "SCMP_ARCH_X86_64"...
  std::vector<SeccompSyscall> syscalls;
};

// "linux.devices[]": a device node to create in the container.
struct Device {
  std::string path;         // in the container, e.g. /dev/fuse (required)
  char type = 'c';          // c (or u), b, p (a fifo) (required)
  std::uint32_t major = 0;  // required for c and b
  std::uint32_t minor = 0;
  std::optional<std::uint32_t> file_mode;  // "fileMode": permission bits; unset: 0666
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
};

// "linux": the Linux-specific part.
struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uid_mappings;  // "uidMappings"
  std::vector<IdMapping> gid_mappings;  // "gidMappings"
  std::optional<Resources> resources;
  std::optional<Seccomp> seccomp;
  std::vector<std::string> masked_paths;      // "maskedPaths"
  std::vector<std::string> readonly_paths;    // "readonlyPaths"
  std::map<std::string, std::string> sysctl;  // "net.ipv4.ip_forward": "1"
  std::string cgroups_path;                   // "cgroupsPath"; empty: the runtime chooses
  std::vector<Device> devices;
};

// "hooks.*[]": a program the runtime runs at a point of the lifecycle.
struct Hook {
  std::string path;               // absolute path on the host (required)
  std::vector<std::string> args;  // argv, args[0] included
  std::vector<std::string> env;
  std::optional<int> timeout;  // seconds, at least 1
};

// "hooks": by lifecycle point (config.md, "POSIX-platform Hooks").
struct Hooks {
  std::vector<Hook> prestart;          // deprecated by the spec; still read
  std::vector<Hook> create_runtime;    // "createRuntime"
  std::vector<Hook> create_container;  // "createContainer"
  std::vector<Hook> start_container;   // "startContainer"
  std::vector<Hook> poststart;
  std::vector<Hook> poststop;
};

// The whole config.json.
struct Config {
  std::string oci_version;  // "ociVersion", e.g. "1.0.2-dev" (required)
  Root root;                // required
  std::vector<Mount> mounts;
  std::optional<Process> process;  // required by `start`, not by the format
  std::string hostname;
  std::map<std::string, std::string> annotations;
  std::optional<Linux> linux;
  Hooks hooks;
};

// Reads a config.json text. `source` names it in errors ("config.json", or
// the file's path). Unknown fields are ignored; a JSON null counts as absent.
// Throws berth::Error "SOURCE: PATH: REASON" on invalid JSON (with the
// parser's position), a value of the wrong type, a missing required field, a
// number out of range for its field, or an unknown enumerated name.
Config parse_config(std::string_view json_text, std::string_view source);

// Reads a process.json, the "process" object alone (what `berth-runtime
// exec --process` takes). Errors as parse_config's.
Process parse_process(std::string_view json_text, std::string_view source);

// Reads BUNDLE/config.json. Throws berth::Error naming the file when it cannot
// be read, and as parse_config otherwise.
Config load_config(const std::filesystem::path& bundle);

}  // namespace berth::runtime
