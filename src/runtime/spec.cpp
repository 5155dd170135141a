// `spec` and `features`: two JSON documents built field by field.
//
// nlohmann's ordered_json keeps the members in the order we add them, so the
// text comes out in runc's order (that of the Go structs in runtime-spec's
// specs-go/config.go), and a diff against `runc spec` shows only real
// differences.
#include "runtime/spec.h"

#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "security/security.h"

namespace berth::runtime {
namespace {

using Json = nlohmann::ordered_json;

// Three of Docker's default capabilities, enough for an interactive shell:
// signal its children, bind low ports, write to the audit log (login does).
Json spec_capabilities() {
  const Json names = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  return {{"bounding", names}, {"effective", names}, {"permitted", names}, {"ambient", names}};
}

Json spec_process() {
  return {
      {"terminal", true},
      {"user", {{"uid", 0}, {"gid", 0}}},
      {"args", Json::array({"sh"})},
      {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
      {"cwd", "/"},
      {"capabilities", spec_capabilities()},
      {"rlimits", Json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}})},
      {"noNewPrivileges", true},
  };
}

Json mount(std::string_view destination, std::string_view type, std::string_view source,
           const std::vector<std::string_view>& options) {
  Json entry = {{"destination", destination}, {"type", type}, {"source", source}};
  if (!options.empty()) entry["options"] = options;
  return entry;
}

// runc's mounts. Rootless, two change: an unprivileged user cannot give
// devpts a group its user namespace does not map (gid=5, "tty"), nor mount a
// sysfs outside a network namespace of its own, so /sys is the host's, bound.
Json spec_mounts(bool rootless) {
  std::vector<std::string_view> devpts = {"nosuid",        "noexec",    "newinstance",
                                          "ptmxmode=0666", "mode=0620", "gid=5"};
  if (rootless) devpts.pop_back();
  return {
      mount("/proc", "proc", "proc", {}),
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      mount("/dev/pts", "devpts", "devpts", devpts),
      mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      rootless ? mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"})
               : mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}),
  };
}

Json id_mapping(unsigned id) {
  return Json::array({{{"containerID", 0}, {"hostID", id}, {"size", 1}}});
}

Json spec_linux(bool rootless, uid_t uid, gid_t gid) {
  Json linux = Json::object();
  if (rootless) {
    linux["uidMappings"] = id_mapping(uid);
    linux["gidMappings"] = id_mapping(gid);
  } else {
    // Deny every device; runc then allows its default ones (/dev/null...).
    linux["resources"] = {{"devices", Json::array({{{"allow", false}, {"access", "rwm"}}})}};
  }
  Json namespaces = Json::array();
  for (const std::string_view type : {"pid", "network", "ipc", "uts", "mount", "user"}) {
    // The network namespace needs privilege to be useful (no veth without it);
    // the user namespace is what makes rootless possible.
    if ((type == "network" && rootless) || (type == "user" && !rootless)) continue;
    namespaces.push_back({{"type", type}});
  }
  linux["namespaces"] = namespaces;
  linux["maskedPaths"] = {"/proc/acpi",        "/proc/asound",        "/proc/kcore",
                          "/proc/keys",        "/proc/latency_stats", "/proc/timer_list",
                          "/proc/timer_stats", "/proc/sched_debug",   "/sys/firmware",
                          "/proc/scsi"};
  linux["readonlyPaths"] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                            "/proc/sysrq-trigger"};
  return linux;
}

// Every capability the running kernel knows, by name.
Json capability_names() {
  Json names = Json::array();
  for (const security::Capability capability : security::all_capabilities()) {
    names.push_back(security::capability_name(capability));
  }
  return names;
}

}  // namespace

// #region default-spec
std::string default_spec(bool rootless, uid_t uid, gid_t gid) {
  const Json spec = {
      {"ociVersion", "1.0.2-dev"},
      {"process", spec_process()},
      {"root", {{"path", "rootfs"}, {"readonly", true}}},
      {"hostname", "runc"},
      {"mounts", spec_mounts(rootless)},
      {"linux", spec_linux(rootless, uid, gid)},
  };
  // Go's json.MarshalIndent(spec, "", "\t"), as runc writes it.
  return spec.dump(1, '\t');
}
// #endregion default-spec

std::string features_json() {
  // The names parse_mount_options (mounts.h) turns into mount(2) flags, in
  // runc's (alphabetical) order; "defaults" is the one that sets none. The
  // rest of runc's list (the recursive "rro", "rnosuid"... of mount_setattr,
  // "tmpcopyup") is not supported.
  const Json mount_options = {
      "acl",       "async",      "atime",         "bind",       "defaults",
      "dev",       "diratime",   "dirsync",       "exec",       "iversion",
      "lazytime",  "loud",       "mand",          "noacl",      "noatime",
      "nodev",     "nodiratime", "noexec",        "noiversion", "nolazytime",
      "nomand",    "norelatime", "nostrictatime", "nosuid",     "private",
      "rbind",     "relatime",   "remount",       "ro",         "rprivate",
      "rshared",   "rslave",     "runbindable",   "rw",         "shared",
      "silent",    "slave",      "strictatime",   "suid",       "sync",
      "unbindable"};
  // config-linux.md's seccomp names, all of which libseccomp 2.5 knows.
  const Json seccomp = {
      {"enabled", true},
      {"actions",
       {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
        "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE",
        "SCMP_ACT_TRAP"}},
      {"operators",
       {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
        "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"}},
      {"archs",
       {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
        "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
        "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",
        "SCMP_ARCH_S390X", "SCMP_ARCH_X32", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64"}},
  };
  const Json linux = {
      {"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "user", "uts"}},
      {"capabilities", capability_names()},
      {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}}},
      {"seccomp", seccomp},
      {"apparmor", {{"enabled", false}}},
      {"selinux", {{"enabled", false}}},
  };
  const Json features = {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", "1.0.2-dev"},
      {"hooks",
       {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
      {"mountOptions", mount_options},
      {"linux", linux},
      {"annotations", {{"io.github.berth.runtime.version", "0.6.0"}}},
  };
  // runc prints its features with four spaces.
  return features.dump(4);
}

}  // namespace berth::runtime
