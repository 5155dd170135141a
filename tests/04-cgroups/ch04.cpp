#include "ch04.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

namespace berth::test::ch04 {

TestParent::TestParent() {
  static std::atomic<int> counter{0};
  name_ = test_name_prefix() + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

TestParent::~TestParent() {
  try {
    cgroup::remove_empty(name_);
  } catch (const std::exception& error) {
    // A destructor must not throw; the leak check at the end of the run
    // reports the cgroup if it is really left behind.
    WARN("remove test cgroup parent: " << error.what());
  }
}

process::Child spawn_in(cgroup::Cgroup& cgroup, const std::string& script) {
  process::SpawnOptions options;
  options.argv = {(busybox_rootfs() / "bin" / "busybox").string(), "sh", "-c", script};
  options.before_exec = [&cgroup] { cgroup.add(::getpid()); };
  return process::spawn(options);
}

bool eventually(const std::function<bool()>& condition) {
  using namespace std::chrono_literals;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

std::string read_cgroup_file(const cgroup::Cgroup& cgroup, const std::string& file) {
  for (const auto& dir : cgroup.directories()) {
    if (fs::exists(dir / file)) {
      return read_file(dir / file);
    }
  }
  FAIL("no " << file << " in any directory of cgroup " << cgroup.path());
  return {};
}

bool process_gone(pid_t pid) {
  const std::string status = read_file("/proc/" + std::to_string(pid) + "/stat");
  // "PID (comm) STATE ...": gone, or Z (zombie) / X (dead).
  const auto paren = status.rfind(')');
  return status.empty() || paren == std::string::npos || status.at(paren + 2) == 'Z' ||
         status.at(paren + 2) == 'X';
}

CommandResult run_ch04(const fs::path& rootfs, const std::string& parent,
                       const std::vector<std::string>& flags,
                       const std::vector<std::string>& command) {
  std::vector<std::string> all_flags = {"--cgroup-parent", parent};
  all_flags.insert(all_flags.end(), flags.begin(), flags.end());
  return run_container("berth-ch04", rootfs, all_flags, command);
}

}  // namespace berth::test::ch04
