// Test support for chapter 06: OCI bundles made from the busybox rootfs, and
// berth-runtime run on them with a state root and cgroup parent of the test's
// own.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/support.h"

namespace berth::test::ch06 {

// A bundle in a temporary directory: a copy of the busybox rootfs and the
// config.json of `berth-runtime spec`, with terminal off, the root writable,
// and the cgroup under
// a parent of our own. Edit `config`, then save().
class Bundle {
 public:
  explicit Bundle(const std::vector<std::string>& args);

  const fs::path& path() const { return dir_.path(); }
  fs::path rootfs() const { return dir_ / "rootfs"; }
  fs::path state_root() const { return dir_ / "state"; }
  const CgroupParent& cgroups() const { return cgroups_; }

  nlohmann::json config;
  void save() const;

  // Runs `berth-runtime --root STATE ARGS...` and records what it printed.
  // `with_bundle` (create and run) adds -b with our path. Its stdout and
  // stderr go through files, not pipes: a container that create or run -d
  // leaves running holds them open, and a reader of a pipe would wait for it.
  CommandResult runtime(const std::vector<std::string>& args, bool with_bundle = false) const;

 private:
  TempDir dir_;
  CgroupParent cgroups_;
};

}  // namespace berth::test::ch06
