// Helpers for chapter 05's library tests: apply a piece of src/security in
// a spawned child (before_exec), run a host command there, and look at
// what it printed.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "support/support.h"

namespace berth::test::ch05 {

struct Observed {
  int exit_code = -1;
  std::string out;  // stdout and stderr, interleaved
};

// Spawns `argv` with `setup` run in the child before exec (after its output
// is redirected), in new namespaces `clone_flags`, and waits for it.
Observed observe(const std::function<void()>& setup, const std::vector<std::string>& argv,
                 int clone_flags = 0);

// The same, for a shell script: /bin/sh -c SCRIPT.
Observed observe_sh(const std::function<void()>& setup, const std::string& script,
                    int clone_flags = 0);

// The path of the static probe program (tests/security/probe.cpp).
std::string probe();

// A cgroup directory `root`/berth-test-TAG-PID-N, removed (rmdir) when destroyed.
class TestCgroup {
 public:
  explicit TestCgroup(const fs::path& root);
  ~TestCgroup();
  TestCgroup(const TestCgroup&) = delete;
  TestCgroup& operator=(const TestCgroup&) = delete;
  const fs::path& path() const { return path_; }
  // For before_exec: moves the calling process into the cgroup.
  void join() const;

 private:
  fs::path path_;
};

}  // namespace berth::test::ch05
