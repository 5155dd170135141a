// OCI bundles for chapter 06's tests.
#include "bundle.h"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <random>

#include <catch2/catch.hpp>

namespace berth::test::ch06 {
namespace {

std::string random_suffix() {
  std::random_device device;
  return std::to_string(std::uniform_int_distribution<unsigned>(100000, 999999)(device));
}

}  // namespace

CgroupParent::CgroupParent() : name_(test_name_prefix() + "-rt-" + random_suffix()) {
}

CgroupParent::~CgroupParent() {
  for (const auto& hierarchy : fs::directory_iterator("/sys/fs/cgroup")) {
    const fs::path dir = hierarchy.path() / name_;
    if (!fs::is_directory(dir)) continue;
    for (const auto& child : fs::directory_iterator(dir)) {
      if (child.is_directory()) ::rmdir(child.path().c_str());
    }
    ::rmdir(dir.c_str());
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
  config["linux"]["cgroupsPath"] = "/" + cgroups_.name() + "/c";
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
  UNSCOPED_INFO("berth-runtime " << args.front() << " exited " << result.exit_code
                                 << "\nstdout: " << result.out << "\nstderr: " << result.err);
  return result;
}

}  // namespace berth::test::ch06
