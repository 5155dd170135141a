// The seven namespaces: their names, and the clone flags that create them.
#include <sched.h>

#include <algorithm>
#include <string>

#include "common/error.h"
#include "ns/container.h"

namespace berth::ns {
namespace {

struct Kind {
  Namespace ns;
  std::string_view name;  // as in /proc/PID/ns/
  int flag;               // the CLONE_NEW* flag that creates one
};

// What each one gives a container a copy of, of its own:
constexpr Kind kKinds[] = {
    {Namespace::uts, "uts", CLONE_NEWUTS},           // hostname and domain name
    {Namespace::pid, "pid", CLONE_NEWPID},           // process ids, starting at 1
    {Namespace::mount, "mnt", CLONE_NEWNS},          // the mount table
    {Namespace::ipc, "ipc", CLONE_NEWIPC},           // System V IPC, POSIX queues
    {Namespace::net, "net", CLONE_NEWNET},           // devices, addresses, ports
    {Namespace::cgroup, "cgroup", CLONE_NEWCGROUP},  // the root of /proc/self/cgroup
    {Namespace::user, "user", CLONE_NEWUSER},        // uids, gids, capabilities
};

const Kind& kind_of(Namespace ns) {
  for (const auto& kind : kKinds) {
    if (kind.ns == ns) return kind;
  }
  throw Error("namespace", std::to_string(static_cast<int>(ns)), "unknown");
}

std::string known_names() {
  std::string names;
  for (const auto& kind : kKinds) {
    names += (names.empty() ? "" : ", ") + std::string(kind.name);
  }
  return names;
}

}  // namespace

std::string_view name_of(Namespace ns) {
  return kind_of(ns).name;
}

std::vector<Namespace> parse_namespaces(std::string_view list) {
  std::vector<Namespace> namespaces;
  std::string_view rest = list;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view name = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    const Kind* found = nullptr;
    for (const auto& kind : kKinds) {
      if (kind.name == name) found = &kind;
    }
    if (found == nullptr) {
      throw Error("--ns", list,
                  "unknown namespace \"" + std::string(name) + "\" (known: " + known_names() + ")");
    }
    if (std::find(namespaces.begin(), namespaces.end(), found->ns) == namespaces.end()) {
      namespaces.push_back(found->ns);
    }
  }
  return namespaces;
}

int clone_flags(const std::vector<Namespace>& namespaces) {
  int flags = 0;
  for (const Namespace ns : namespaces) {
    flags |= kind_of(ns).flag;
  }
  return flags;
}

}  // namespace berth::ns
