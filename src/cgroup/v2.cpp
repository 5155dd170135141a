// The cgroup v2 driver: one tree, every controller in the same directory.
//
// v2's rules that shape this file:
//   - a controller works in a cgroup only when its parent lists it in
//     cgroup.subtree_control, so every ancestor enables memory, cpu and pids
//     for its children ("+memory +cpu +pids");
//   - processes live only in leaves (the "no internal processes" rule), so a
//     container's cgroup is a leaf and its parent holds no process;
//   - freezing (cgroup.freeze) and killing (cgroup.kill) are core files, in
//     every cgroup, with no controller to enable.
#include <chrono>
#include <set>
#include <sstream>
#include <thread>

#include "cgroup/drivers.h"
#include "cgroup/files.h"
#include "common/error.h"
#include "common/log.h"

namespace berth::cgroup {
namespace {

using namespace std::chrono_literals;

constexpr auto kFreezeTimeout = 10s;
const std::set<std::string> kControllers = {"cpu", "memory", "pids"};

std::set<std::string> words(const std::string& text) {
  std::set<std::string> set;
  std::istringstream in(text);
  for (std::string word; in >> word;) {
    set.insert(word);
  }
  return set;
}

// Lets the children of `dir` use our controllers: those `dir` has (its
// cgroup.controllers) and has not enabled yet. One write per controller, so
// that an error names it.
void enable_controllers(const fs::path& dir) {
  const auto available = words(read_file(dir / "cgroup.controllers"));
  const auto enabled = words(read_file(dir / "cgroup.subtree_control"));
  for (const auto& controller : kControllers) {
    if (available.contains(controller) && !enabled.contains(controller)) {
      write_file(dir / "cgroup.subtree_control", "+" + controller);
    }
  }
}

void apply_limits(const fs::path& dir, const Limits& limits) {
  // #lab 04 v2-limits: Write the limits into the cgroup v2 files (memory, swap, cpu, pids).
  // #hint memory.max takes bytes.
  // #hint memory.swap.max is swap alone: memory_swap - memory; "max" when memory_swap is -1;
  // #hint 0 when it is not given. It exists only where the kernel accounts swap: check first.
  // #hint cpu.max takes "QUOTA PERIOD" in microseconds: "50000 100000" is half a CPU.
  // #hint cpu.weight is weight_from_shares(cpu_shares); pids.max takes the number.
  // #region v2-limits
  if (limits.memory) {
    write_file(dir / "memory.max", std::to_string(*limits.memory));
    if (fs::exists(dir / "memory.swap.max")) {
      const std::int64_t total =
          limits.memory_swap.value_or(static_cast<std::int64_t>(*limits.memory));
      write_file(
          dir / "memory.swap.max",
          total < 0 ? "max" : std::to_string(static_cast<std::uint64_t>(total) - *limits.memory));
    }
  }
  if (limits.cpus) {
    const auto period_us = static_cast<std::int64_t>(limits.cpu_period_us.value_or(100000));
    const auto quota_us = static_cast<std::int64_t>(*limits.cpus * static_cast<double>(period_us));
    write_file(dir / "cpu.max", std::to_string(quota_us) + " " + std::to_string(period_us));
  }
  if (limits.cpu_shares) {
    write_file(dir / "cpu.weight", std::to_string(weight_from_shares(*limits.cpu_shares)));
  }
  if (limits.pids) {
    write_file(dir / "pids.max", std::to_string(*limits.pids));
  }
  // #endregion v2-limits
  // #endlab 04 v2-limits
  if (limits.memory_reservation) {
    write_file(dir / "memory.low", std::to_string(*limits.memory_reservation));
  }
  if (!limits.cpuset_cpus.empty()) write_file(dir / "cpuset.cpus", limits.cpuset_cpus);
  if (!limits.cpuset_mems.empty()) write_file(dir / "cpuset.mems", limits.cpuset_mems);
}

class V2Cgroup final : public Cgroup {
 public:
  // `made_parents`: the parent directories create() made for this cgroup,
  // outermost first, removed with it when nothing else uses them.
  V2Cgroup(std::string path, fs::path dir, std::vector<fs::path> made_parents)
      : Cgroup(std::move(path)), dir_(std::move(dir)), made_parents_(std::move(made_parents)) {}

  ~V2Cgroup() override {
    if (!owned_) return;
    try {
      remove();
    } catch (const std::exception& error) {
      log::error("remove cgroup {}: {}", path(), error.what());
    }
  }

  Version version() const override { return Version::v2; }

  std::vector<fs::path> directories() const override { return {dir_}; }

  // One directory holds every controller.
  std::optional<fs::path> directory_of(const std::string& /*controller*/) const override {
    return dir_;
  }

  void release() override { owned_ = false; }

  void add(pid_t pid) override { write_file(dir_ / "cgroup.procs", std::to_string(pid)); }

  std::vector<pid_t> pids() const override { return read_pids(dir_ / "cgroup.procs"); }

  Stats stats() const override {
    Stats stats;
    stats.memory_current = read_number(dir_ / "memory.current");
    if (fs::exists(dir_ / "memory.peak")) {  // Linux 5.19 and later
      stats.memory_peak = read_number(dir_ / "memory.peak");
    }
    stats.cpu_usage_ns = read_key(dir_ / "cpu.stat", "usage_usec").value_or(0) * 1000;
    stats.pids_current = read_number(dir_ / "pids.current");
    if (fs::exists(dir_ / "pids.peak")) {  // Linux 6.1 and later
      stats.pids_peak = read_number(dir_ / "pids.peak");
    }
    stats.pids_limit_hits = read_key(dir_ / "pids.events", "max").value_or(0);
    stats.oom_kills = read_key(dir_ / "memory.events", "oom_kill").value_or(0);
    return stats;
  }

  void freeze() override {
    write_file(dir_ / "cgroup.freeze", "1");
    // The write only asks; cgroup.events says "frozen 1" once every task
    // has stopped.
    const auto deadline = std::chrono::steady_clock::now() + kFreezeTimeout;
    while (read_key(dir_ / "cgroup.events", "frozen").value_or(0) != 1) {
      if (std::chrono::steady_clock::now() > deadline) {
        throw Error("freeze", dir_.string(), "cgroup.events did not say frozen 1 in time");
      }
      std::this_thread::sleep_for(10ms);
    }
  }

  void thaw() override { write_file(dir_ / "cgroup.freeze", "0"); }

  bool frozen() const override { return read_key(dir_ / "cgroup.events", "frozen") == 1; }

  void remove() override {
    if (removed_) {
      return;
    }
    if (fs::exists(dir_)) {
      // cgroup.kill (Linux 5.14) kills every process of the cgroup at once,
      // even one forking as fast as it can; without it, we kill pid by pid.
      if (fs::exists(dir_ / "cgroup.kill")) {
        write_file(dir_ / "cgroup.kill", "1");
      }
      kill_until_empty({dir_ / "cgroup.procs"});
      remove_directory(dir_);
    }
    remove_unused_directories(made_parents_);
    removed_ = true;
  }

 private:
  fs::path dir_;
  std::vector<fs::path> made_parents_;
  bool removed_ = false;
  bool owned_ = true;  // remove() on destruction
};

}  // namespace

fs::path v2_directory(const std::string& path) {
  return fs::path(kCgroupRoot) / path;
}

std::unique_ptr<Cgroup> open_v2(const std::string& path) {
  fs::path dir = v2_directory(path);
  if (!fs::exists(dir)) throw Error("open cgroup", dir.string(), ENOENT);
  auto cgroup = std::make_unique<V2Cgroup>(path, std::move(dir), std::vector<fs::path>{});
  cgroup->release();
  return cgroup;
}

std::unique_ptr<Cgroup> create_v2(const std::string& path, const Limits& limits) {
  fs::path dir{kCgroupRoot};
  std::vector<fs::path> made_parents;
  for (const auto& name : split_path(path)) {
    enable_controllers(dir);
    dir /= name;
    if (dir != v2_directory(path)) {
      if (make_directory(dir)) made_parents.push_back(dir);
    } else if (fs::exists(dir)) {
      throw Error("create cgroup", dir.string(), "exists already");
    }
  }
  // From here on the object owns the directory: a failure removes it.
  auto cgroup = std::make_unique<V2Cgroup>(path, dir, std::move(made_parents));
  make_directory(dir);
  apply_limits(dir, limits);
  return cgroup;
}

}  // namespace berth::cgroup
