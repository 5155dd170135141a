// The cgroup v1 driver: one hierarchy per controller (or group of them).
//
// A v1 container's cgroup is one directory in each hierarchy it uses, all
// with the same relative path: memory/berth/c1, cpu/berth/c1, pids/berth/c1...
// The process joins each of them; limits, stats and removal visit each. The
// hierarchies come from /proc/self/mountinfo (hierarchies.h): a hierarchy
// carrying several controllers (cpu,cpuacct) is one directory for them all.
#include <linux/magic.h>
#include <signal.h>
#include <sys/vfs.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "cgroup/drivers.h"
#include "cgroup/files.h"
#include "cgroup/hierarchies.h"
#include "common/error.h"
#include "common/log.h"

namespace berth::cgroup {
namespace {

using namespace std::chrono_literals;

constexpr auto kFreezeTimeout = 10s;

// The controllers a container joins. The freezer and devices are optional:
// without the freezer, freeze() fails and removal loses a convenience;
// devices (chapter 05's allow list) is only used by those who restrict them.
const std::vector<std::string> kControllers = {"memory", "cpu",     "cpuacct",
                                               "pids",   "freezer", "devices"};
constexpr std::string_view kFreezer = "freezer";

bool is_optional(const std::string& controller) {
  return std::ranges::find(kControllers, controller) == kControllers.end() ||
         controller == kFreezer || controller == "devices";
}

// controller -> its directory for `path`.
using Directories = std::map<std::string, fs::path>;

Directories find_directories(const std::string& path) {
  const auto hierarchies = v1_hierarchies();
  Directories dirs;
  std::set<fs::path> used;  // mount points
  for (const auto& controller : kControllers) {
    for (const auto& hierarchy : hierarchies) {
      if (std::find(hierarchy.controllers.begin(), hierarchy.controllers.end(), controller) !=
          hierarchy.controllers.end()) {
        dirs.emplace(controller, hierarchy.mount_point / path);
        used.insert(hierarchy.mount_point);
        break;
      }
    }
    if (!dirs.contains(controller) && !is_optional(controller)) {
      throw Error("find the cgroup v1 hierarchy of", controller,
                  "not mounted (no such cgroup mount in /proc/self/mountinfo)");
    }
  }
  // The other hierarchies (cpuset, blkio, systemd's named one, a hybrid
  // host's unified v2 one, ...) hold no limits of ours, but the container
  // joins them too, as runc's does: otherwise it would stay in its
  // creator's cgroups there, and be counted with it. They are the cgroup
  // filesystems mounted in /sys/fs/cgroup (not the links to them).
  for (const auto& entry : fs::directory_iterator(kCgroupRoot)) {
    struct statfs info {};
    if (entry.is_symlink() || used.contains(entry.path()) ||
        ::statfs(entry.path().c_str(), &info) != 0 ||
        (info.f_type != CGROUP_SUPER_MAGIC && info.f_type != CGROUP2_SUPER_MAGIC)) {
      continue;
    }
    dirs.emplace(entry.path().filename().string(), entry.path() / path);
  }
  return dirs;
}

// A new cpuset cgroup starts with no CPUs and no memory nodes, and the kernel
// lets no process join it so: it gets its parent's.
void inherit_cpuset(const fs::path& dir) {
  for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
    if (read_file(dir / file) == "\n") write_file(dir / file, read_file(dir.parent_path() / file));
  }
}

// The distinct directories, in order: cpu and cpuacct may share one.
std::vector<fs::path> distinct(const Directories& dirs) {
  std::vector<fs::path> list;
  for (const auto& [controller, dir] : dirs) {
    if (std::find(list.begin(), list.end(), dir) == list.end()) {
      list.push_back(dir);
    }
  }
  return list;
}

void apply_limits(const Directories& dir, const Limits& limits) {
  // #lab 04 v1-limits: Write the limits into the cgroup v1 files of memory, cpu and pids.
  // #hint dir.at("memory") is the cgroup's directory in the memory hierarchy; so for cpu, pids.
  // #hint memory.limit_in_bytes takes bytes.
  // #hint memory.memsw.limit_in_bytes (memory plus swap, -1: unlimited) exists only where
  // #hint the kernel accounts swap, and must not be below the memory limit: write it second.
  // #hint Without memory_swap the container gets no swap: memory plus swap = the memory limit.
  // #hint cpu.cfs_period_us and cpu.cfs_quota_us are microseconds: half the period is half a CPU.
  // #hint cpu.shares and pids.max take the numbers as they are.
  // #region v1-limits
  if (limits.memory) {
    write_file(dir.at("memory") / "memory.limit_in_bytes", std::to_string(*limits.memory));
    const fs::path memsw = dir.at("memory") / "memory.memsw.limit_in_bytes";
    if (fs::exists(memsw)) {
      write_file(
          memsw,
          std::to_string(limits.memory_swap.value_or(static_cast<std::int64_t>(*limits.memory))));
    } else if (limits.memory_swap) {
      log::warn("{} is missing: the kernel does not account swap; no swap limit", memsw.string());
    }
  }
  if (limits.cpus) {
    const auto period_us = static_cast<std::int64_t>(limits.cpu_period_us.value_or(100000));
    const auto quota_us = static_cast<std::int64_t>(*limits.cpus * static_cast<double>(period_us));
    write_file(dir.at("cpu") / "cpu.cfs_period_us", std::to_string(period_us));
    write_file(dir.at("cpu") / "cpu.cfs_quota_us", std::to_string(quota_us));
  }
  if (limits.cpu_shares) {
    write_file(dir.at("cpu") / "cpu.shares", std::to_string(*limits.cpu_shares));
  }
  if (limits.pids) {
    write_file(dir.at("pids") / "pids.max", std::to_string(*limits.pids));
  }
  // #endregion v1-limits
  // #endlab 04 v1-limits
  if (limits.memory_reservation) {
    write_file(dir.at("memory") / "memory.soft_limit_in_bytes",
               std::to_string(*limits.memory_reservation));
  }
  const auto cpuset = dir.find("cpuset");
  for (const auto& [file, value] :
       {std::pair{"cpuset.cpus", limits.cpuset_cpus}, {"cpuset.mems", limits.cpuset_mems}}) {
    if (value.empty()) continue;
    if (cpuset == dir.end()) throw Error("cgroup v1", "cpuset", "no cpuset hierarchy is mounted");
    write_file(cpuset->second / file, value);
  }
}

// How many processes of the cgroup the OOM killer has killed.
std::uint64_t oom_kills(const fs::path& memory_dir) {
  // #lab 04 oom-killed: Read how many times the OOM killer killed a process of this cgroup.
  // #hint v1 keeps the count in memory.oom_control, a file of "key value" lines:
  // #hint "oom_kill_disable 0", "under_oom 0", "oom_kill 1".
  // #hint read_key() in files.h reads one key; a kernel before 4.13 has none: count 0 then.
  // #region v1-oom
  return read_key(memory_dir / "memory.oom_control", "oom_kill").value_or(0);
  // #endregion v1-oom
  // #endlab 04 oom-killed
}

class V1Cgroup final : public Cgroup {
 public:
  V1Cgroup(std::string path, Directories dirs) : Cgroup(std::move(path)), dirs_(std::move(dirs)) {}

  // Takes over parent directories made for this cgroup, to remove with it.
  void adopt_parents(const std::vector<fs::path>& made) {
    made_parents_.insert(made_parents_.end(), made.begin(), made.end());
  }

  ~V1Cgroup() override {
    if (!owned_) return;
    try {
      remove();
    } catch (const std::exception& error) {
      log::error("remove cgroup {}: {}", path(), error.what());
    }
  }

  Version version() const override { return Version::v1; }

  std::vector<fs::path> directories() const override { return distinct(dirs_); }

  std::optional<fs::path> directory_of(const std::string& controller) const override {
    const auto it = dirs_.find(controller);
    if (it == dirs_.end()) return std::nullopt;
    return it->second;
  }

  void release() override { owned_ = false; }

  void add(pid_t pid) override {
    for (const auto& dir : directories()) {
      write_file(dir / "cgroup.procs", std::to_string(pid));
    }
  }

  std::vector<pid_t> pids() const override { return read_pids(dirs_.at("pids") / "cgroup.procs"); }

  Stats stats() const override {
    const fs::path& memory = dirs_.at("memory");
    const fs::path& pids = dirs_.at("pids");
    Stats stats;
    stats.memory_current = read_number(memory / "memory.usage_in_bytes");
    stats.memory_peak = read_number(memory / "memory.max_usage_in_bytes");
    stats.cpu_usage_ns = read_number(dirs_.at("cpuacct") / "cpuacct.usage");
    stats.pids_current = read_number(pids / "pids.current");
    if (fs::exists(pids / "pids.peak")) {  // Linux 6.1 and later
      stats.pids_peak = read_number(pids / "pids.peak");
    }
    stats.pids_limit_hits = read_key(pids / "pids.events", "max").value_or(0);
    stats.oom_kills = oom_kills(memory);
    return stats;
  }

  void freeze() override {
    const fs::path state = freezer() / "freezer.state";
    write_file(state, "FROZEN");
    // The state reads FREEZING until every task has stopped.
    const auto deadline = std::chrono::steady_clock::now() + kFreezeTimeout;
    while (read_file(state) != "FROZEN\n") {
      if (std::chrono::steady_clock::now() > deadline) {
        throw Error("freeze", state.string(), "still " + read_file(state));
      }
      std::this_thread::sleep_for(10ms);
    }
  }

  void thaw() override { write_file(freezer() / "freezer.state", "THAWED"); }

  bool frozen() const override {
    const auto it = dirs_.find(std::string(kFreezer));
    return it != dirs_.end() && read_file(it->second / "freezer.state") == "FROZEN\n";
  }

  void remove() override {
    if (removed_) {
      return;
    }
    std::vector<fs::path> existing;
    for (const auto& dir : directories()) {
      if (fs::exists(dir)) {
        existing.push_back(dir);
      }
    }
    std::vector<fs::path> procs;
    procs.reserve(existing.size());
    for (const auto& dir : existing) {
      procs.push_back(dir / "cgroup.procs");
    }
    if (!procs.empty()) {
      kill_frozen();
      kill_until_empty(procs);
    }
    for (const auto& dir : existing) {
      remove_directory(dir);
    }
    remove_unused_directories(made_parents_);
    removed_ = true;
  }

 private:
  const fs::path& freezer() const {
    const auto it = dirs_.find(std::string(kFreezer));
    if (it == dirs_.end()) {
      throw Error("freeze", path(), "no cgroup v1 freezer hierarchy is mounted");
    }
    return it->second;
  }

  // v1 has no cgroup.kill: a process may fork between our reading
  // cgroup.procs and our kill. Freezing first makes the list hold still
  // (runc does the same); the SIGKILLs land when the cgroup thaws.
  void kill_frozen() {
    const auto it = dirs_.find(std::string(kFreezer));
    if (it == dirs_.end() || !fs::exists(it->second)) {
      return;
    }
    try {
      freeze();
      for (const pid_t pid : read_pids(it->second / "cgroup.procs")) {
        ::kill(pid, SIGKILL);
      }
    } catch (const Error& error) {
      log::warn("kill frozen cgroup {}: {}", path(), error.what());
    }
    thaw();
  }

  Directories dirs_;
  std::vector<fs::path> made_parents_;  // made by create(), outermost first
  bool removed_ = false;
  bool owned_ = true;  // remove() on destruction
};

}  // namespace

std::vector<fs::path> v1_directories(const std::string& path) {
  return distinct(find_directories(path));
}

std::unique_ptr<Cgroup> open_v1(const std::string& path) {
  Directories dirs = find_directories(path);
  if (!fs::exists(dirs.at("memory"))) {
    throw Error("open cgroup", dirs.at("memory").string(), ENOENT);
  }
  auto cgroup = std::make_unique<V1Cgroup>(path, std::move(dirs));
  cgroup->release();
  return cgroup;
}

std::unique_ptr<Cgroup> create_v1(const std::string& path, const Limits& limits) {
  Directories dirs = find_directories(path);
  for (const auto& dir : distinct(dirs)) {
    if (fs::exists(dir)) {
      throw Error("create cgroup", dir.string(), "exists already");
    }
  }
  // From here on the object owns the directories: a failure removes those
  // made so far.
  auto cgroup = std::make_unique<V1Cgroup>(path, dirs);
  for (const auto& dir : distinct(dirs)) {
    const std::vector<fs::path> made = make_parent_directories(dir);
    cgroup->adopt_parents(made);
    make_directory(dir);
    if (fs::exists(dir / "cpuset.cpus")) {
      for (const auto& parent : made) {
        inherit_cpuset(parent);
      }
      inherit_cpuset(dir);
    }
  }
  apply_limits(dirs, limits);
  return cgroup;
}

}  // namespace berth::cgroup
