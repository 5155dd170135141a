// Helpers shared by chapter 04's tests: a unique cgroup parent per test,
// processes started inside a cgroup, and running berth-ch04.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cgroup/cgroup.h"
#include "process/process.h"
#include "support/support.h"

namespace berth::test::ch04 {

// A cgroup parent of its own for one test: "berth-test-TAG-PID-N" (see test_name_prefix). Tests
// create their cgroups under it; the destructor removes it (it must be empty by then: the cgroups
// inside are destroyed first, being declared after it).
class TestParent {
 public:
  TestParent();
  ~TestParent();
  TestParent(const TestParent&) = delete;
  TestParent& operator=(const TestParent&) = delete;

  const std::string& name() const { return name_; }
  // "NAME/CHILD"
  std::string operator/(const std::string& child) const { return name_ + "/" + child; }

 private:
  std::string name_;
};

// Starts busybox `sh -c SCRIPT` (the fixture's static busybox, on the host's
// root) as a member of `cgroup`: the child writes its own pid into the
// cgroup before exec, so even its first instruction is counted.
process::Child spawn_in(cgroup::Cgroup& cgroup, const std::string& script);

// Waits until `condition` holds, polling, for up to a generous deadline;
// returns whether it held. For conditions that become true eventually (a
// process has started), not for measuring time.
bool eventually(const std::function<bool()>& condition);

// A cgroup's file, from the directory of the hierarchy that has it.
std::string read_cgroup_file(const cgroup::Cgroup& cgroup, const std::string& file);

// Whether process `pid` is gone (or a zombie, which runs nothing).
bool process_gone(pid_t pid);

// berth-ch04 run --rootfs ROOTFS --cgroup-parent PARENT FLAGS... -- COMMAND...
CommandResult run_ch04(const fs::path& rootfs, const std::string& parent,
                       const std::vector<std::string>& flags,
                       const std::vector<std::string>& command);

}  // namespace berth::test::ch04
