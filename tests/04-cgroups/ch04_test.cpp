// berth-ch04 end to end: a busybox container under limits, as a user runs
// it. Not tagged [v2]: under user-mode Linux the static busybox needs
// GLIBC_TUNABLES to keep off AVX (scripts/uml-run.sh), and a container's
// clean environment drops it; the [v2] library tests cover the v2 driver.
#include "ch04.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include <catch2/catch.hpp>

#include "cgroup/drivers.h"

using namespace berth;
using namespace berth::test;
using namespace berth::test::ch04;

namespace {

struct Sandbox {
  TempDir tmp;
  fs::path rootfs = copy_busybox_rootfs(tmp / "rootfs");
  TestParent parent;
};

// The parent's directories: one on v2, one per hierarchy on v1.
std::vector<fs::path> parent_directories(const TestParent& parent) {
  if (cgroup::detect_version() == cgroup::Version::v2) {
    return {cgroup::v2_directory(parent.name())};
  }
  return cgroup::v1_directories(parent.name());
}

// The cgroups left under the parent: none, once a container has ended.
std::vector<fs::path> cgroups_left(const TestParent& parent) {
  std::vector<fs::path> left;
  for (const auto& dir : parent_directories(parent)) {
    if (fs::exists(dir)) {
      for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.is_directory()) {
          left.push_back(entry.path());
        }
      }
    }
  }
  return left;
}

// The number after "KEY=" in berth-ch04's stats line; -1 if it is missing.
double stat_value(const std::string& err, const std::string& key) {
  const auto at = err.find(" " + key + "=");
  if (at == std::string::npos) {
    return -1;
  }
  return std::stod(err.substr(at + key.size() + 2));
}

}  // namespace

TEST_CASE("berth-ch04: a memory hog is OOM-killed and reported with exit code 137", "[ch04]") {
  Sandbox box;
  const auto result = run_ch04(box.rootfs, box.parent.name(), {"--memory", "32m"},
                               {"sh", "-c", "x=a; while :; do x=$x$x; done"});
  CHECK(result.exit_code == 137);
  CHECK_THAT(result.err, Catch::EndsWith("berth-ch04: container was OOM-killed\n"));
  CHECK(cgroups_left(box.parent).empty());
}

TEST_CASE("berth-ch04: a container within its memory limit runs normally", "[ch04]") {
  Sandbox box;
  const auto result =
      run_ch04(box.rootfs, box.parent.name(), {"--memory", "64m", "--memory-swap", "64m"},
               {"sh", "-c", "echo fits; exit 4"});
  CHECK(result.exit_code == 4);
  CHECK(result.out == "fits\n");
  CHECK(result.err.empty());
}

TEST_CASE("berth-ch04: a fork bomb stops at the pids limit, and the host stays healthy", "[ch04]") {
  Sandbox box;
  // The shell forks sleepers until a fork fails; busybox sh then gives up,
  // and the container ends (its PID namespace takes the sleepers along).
  const auto result = run_ch04(box.rootfs, box.parent.name(), {"--pids", "20", "--stats"},
                               {"sh", "-c", "while :; do sleep 60 & done"});
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("can't fork"));
  CHECK(stat_value(result.err, "pids_limit_hits") >= 1);
  if (stat_value(result.err, "pids_peak") >= 0) {  // a kernel that keeps pids.peak
    CHECK(stat_value(result.err, "pids_peak") <= 20);
  }
  CHECK(cgroups_left(box.parent).empty());
  // The host still forks.
  CHECK(run({"true"}).exit_code == 0);
}

TEST_CASE("berth-ch04: --cpus 0.5 gives a CPU-bound container about half a CPU", "[ch04]") {
  Sandbox box;
  // Two spinning loops for 3 seconds: unlimited, up to 6 CPU-seconds.
  const auto result = run_ch04(box.rootfs, box.parent.name(), {"--cpus", "0.5", "--stats"},
                               {"sh", "-c", "while :; do :; done & while :; do :; done & sleep 3"});
  CHECK(result.exit_code == 0);
  const double cpus = stat_value(result.err, "cpu_seconds") / 3;
  INFO("CPUs used: " << cpus);
  CHECK(cpus > 0.25);
  CHECK(cpus < 0.6);
}

TEST_CASE("berth-ch04: --stats reports what the container used", "[ch04]") {
  Sandbox box;
  const auto result = run_ch04(box.rootfs, box.parent.name(), {"--stats", "--cpu-shares", "512"},
                               {"sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"});
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.err,
             Catch::Matches("berth-ch04: stats: cpu_seconds=[0-9]+\\.[0-9]{3} "
                            "(memory_peak_bytes=[0-9]+ )?pids_current=0 (pids_peak=[0-9]+ )?"
                            "pids_limit_hits=0 oom_kills=0\n"));
  CHECK(stat_value(result.err, "cpu_seconds") > 0);
  CHECK(cgroups_left(box.parent).empty());
}

TEST_CASE(
    "berth-ch04: after kill -9 of the container, what is left is killed and the cgroup "
    "removed",
    "[ch04]") {
  Sandbox box;
  // No PID namespace: the sleepers would outlive the container's init.
  process::SpawnOptions options;
  options.argv = {bin("berth-ch04"),
                  "run",
                  "--rootfs",
                  box.rootfs.string(),
                  "--ns",
                  "uts,mnt,ipc",
                  "--cgroup-parent",
                  box.parent.name(),
                  "--",
                  "sh",
                  "-c",
                  "sleep 60 & sleep 60 & wait"};
  auto ch04 = process::spawn(options);
  const std::string path = box.parent.name() + "/ch04-" + std::to_string(ch04.pid());
  const fs::path procs =
      (cgroup::detect_version() == cgroup::Version::v2 ? cgroup::v2_directory(path)
                                                       : cgroup::v1_directories(path).front()) /
      "cgroup.procs";
  // The init, its shell and two sleepers.
  REQUIRE(eventually([&] {
    const std::string text = read_file(procs);
    return std::count(text.begin(), text.end(), '\n') == 4;
  }));
  std::vector<pid_t> pids;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string stat = read_file(entry.path() / "stat");
    const auto paren = stat.rfind(')');
    if (paren != std::string::npos &&
        std::stoi(stat.substr(paren + 4)) == ch04.pid()) {  // "... ) S PPID"
      pids.push_back(std::stoi(entry.path().filename().string()));
    }
  }
  REQUIRE(pids.size() == 1);  // the container's init, berth-ch04's one child
  const std::string in_cgroup = read_file(procs);
  REQUIRE(::kill(pids.front(), SIGKILL) == 0);
  CHECK(ch04.wait() == 137);
  CHECK(cgroups_left(box.parent).empty());
  std::istringstream lines(in_cgroup);
  for (std::string pid; std::getline(lines, pid);) {
    CHECK(process_gone(std::stoi(pid)));
  }
}

TEST_CASE("berth-ch04: a bad limit is refused with exit code 125, naming it", "[ch04]") {
  Sandbox box;
  const auto result = run_ch04(box.rootfs, box.parent.name(), {"--memory", "64x"}, {"true"});
  CHECK(result.exit_code == 125);
  CHECK(result.err ==
        "berth-ch04: memory size 64x: expected a number with an optional unit b, k, m or g\n");
  CHECK(cgroups_left(box.parent).empty());
}
