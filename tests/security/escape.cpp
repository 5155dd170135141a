#include "escape.h"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace berth::test::security {

Sandbox::Sandbox() : rootfs(copy_busybox_rootfs(tmp / "rootfs")) {
  fs::copy_file(bin("berth-security-probe"), rootfs / "bin" / "berth-security-probe");
}

namespace {

CommandResult logged(const std::vector<std::string>& argv) {
  CommandResult result = run(argv);
  UNSCOPED_INFO("exit code " << result.exit_code << "\nstdout:\n"
                             << result.out << "\nstderr:\n"
                             << result.err);
  return result;
}

std::vector<std::string> probe_argv(const std::vector<std::string>& attempt) {
  std::vector<std::string> argv = {"/bin/berth-security-probe"};
  argv.insert(argv.end(), attempt.begin(), attempt.end());
  return argv;
}

}  // namespace

CommandResult attempt(const Sandbox& box, const std::vector<std::string>& flags,
                      const std::vector<std::string>& attempt) {
  return run_container("berth-ch05", box.rootfs, flags, probe_argv(attempt));
}

CommandResult sh(const Sandbox& box, const std::vector<std::string>& flags,
                 const std::string& script) {
  return run_container("berth-ch05", box.rootfs, flags, {"/bin/sh", "-c", script});
}

CommandResult attempt_in_runc(const Sandbox& box, const std::vector<std::string>& attempt) {
  static std::atomic<int> counter{0};
  const fs::path bundle = box.tmp / "bundle";
  const fs::path state = box.tmp / "runc-state";
  fs::create_directories(bundle);
  fs::remove(bundle / "config.json");
  REQUIRE(run({"runc", "spec", "--bundle", bundle}).exit_code == 0);
  nlohmann::json config = nlohmann::json::parse(read_file(bundle / "config.json"));
  config["root"]["path"] = box.rootfs.string();
  config["process"]["args"] = probe_argv(attempt);
  config["process"]["terminal"] = false;
  std::ofstream(bundle / "config.json") << config.dump(2);
  const std::string id =
      test_name_prefix() + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  CommandResult result = logged({"runc", "--root", state, "run", "--bundle", bundle, id});
  // `runc run` removes the container when its process ends; make sure.
  run({"runc", "--root", state, "delete", "--force", id});
  return result;
}

std::vector<std::string> host_disk() {
  std::istringstream lines(read_file("/proc/partitions"));
  std::string line;
  std::getline(lines, line);  // "major minor  #blocks  name"
  std::string major, minor;
  while (lines >> major >> minor) {
    if (!major.empty()) return {major, minor};
  }
  return {};
}

}  // namespace berth::test::security
