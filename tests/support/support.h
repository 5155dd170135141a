// Test support shared by every chapter's tests.
//
// Every test executable links this. It gives:
//   - a private mount namespace for the whole test process (set up before the
//     first test runs), so nothing a test mounts can leak to the host;
//   - TempDir, a temporary directory (state roots, root filesystems) removed
//     at the end of the test without crossing mount points;
//   - the busybox root filesystem fixture, built once per test run;
//   - run(), which runs a command and captures its exit code, stdout, stderr.
//
// This code deliberately does not use Berth's own modules: a lab starter with
// a broken process module must still be able to run its tests.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace berth::test {

namespace fs = std::filesystem;

// "berth-test-TAG": how the name of everything a test creates on the host
// (temporary directories, cgroups) begins. TAG is the build's own
// (BERTH_TEST_TAG, set by ctest), so the suite's leak check finds what this
// build left behind, and never what another build is still using.
std::string test_name_prefix();

// A fresh directory /tmp/berth-test-TAG-XXXXXX, removed with all its contents
// when the TempDir is destroyed. Removal never descends into a mount point.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  fs::path operator/(const fs::path& child) const { return path_ / child; }

 private:
  fs::path path_;
};

struct CommandResult {
  int exit_code = -1;  // like a shell: N for exit(N), 128+S for signal S
  std::string out;
  std::string err;
};

struct RunOptions {
  std::map<std::string, std::string> env;  // added to (or replacing in) ours
  std::string input;                       // written to the command's stdin
  std::chrono::seconds timeout{60};        // killed (SIGKILL) after this
};

// Runs argv[0] (searched in PATH) with the rest as arguments and waits.
// A command that outlives the timeout is killed and reported as 128+9.
CommandResult run(const std::vector<std::string>& argv, const RunOptions& options = {});

// Runs a chapter program's container, `PROGRAM run --rootfs ROOTFS FLAGS...
// -- COMMAND...` (PROGRAM being e.g. "berth-ch03"), and records its exit code
// and output with the test, so that a failing check shows them.
CommandResult run_container(const std::string& program, const fs::path& rootfs,
                            const std::vector<std::string>& flags,
                            const std::vector<std::string>& command);

// The path of a program built by this tree, e.g. bin("berth-ch01").
fs::path bin(const std::string& program);

// The busybox root filesystem built by the test run's fixture
// (scripts/make-busybox-rootfs.sh): busybox, its applet links, /etc/passwd,
// /etc/group, /tmp with mode 1777, and empty /proc /sys /dev mount points.
fs::path busybox_rootfs();

// A private copy of the busybox rootfs at `destination`, for a test that may
// change it.
fs::path copy_busybox_rootfs(const fs::path& destination);

// The text of a file, or "" when it cannot be read.
std::string read_file(const fs::path& path);

// Writes `text` to the file `path` (replacing it), making its parent
// directories first.
void write_file(const fs::path& path, const std::string& text);

// Lines of /proc/self/mountinfo whose mount point lies at or under `dir`.
std::vector<std::string> mounts_under(const fs::path& dir);

// A cgroup parent for a test's containers, named berth-test-TAG-KIND-NNNNNN.
// Destroying it removes it and every cgroup a runtime made below it, in
// every hierarchy (each v1 one, named and unified ones included, or the v2
// root), deepest first, killing what a failed test left running there.
class CgroupParent {
 public:
  explicit CgroupParent(const std::string& kind = "rt");
  ~CgroupParent();
  CgroupParent(const CgroupParent&) = delete;
  CgroupParent& operator=(const CgroupParent&) = delete;

  const std::string& name() const { return name_; }
  // "/NAME", as cgroupsPath and podman's --cgroup-parent take it.
  std::string path() const { return "/" + name_; }
  // Whether the cgroup NAME/CHILD exists in any hierarchy.
  bool has_child(const std::string& child) const;

 private:
  std::string name_;
};

}  // namespace berth::test
