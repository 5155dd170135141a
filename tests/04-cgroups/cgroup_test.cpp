// The cgroup library against the real kernel: limits are enforced, stats are
// counted, cgroups disappear. Tagged [v2]: these also run under a cgroup v2
// kernel (user-mode Linux, uml_test), where create() picks the v2 driver;
// on this host they test the v1 driver.
#include <signal.h>

#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "ch04.h"
#include "common/error.h"

using namespace berth;
using namespace berth::test;
using namespace berth::test::ch04;
using namespace std::chrono_literals;

namespace {

bool is_v2() {
  return cgroup::detect_version() == cgroup::Version::v2;
}

bool all_gone(const std::vector<fs::path>& dirs) {
  for (const auto& dir : dirs) {
    if (fs::exists(dir)) {
      return false;
    }
  }
  return true;
}

std::string trimmed(std::string text) {
  while (!text.empty() && text.back() == '\n') {
    text.pop_back();
  }
  return text;
}

}  // namespace

TEST_CASE("the driver is the one of the host's cgroup filesystem", "[cgroup][v2]") {
  // /sys/fs/cgroup is a cgroup2 mount on a v2 host, a tmpfs on a v1 host.
  bool cgroup2_root = false;
  for (const auto& line : mounts_under("/sys/fs/cgroup")) {
    if (line.find(" /sys/fs/cgroup ") != std::string::npos &&
        line.find(" - cgroup2 ") != std::string::npos) {
      cgroup2_root = true;
    }
  }
  CHECK(cgroup::detect_version() == (cgroup2_root ? cgroup::Version::v2 : cgroup::Version::v1));
  TestParent parent;
  auto cgroup = cgroup::create(parent / "c", {});
  CHECK(cgroup->version() == cgroup::detect_version());
}

TEST_CASE("a cgroup is a directory in every hierarchy, removed with its object", "[cgroup][v2]") {
  TestParent parent;
  auto cgroup = cgroup::create(parent / "c", {});
  const auto dirs = cgroup->directories();
  REQUIRE_FALSE(dirs.empty());
  for (const auto& dir : dirs) {
    CHECK(fs::is_directory(dir));
    CHECK(dir.filename() == "c");
  }
  // v1: memory, cpu, cpuacct and pids at least, wherever they are mounted.
  CHECK(dirs.size() == (is_v2() ? 1U : dirs.size()));
  if (!is_v2()) {
    CHECK(dirs.size() >= 3);
  }
  cgroup.reset();
  CHECK(all_gone(dirs));
}

TEST_CASE("a parent made for a cgroup goes with it, unless another cgroup uses it",
          "[cgroup][v2]") {
  const auto parents_of = [](const cgroup::Cgroup& cgroup) {
    std::vector<fs::path> parents;
    for (const auto& dir : cgroup.directories()) {
      parents.push_back(dir.parent_path());
    }
    return parents;
  };
  TestParent parent;
  auto alone = cgroup::create(parent / "c", {});  // makes the parent
  const auto parents = parents_of(*alone);
  alone.reset();
  CHECK(all_gone(parents));

  auto first = cgroup::create(parent / "a", {});   // makes the parent
  auto second = cgroup::create(parent / "b", {});  // finds it
  first.reset();
  CHECK_FALSE(all_gone(parents));  // the second cgroup is still in it
}

TEST_CASE("limits land in the files of the host's cgroup version", "[cgroup][v2]") {
  TestParent parent;
  cgroup::Limits limits;
  limits.memory = 64 << 20;
  limits.cpus = 0.5;
  limits.cpu_shares = 512;
  limits.pids = 20;
  auto cgroup = cgroup::create(parent / "c", limits);
  if (is_v2()) {
    CHECK(trimmed(read_cgroup_file(*cgroup, "memory.max")) == "67108864");
    CHECK(trimmed(read_cgroup_file(*cgroup, "memory.swap.max")) == "0");
    CHECK(trimmed(read_cgroup_file(*cgroup, "cpu.max")) == "50000 100000");
    CHECK(trimmed(read_cgroup_file(*cgroup, "cpu.weight")) == "20");  // runc's mapping of 512
  } else {
    CHECK(trimmed(read_cgroup_file(*cgroup, "memory.limit_in_bytes")) == "67108864");
    CHECK(trimmed(read_cgroup_file(*cgroup, "cpu.cfs_quota_us")) == "50000");
    CHECK(trimmed(read_cgroup_file(*cgroup, "cpu.cfs_period_us")) == "100000");
    CHECK(trimmed(read_cgroup_file(*cgroup, "cpu.shares")) == "512");
  }
  CHECK(trimmed(read_cgroup_file(*cgroup, "pids.max")) == "20");
}

TEST_CASE("unlimited swap (memory_swap -1) is written as the kernel's unlimited", "[cgroup][v2]") {
  TestParent parent;
  cgroup::Limits limits;
  limits.memory = 64 << 20;
  limits.memory_swap = -1;
  auto cgroup = cgroup::create(parent / "c", limits);
  if (is_v2()) {
    CHECK(trimmed(read_cgroup_file(*cgroup, "memory.swap.max")) == "max");
  } else {
    for (const auto& dir : cgroup->directories()) {
      if (fs::exists(dir / "memory.memsw.limit_in_bytes")) {  // where swap is accounted
        CHECK(trimmed(read_file(dir / "memory.memsw.limit_in_bytes")) == "9223372036854771712");
      }
    }
  }
  CHECK(trimmed(read_cgroup_file(*cgroup, is_v2() ? "memory.max" : "memory.limit_in_bytes")) ==
        "67108864");
}

TEST_CASE("a value the kernel refuses is an error naming the file and the value", "[cgroup][v2]") {
  TestParent parent;
  cgroup::Limits limits;
  limits.cpus = 0.00001;  // a quota of 1 us: the kernel wants at least 1000
  const std::string file = is_v2() ? "cpu.max" : "cpu.cfs_quota_us";
  const std::string value = is_v2() ? "1 100000" : "1";
  try {
    cgroup::create(parent / "c", limits);
    FAIL("create succeeded");
  } catch (const Error& error) {
    CHECK_THAT(error.what(), Catch::Matches("write " + value + " to /sys/fs/cgroup/.*" +
                                            parent.name() + "/c/" + file + ": invalid argument"));
  }
  // Nothing is left of the cgroup: the parent's removal (which needs it
  // empty) succeeds, and no directory of it remains.
  CHECK_NOTHROW(cgroup::remove_empty(parent / "c"));
}

TEST_CASE("a cgroup path must be relative and stay inside the hierarchy", "[cgroup][v2]") {
  CHECK_THROWS_WITH(cgroup::create("../berth-x", {}),
                    "cgroup ../berth-x: not a relative path of names (like berth/NAME)");
  CHECK_THROWS_WITH(cgroup::create("/berth-x", {}),
                    "cgroup /berth-x: not a relative path of names (like berth/NAME)");
}

TEST_CASE("a memory hog is OOM-killed, and the kill is counted", "[cgroup][v2]") {
  TestParent parent;
  cgroup::Limits limits;
  limits.memory = 32 << 20;
  auto cgroup = cgroup::create(parent / "c", limits);
  // The string doubles until it no longer fits in 32 MiB.
  auto child = spawn_in(*cgroup, "x=a; while :; do x=$x$x; done");
  CHECK(child.wait() == 128 + SIGKILL);
  const auto stats = cgroup->stats();
  CHECK(stats.oom_kills >= 1);
  if (stats.memory_peak) {
    CHECK(*stats.memory_peak <= 32U << 20);
    CHECK(*stats.memory_peak > 8U << 20);
  }
}

TEST_CASE("a process that stays under its memory limit is not OOM-killed", "[cgroup][v2]") {
  TestParent parent;
  cgroup::Limits limits;
  limits.memory = 32 << 20;
  auto cgroup = cgroup::create(parent / "c", limits);
  auto child = spawn_in(*cgroup, "x=a; for i in 1 2 3 4 5 6 7 8 9 10; do x=$x$x; done; exit 3");
  CHECK(child.wait() == 3);
  CHECK(cgroup->stats().oom_kills == 0);
}

TEST_CASE("a fork bomb stops at the pids limit", "[cgroup][v2]") {
  TestParent parent;
  cgroup::Limits limits;
  limits.pids = 20;
  auto cgroup = cgroup::create(parent / "c", limits);
  // The shell forks sleepers until a fork fails; busybox sh then gives up.
  auto child = spawn_in(*cgroup, "while :; do sleep 60 & done");
  CHECK(child.wait() != 0);
  const auto stats = cgroup->stats();
  CHECK(stats.pids_limit_hits >= 1);
  CHECK(stats.pids_current <= 20);
  CHECK(stats.pids_current >= 10);  // the sleepers are still there
  if (stats.pids_peak) {
    CHECK(*stats.pids_peak <= 20);
  }
  const auto pids = cgroup->pids();
  const auto dirs = cgroup->directories();
  cgroup->remove();
  CHECK(all_gone(dirs));
  for (const pid_t pid : pids) {
    CHECK(process_gone(pid));
  }
}

TEST_CASE("a CPU-bound loop under cpus 0.5 gets about half a CPU", "[cgroup][v2]") {
  TestParent parent;
  cgroup::Limits limits;
  limits.cpus = 0.5;
  auto cgroup = cgroup::create(parent / "c", limits);
  // Two spinning loops: unlimited they could use up to two CPUs.
  auto child = spawn_in(*cgroup, "while :; do :; done & while :; do :; done");
  REQUIRE(eventually([&] { return cgroup->pids().size() == 2; }));
  const auto start = std::chrono::steady_clock::now();
  const auto used_before = cgroup->stats().cpu_usage_ns;
  std::this_thread::sleep_for(3s);
  const auto used = cgroup->stats().cpu_usage_ns - used_before;
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  const double cpus = static_cast<double>(used) / 1e9 / elapsed.count();
  INFO("CPUs used: " << cpus);
  // Half a CPU, give or take what a loaded machine takes away.
  CHECK(cpus > 0.25);
  CHECK(cpus < 0.6);
}

TEST_CASE("a frozen cgroup uses no CPU until it is thawed", "[cgroup][v2]") {
  TestParent parent;
  auto cgroup = cgroup::create(parent / "c", {});
  auto child = spawn_in(*cgroup, "while :; do :; done");
  REQUIRE(eventually([&] { return cgroup->stats().cpu_usage_ns > 10'000'000; }));
  cgroup->freeze();
  const auto frozen_at = cgroup->stats().cpu_usage_ns;
  std::this_thread::sleep_for(500ms);
  CHECK(cgroup->stats().cpu_usage_ns == frozen_at);
  cgroup->thaw();
  CHECK(eventually([&] { return cgroup->stats().cpu_usage_ns > frozen_at + 10'000'000; }));
}

TEST_CASE("stats count memory, CPU time and processes", "[cgroup][v2]") {
  TestParent parent;
  auto cgroup = cgroup::create(parent / "c", {});
  auto child = spawn_in(*cgroup,
                        "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; "
                        "sleep 60 & sleep 60 & wait");
  REQUIRE(eventually([&] { return cgroup->stats().pids_current == 3; }));
  const auto stats = cgroup->stats();
  CHECK(stats.memory_current > 0);
  CHECK(stats.cpu_usage_ns > 0);
  CHECK(stats.oom_kills == 0);
  if (stats.memory_peak) {
    CHECK(*stats.memory_peak >= stats.memory_current);
  }
  if (stats.pids_peak) {
    CHECK(*stats.pids_peak >= 3);
  }
}

TEST_CASE("remove kills what is left after kill -9 of the main process, then removes the cgroup",
          "[cgroup][v2]") {
  TestParent parent;
  auto cgroup = cgroup::create(parent / "c", {});
  auto child = spawn_in(*cgroup, "sleep 60 & sleep 60 & wait");
  REQUIRE(eventually([&] { return cgroup->pids().size() == 3; }));
  child.kill(SIGKILL);
  CHECK(child.wait() == 128 + SIGKILL);
  const auto orphans = cgroup->pids();
  CHECK(orphans.size() == 2);  // the sleepers outlive their shell
  const auto dirs = cgroup->directories();
  cgroup->remove();
  CHECK(all_gone(dirs));
  for (const pid_t pid : orphans) {
    CHECK(process_gone(pid));
  }
  CHECK_NOTHROW(cgroup->remove());  // a second time does nothing
}

TEST_CASE("a frozen cgroup is still removed, with its processes", "[cgroup][v2]") {
  TestParent parent;
  auto cgroup = cgroup::create(parent / "c", {});
  auto child = spawn_in(*cgroup, "sleep 60 & sleep 60 & wait");
  REQUIRE(eventually([&] { return cgroup->pids().size() == 3; }));
  cgroup->freeze();
  const auto dirs = cgroup->directories();
  cgroup->remove();
  CHECK(child.wait() == 128 + SIGKILL);
  CHECK(all_gone(dirs));
}
