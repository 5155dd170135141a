// Reading config.json: one function per object of the spec, each walking its
// fields with a Cursor so that every error names the JSON path.
#include "runtime/config.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "runtime/json_cursor.h"

namespace berth::runtime {
namespace {

constexpr std::array<std::pair<NamespaceType, std::string_view>, 8> kNamespaces{{
    {NamespaceType::pid, "pid"},
    {NamespaceType::network, "network"},
    {NamespaceType::mount, "mount"},
    {NamespaceType::ipc, "ipc"},
    {NamespaceType::uts, "uts"},
    {NamespaceType::user, "user"},
    {NamespaceType::cgroup, "cgroup"},
    {NamespaceType::time, "time"},
}};

// config-linux.md, "Seccomp": the actions and operators the spec defines.
constexpr std::array<std::string_view, 9> kSeccompActions{
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY"};
constexpr std::array<std::string_view, 7> kSeccompOperators{
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",       "SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};

// The string at `at` if it is one of `names`; fails "unknown WHAT" otherwise.
template <std::size_t N>
std::string one_of(const Cursor& at, const std::array<std::string_view, N>& names,
                   std::string_view what) {
  std::string value = at.string();
  if (std::find(names.begin(), names.end(), value) == names.end()) {
    at.fail("unknown " + std::string{what} + " \"" + value + "\"");
  }
  return value;
}

// Reads an optional member into `out`, leaving the default when absent.
template <typename T, typename Read>
void optional_member(const Cursor& object, std::string_view key, T& out, Read read) {
  if (const auto member = object.find(key)) out = read(*member);
}

std::vector<std::string> strings(const Cursor& at) {
  return at.strings();
}

template <typename T, typename Read>
std::vector<T> list(const Cursor& at, Read read) {
  std::vector<T> result;
  for (const Cursor& item : at.items()) {
    result.push_back(read(item));
  }
  return result;
}

Root read_root(const Cursor& at) {
  Root root;
  root.path = at["path"].string();
  optional_member(at, "readonly", root.readonly, [](const Cursor& c) { return c.boolean(); });
  return root;
}

Mount read_mount(const Cursor& at) {
  Mount mount;
  mount.destination = at["destination"].string();
  optional_member(at, "type", mount.type, [](const Cursor& c) { return c.string(); });
  optional_member(at, "source", mount.source, [](const Cursor& c) { return c.string(); });
  optional_member(at, "options", mount.options, strings);
  return mount;
}

std::uint32_t id(const Cursor& at) {
  return at.integer<std::uint32_t>();
}

User read_user(const Cursor& at) {
  User user;
  user.uid = id(at["uid"]);
  user.gid = id(at["gid"]);
  if (const auto umask = at.find("umask")) user.umask = id(*umask);
  optional_member(at, "additionalGids", user.additional_gids,
                  [](const Cursor& c) { return list<std::uint32_t>(c, id); });
  return user;
}

Capabilities read_capabilities(const Cursor& at) {
  Capabilities caps;
  optional_member(at, "bounding", caps.bounding, strings);
  optional_member(at, "effective", caps.effective, strings);
  optional_member(at, "inheritable", caps.inheritable, strings);
  optional_member(at, "permitted", caps.permitted, strings);
  optional_member(at, "ambient", caps.ambient, strings);
  return caps;
}

Rlimit read_rlimit(const Cursor& at) {
  Rlimit rlimit;
  rlimit.type = at["type"].string();
  rlimit.hard = at["hard"].integer<std::uint64_t>();
  rlimit.soft = at["soft"].integer<std::uint64_t>();
  return rlimit;
}

Process read_process(const Cursor& at) {
  Process process;
  optional_member(at, "terminal", process.terminal, [](const Cursor& c) { return c.boolean(); });
  process.user = read_user(at["user"]);
  optional_member(at, "args", process.args, strings);
  optional_member(at, "env", process.env, strings);
  process.cwd = at["cwd"].string();
  optional_member(at, "capabilities", process.capabilities, read_capabilities);
  optional_member(at, "rlimits", process.rlimits,
                  [](const Cursor& c) { return list<Rlimit>(c, read_rlimit); });
  optional_member(at, "noNewPrivileges", process.no_new_privileges,
                  [](const Cursor& c) { return c.boolean(); });
  if (const auto score = at.find("oomScoreAdj")) {
    const auto value = score->integer<std::int64_t>();
    if (value < -1000 || value > 1000) {
      score->fail(std::to_string(value) + " out of range (-1000-1000)");
    }
    process.oom_score_adj = static_cast<int>(value);
  }
  return process;
}

Namespace read_namespace(const Cursor& at) {
  const Cursor type = at["type"];
  const std::string type_name = type.string();
  const auto known = std::find_if(kNamespaces.begin(), kNamespaces.end(),
                                  [&](const auto& entry) { return entry.second == type_name; });
  if (known == kNamespaces.end()) type.fail("unknown namespace \"" + type_name + "\"");
  Namespace ns;
  ns.type = known->first;
  optional_member(at, "path", ns.path, [](const Cursor& c) { return c.string(); });
  return ns;
}

// The spec allows each namespace type once: two would contradict each other.
std::vector<Namespace> read_namespaces(const Cursor& at) {
  std::vector<Namespace> namespaces;
  for (const Cursor& item : at.items()) {
    const Namespace ns = read_namespace(item);
    for (const Namespace& earlier : namespaces) {
      if (earlier.type == ns.type) {
        item["type"].fail("duplicate namespace \"" + std::string{name(ns.type)} + "\"");
      }
    }
    namespaces.push_back(ns);
  }
  return namespaces;
}

IdMapping read_id_mapping(const Cursor& at) {
  IdMapping mapping;
  mapping.container_id = id(at["containerID"]);
  mapping.host_id = id(at["hostID"]);
  mapping.size = id(at["size"]);
  return mapping;
}

std::vector<IdMapping> read_id_mappings(const Cursor& at) {
  return list<IdMapping>(at, read_id_mapping);
}

std::int64_t int64(const Cursor& at) {
  return at.integer<std::int64_t>();
}
std::uint64_t uint64(const Cursor& at) {
  return at.integer<std::uint64_t>();
}

DeviceRule read_device_rule(const Cursor& at) {
  DeviceRule rule;
  rule.allow = at["allow"].boolean();
  optional_member(at, "type", rule.type, [](const Cursor& c) { return c.string(); });
  if (const auto major = at.find("major")) rule.major = int64(*major);
  if (const auto minor = at.find("minor")) rule.minor = int64(*minor);
  optional_member(at, "access", rule.access, [](const Cursor& c) { return c.string(); });
  return rule;
}

Resources read_resources(const Cursor& at) {
  Resources resources;
  if (const auto memory = at.find("memory")) {
    resources.memory.emplace();
    if (const auto limit = memory->find("limit")) resources.memory->limit = int64(*limit);
    if (const auto swap = memory->find("swap")) resources.memory->swap = int64(*swap);
    if (const auto reservation = memory->find("reservation")) {
      resources.memory->reservation = int64(*reservation);
    }
  }
  if (const auto cpu = at.find("cpu")) {
    resources.cpu.emplace();
    if (const auto shares = cpu->find("shares")) resources.cpu->shares = uint64(*shares);
    if (const auto quota = cpu->find("quota")) resources.cpu->quota = int64(*quota);
    if (const auto period = cpu->find("period")) resources.cpu->period = uint64(*period);
    optional_member(*cpu, "cpus", resources.cpu->cpus, [](const Cursor& c) { return c.string(); });
    optional_member(*cpu, "mems", resources.cpu->mems, [](const Cursor& c) { return c.string(); });
  }
  if (const auto pids = at.find("pids")) resources.pids = PidsResources{int64((*pids)["limit"])};
  optional_member(at, "devices", resources.devices,
                  [](const Cursor& c) { return list<DeviceRule>(c, read_device_rule); });
  return resources;
}

SeccompArg read_seccomp_arg(const Cursor& at) {
  SeccompArg arg;
  const Cursor index = at["index"];
  arg.index = index.integer<std::uint32_t>();
  // seccomp(2) sees six syscall arguments, numbered 0 to 5.
  if (arg.index > 5) index.fail("argument index " + std::to_string(arg.index) + " above 5");
  arg.value = uint64(at["value"]);
  optional_member(at, "valueTwo", arg.value_two, uint64);
  arg.op = one_of(at["op"], kSeccompOperators, "operator");
  return arg;
}

SeccompSyscall read_seccomp_syscall(const Cursor& at) {
  SeccompSyscall syscall;
  syscall.names = at["names"].strings();
  syscall.action = one_of(at["action"], kSeccompActions, "action");
  if (const auto errno_ret = at.find("errnoRet")) syscall.errno_ret = id(*errno_ret);
  optional_member(at, "args", syscall.args,
                  [](const Cursor& c) { return list<SeccompArg>(c, read_seccomp_arg); });
  return syscall;
}

Seccomp read_seccomp(const Cursor& at) {
  Seccomp seccomp;
  seccomp.default_action = one_of(at["defaultAction"], kSeccompActions, "action");
  optional_member(at, "architectures", seccomp.architectures, strings);
  optional_member(at, "syscalls", seccomp.syscalls,
                  [](const Cursor& c) { return list<SeccompSyscall>(c, read_seccomp_syscall); });
  return seccomp;
}

Device read_device(const Cursor& at) {
  Device device;
  device.path = at["path"].string();
  const Cursor type = at["type"];
  const std::string name = type.string();
  if (name != "c" && name != "u" && name != "b" && name != "p") {
    type.fail("unknown device type \"" + name + "\" (known: c, u, b, p)");
  }
  device.type = name == "u" ? 'c' : name.front();
  if (device.type != 'p') {
    device.major = at["major"].integer<std::uint32_t>();
    device.minor = at["minor"].integer<std::uint32_t>();
  }
  if (const auto mode = at.find("fileMode")) device.file_mode = mode->integer<std::uint32_t>();
  optional_member(at, "uid", device.uid, id);
  optional_member(at, "gid", device.gid, id);
  return device;
}

Linux read_linux(const Cursor& at) {
  Linux linux;
  optional_member(at, "namespaces", linux.namespaces, read_namespaces);
  optional_member(at, "uidMappings", linux.uid_mappings, read_id_mappings);
  optional_member(at, "gidMappings", linux.gid_mappings, read_id_mappings);
  if (const auto resources = at.find("resources")) linux.resources = read_resources(*resources);
  if (const auto seccomp = at.find("seccomp")) linux.seccomp = read_seccomp(*seccomp);
  optional_member(at, "maskedPaths", linux.masked_paths, strings);
  optional_member(at, "readonlyPaths", linux.readonly_paths, strings);
  optional_member(at, "sysctl", linux.sysctl, [](const Cursor& c) { return c.string_map(); });
  optional_member(at, "cgroupsPath", linux.cgroups_path,
                  [](const Cursor& c) { return c.string(); });
  optional_member(at, "devices", linux.devices,
                  [](const Cursor& c) { return list<Device>(c, read_device); });
  return linux;
}

Hook read_hook(const Cursor& at) {
  Hook hook;
  hook.path = at["path"].string();
  optional_member(at, "args", hook.args, strings);
  optional_member(at, "env", hook.env, strings);
  if (const auto timeout = at.find("timeout")) {
    hook.timeout = timeout->integer<int>();
    if (*hook.timeout < 1) timeout->fail("timeout must be at least 1 second");
  }
  return hook;
}

std::vector<Hook> read_hooks(const Cursor& at) {
  return list<Hook>(at, read_hook);
}

Hooks read_all_hooks(const Cursor& at) {
  Hooks hooks;
  optional_member(at, "prestart", hooks.prestart, read_hooks);
  optional_member(at, "createRuntime", hooks.create_runtime, read_hooks);
  optional_member(at, "createContainer", hooks.create_container, read_hooks);
  optional_member(at, "startContainer", hooks.start_container, read_hooks);
  optional_member(at, "poststart", hooks.poststart, read_hooks);
  optional_member(at, "poststop", hooks.poststop, read_hooks);
  return hooks;
}

Config read_config(const Cursor& at) {
  Config config;
  config.oci_version = at["ociVersion"].string();
  config.root = read_root(at["root"]);
  optional_member(at, "mounts", config.mounts,
                  [](const Cursor& c) { return list<Mount>(c, read_mount); });
  if (const auto process = at.find("process")) config.process = read_process(*process);
  optional_member(at, "hostname", config.hostname, [](const Cursor& c) { return c.string(); });
  optional_member(at, "annotations", config.annotations,
                  [](const Cursor& c) { return c.string_map(); });
  if (const auto linux = at.find("linux")) config.linux = read_linux(*linux);
  optional_member(at, "hooks", config.hooks, read_all_hooks);
  return config;
}

}  // namespace

std::string_view name(NamespaceType type) {
  for (const auto& [known, spelled] : kNamespaces) {
    if (known == type) return spelled;
  }
  return "?";
}

namespace {

nlohmann::json parse_json(std::string_view json_text, std::string_view source) {
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& error) {
    // A syntax error, or a number too large for a double (out_of_range.406).
    // error.what() reads "[json.exception.parse_error.101] parse error at
    // line 3, column 5: syntax error ...": keep the part after the id.
    const std::string_view what = error.what();
    const std::size_t id_end = what.find("] ");
    throw Error(source, "", id_end == std::string_view::npos ? what : what.substr(id_end + 2));
  }
  return document;
}

}  // namespace

Config parse_config(std::string_view json_text, std::string_view source) {
  const nlohmann::json document = parse_json(json_text, source);
  return read_config(Cursor{document, source});
}

Process parse_process(std::string_view json_text, std::string_view source) {
  const nlohmann::json document = parse_json(json_text, source);
  return read_process(Cursor{document, source});
}

Config load_config(const std::filesystem::path& bundle) {
  const std::filesystem::path file = bundle / "config.json";
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("open", file.string(), errno);
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  if (in.bad()) throw Error("read", file.string(), errno);
  return parse_config(text, file.string());
}

}  // namespace berth::runtime
