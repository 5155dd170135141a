#include "observe.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "process/process.h"

namespace berth::test::ch05 {

Observed observe(const std::function<void()>& setup, const std::vector<std::string>& argv,
                 int clone_flags) {
  TempDir tmp;
  const std::string output = tmp / "output";
  process::SpawnOptions options;
  options.argv = argv;
  options.clone_flags = clone_flags;
  options.before_exec = [&] {
    // Not O_CLOEXEC: this is the program's stdout and stderr.
    const int fd = static_cast<int>(
        check(::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), "open", output));
    check(::dup2(fd, STDOUT_FILENO), "dup2");
    check(::dup2(fd, STDERR_FILENO), "dup2");
    ::close(fd);
    if (setup) setup();
  };
  process::Child child = process::spawn(options);
  Observed observed;
  observed.exit_code = child.wait();
  observed.out = read_file(output);
  UNSCOPED_INFO("exit code " << observed.exit_code << "\noutput:\n" << observed.out);
  return observed;
}

Observed observe_sh(const std::function<void()>& setup, const std::string& script,
                    int clone_flags) {
  return observe(setup, {"/bin/sh", "-c", script}, clone_flags);
}

std::string probe() {
  return bin("berth-security-probe");
}

TestCgroup::TestCgroup(const fs::path& root) {
  static std::atomic<int> counter{0};
  path_ = root /
          (test_name_prefix() + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  REQUIRE(::mkdir(path_.c_str(), 0755) == 0);
}

TestCgroup::~TestCgroup() {
  // The test's children have been reaped; the cgroup is empty.
  ::rmdir(path_.c_str());
}

void TestCgroup::join() const {
  const std::string procs = path_ / "cgroup.procs";
  std::ofstream out(procs);
  out << ::getpid() << std::flush;
  if (!out) throw Error("write", procs, "cannot join the cgroup");
}

}  // namespace berth::test::ch05
