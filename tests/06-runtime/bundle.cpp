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
