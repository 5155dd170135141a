// OCI bundles for chapter 06's tests.
#include "bundle.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

namespace berth::test::ch06 {
namespace {

std::string random_suffix() {
  std::random_device device;
  return std::to_string(std::uniform_int_distribution<unsigned>(100000, 999999)(device));
}

// Kills what is left in the cgroup `dir` (a container a failed test left
// behind), then removes it; a cgroup whose last process has just ended may
// stay busy (EBUSY) for a moment.
void remove_cgroup(const fs::path& dir) {
  for (int attempt = 0; attempt < 250; ++attempt) {
    std::ifstream procs(dir / "cgroup.procs");
    for (pid_t pid = 0; procs >> pid;)
      ::kill(pid, SIGKILL);
    if (::rmdir(dir.c_str()) == 0 || errno != EBUSY) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

CgroupParent::CgroupParent(const std::string& kind)
    : name_(test_name_prefix() + "-" + kind + "-" + random_suffix()) {
}

CgroupParent::~CgroupParent() {
  std::vector<fs::path> hierarchies = {"/sys/fs/cgroup"};
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/sys/fs/cgroup", error)) {
    if (entry.is_directory(error) && !entry.is_symlink(error)) hierarchies.push_back(entry.path());
  }
  for (const auto& hierarchy : hierarchies) {
    const fs::path parent = hierarchy / name_;
    if (!fs::is_directory(parent, error)) continue;
    // Deepest first: a cgroup with children cannot be removed.
    std::vector<fs::path> cgroups = {parent};
    for (const auto& entry : fs::recursive_directory_iterator(parent, error)) {
      if (entry.is_directory(error)) cgroups.push_back(entry.path());
    }
    std::ranges::sort(cgroups, [](const fs::path& a, const fs::path& b) {
      return a.string().size() > b.string().size();
    });
    for (const auto& cgroup : cgroups)
      remove_cgroup(cgroup);
  }
}

bool CgroupParent::has_child(const std::string& child) const {
  for (const auto& hierarchy : fs::directory_iterator("/sys/fs/cgroup")) {
    if (fs::exists(hierarchy.path() / name_ / child)) return true;
  }
  return false;
}

Bundle::Bundle(const std::vector<std::string>& args) {
  copy_busybox_rootfs(rootfs());
  const CommandResult spec = run({bin("berth-runtime").string(), "spec", "-b", path().string()});
  REQUIRE(spec.exit_code == 0);
  std::ifstream in(path() / "config.json");
  config = nlohmann::json::parse(in);
  config["process"]["terminal"] = false;
  config["root"]["readonly"] = false;  // so that tests can leave files behind
  config["process"]["args"] = args;
  config["linux"]["cgroupsPath"] = cgroups_.path() + "/c";
  save();
}

void Bundle::save() const {
  std::ofstream(path() / "config.json") << config.dump(2);
}

CommandResult Bundle::runtime(const std::vector<std::string>& args, bool with_bundle) const {
  std::vector<std::string> argv = {bin("berth-runtime").string(), "--root", state_root().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  if (with_bundle) {
    argv.push_back("-b");
    argv.push_back(path().string());
  }
  // sh -c 'exec "$@" >OUT 2>ERR' sh ARGV...
  static std::atomic<int> calls = 0;
  const std::string name = "runtime-" + std::to_string(++calls);
  const fs::path out = path() / (name + ".out");
  const fs::path err = path() / (name + ".err");
  argv.insert(argv.begin(),
              {"sh", "-c",
               "exec \"$@\" </dev/null >'" + out.string() + "' 2>'" + err.string() + "'", "sh"});
  CommandResult result = run(argv);
  result.out = read_file(out);
  result.err = read_file(err);
  // Catch2 is not thread-safe, and tests call this from several threads.
  static std::mutex catch_lock;
  const std::lock_guard lock(catch_lock);
  UNSCOPED_INFO("berth-runtime " << args.front() << " exited " << result.exit_code
                                 << "\nstdout: " << result.out << "\nstderr: " << result.err);
  return result;
}

}  // namespace berth::test::ch06
