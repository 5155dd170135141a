// cgroup — limit what a container may use, and see what it used.
//
// Chapter 04. A control group is a directory in a special filesystem: a
// process joins it by writing its pid to the group's cgroup.procs, and the
// kernel then counts and limits what the process and all its descendants use,
// through the files in that directory (memory.max, pids.max, ...).
//
// Linux has two cgroup filesystems, and a container engine must speak both:
//   - cgroup v2 ("unified"): one tree at /sys/fs/cgroup, every controller
//     (memory, cpu, pids, ...) in the same directories;
//   - cgroup v1 ("legacy", or "hybrid" when a v2 tree sits beside it): one
//     tree per controller or group of controllers, each mounted on its own
//     (/sys/fs/cgroup/memory, /sys/fs/cgroup/cpu,cpuacct, ...), with other
//     file names for the same ideas (memory.limit_in_bytes for memory.max).
// One interface, Cgroup, has one driver for each; create() picks the one the
// host runs.
//
// A cgroup's path is relative to the root of each hierarchy (Docker's
// cgroupfs driver does the same: "berth/NAME" is /sys/fs/cgroup/berth/NAME on
// v2 and /sys/fs/cgroup/memory/berth/NAME, /sys/fs/cgroup/pids/berth/NAME...
// on v1). Every error names the file and, for a write, the value:
//     write 1 to /sys/fs/cgroup/cpu/berth/c1/cpu.cfs_quota_us: invalid argument
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::cgroup {

enum class Version { v1, v2 };

// The cgroup filesystem of this host: v2 when /sys/fs/cgroup is itself a
// cgroup2 mount (statfs gives CGROUP2_SUPER_MAGIC), v1 otherwise (a tmpfs of
// per-controller mounts). Throws berth::Error if /sys/fs/cgroup is missing.
Version detect_version();

// "v1" or "v2".
std::string_view to_string(Version version);

// What a container may use. An empty optional leaves the kernel's default
// (unlimited; an even share of CPU).
struct Limits {
  std::optional<std::uint64_t> memory;  // bytes of memory (RAM and page cache)
  // Memory plus swap, in bytes, as `docker run --memory-swap`; -1: unlimited
  // swap. Without it, a container with a memory limit gets no swap at all.
  // Applied only where the kernel accounts swap (v1: when
  // memory.memsw.limit_in_bytes exists; v2: memory.swap.max).
  std::optional<std::int64_t> memory_swap;
  std::optional<double> cpus;  // CPUs' worth of time per period: 0.5 is half a CPU
  // The period that cpus is a share of, in microseconds (default 100000,
  // 0.1 s): the OCI runtime passes config.json's cpu.period.
  std::optional<std::uint64_t> cpu_period_us;
  // Relative weight under contention, as `docker run --cpu-shares`: 2 to
  // 262144, 1024 being a normal share. v2 gets runc's conversion to
  // cpu.weight (1 to 10000): weight_from_shares().
  std::optional<std::uint64_t> cpu_shares;
  std::optional<std::int64_t> pids;  // most tasks (processes and threads) at once
  // Below the limit, what the kernel tries to leave the cgroup when memory
  // runs short (v1 memory.soft_limit_in_bytes, v2 memory.low), in bytes.
  std::optional<std::uint64_t> memory_reservation;
  std::string cpuset_cpus;  // the CPUs it may run on: "0-1", "0,2"; empty: all of the parent's
  std::string cpuset_mems;  // the memory nodes it may use; empty: the parent's
};

// What the processes of a cgroup have used, as the kernel counted it.
struct Stats {
  std::uint64_t memory_current = 0;          // bytes in use now
  std::optional<std::uint64_t> memory_peak;  // most bytes ever (where the kernel keeps it)
  std::uint64_t cpu_usage_ns = 0;            // CPU time of every task, ever
  std::uint64_t pids_current = 0;            // tasks now
  std::optional<std::uint64_t> pids_peak;    // most tasks ever (v2 kernels with pids.peak)
  std::uint64_t pids_limit_hits = 0;         // forks refused by the pids limit
  std::uint64_t oom_kills = 0;               // processes the OOM killer killed
};

// One cgroup, in every hierarchy the drivers use. Not copyable.
//
// The object owns the cgroup's directories: destroying it calls remove(),
// logging (not throwing) what fails, so the cgroup is gone on every path.
// Processes in it are killed then: a cgroup lives exactly as long as its
// container.
class Cgroup {
 public:
  virtual ~Cgroup() = default;
  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;

  virtual Version version() const = 0;

  // The path given to create(), relative to the hierarchies' roots.
  const std::string& path() const { return path_; }

  // The cgroup's directories: one on v2; one per hierarchy on v1.
  virtual std::vector<std::filesystem::path> directories() const = 0;

  // The directory holding `controller`'s files ("memory", "devices"): on v2
  // the one directory; on v1 the one in that controller's hierarchy, or
  // std::nullopt where it is not mounted (devices and the freezer are
  // optional).
  virtual std::optional<std::filesystem::path> directory_of(
      const std::string& controller) const = 0;

  // Moves process `pid` (with its future children) into the cgroup. May be
  // called with our own pid in a child before exec (spawn's before_exec).
  virtual void add(pid_t pid) = 0;

  // The pids of the processes in the cgroup (from cgroup.procs).
  virtual std::vector<pid_t> pids() const = 0;

  virtual Stats stats() const = 0;

  // Stops every process of the cgroup where it stands (it gets no CPU, and
  // nothing it could notice), and starts them again. freeze() returns once
  // they are all frozen; it throws berth::Error where there is no freezer
  // (a v1 host without the freezer hierarchy).
  virtual void freeze() = 0;
  virtual void thaw() = 0;
  // Whether the cgroup is frozen (false where there is no freezer).
  virtual bool frozen() const = 0;

  // Kills every process still in the cgroup, waits until it is empty and
  // removes its directories, and the parents create() made for it that
  // nothing else uses. Does nothing the second time. Throws
  // berth::Error naming the directory if it cannot.
  virtual void remove() = 0;

  // Gives the cgroup up: destroying the object leaves it (and its
  // processes) as they are; remove() still removes it. For a cgroup that must outlive this process,
  // as a container's outlives `berth-runtime create`; open() it again later.
  virtual void release() = 0;

 protected:
  explicit Cgroup(std::string path) : path_(std::move(path)) {}

 private:
  std::string path_;
};

// Creates the cgroup `path` ("berth/NAME"; creating missing parents, without
// ".." or empty components) with `limits`, with the driver of this host.
// Throws berth::Error naming the file and value that failed; the cgroup is
// removed again then. Parents made for it are removed with it if nothing
// else uses them by then (one another container still uses stays). A cgroup
// that exists already is an error.
std::unique_ptr<Cgroup> create(const std::string& path, const Limits& limits);

// The existing cgroup `path`, made earlier (by create(), maybe in another
// process). Unlike create()'s, the object does not own the cgroup:
// destroying it leaves the cgroup; remove() removes it (alone, not its
// parents). Throws berth::Error if it does not exist.
std::unique_ptr<Cgroup> open(const std::string& path);

// Removes the empty cgroup `path` (say, a parent that create() made) from
// every hierarchy; a hierarchy where it does not exist is skipped. Throws
// berth::Error if one cannot be removed (it still has a child or a process).
void remove_empty(const std::string& path);

// runc's mapping from cpu.shares (2..262144) onto cpu.weight (1..10000):
// 1 + (shares - 2) * 9999 / 262142, so 1024 shares is weight 39.
std::uint64_t weight_from_shares(std::uint64_t shares);

// Parses a memory size as docker does: digits with an optional unit b, k, m
// or g (powers of 1024, either case): "64m" is 67108864. Throws berth::Error
// naming the text otherwise.
std::uint64_t parse_memory_size(std::string_view text);

}  // namespace berth::cgroup
