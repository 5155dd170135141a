// Tests of the process library itself: spawn, Child, signals, the init.
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "process/init.h"
#include "process/process.h"
#include "support/support.h"

namespace process = berth::process;
using berth::test::read_file;
using berth::test::TempDir;

namespace {

process::SpawnOptions shell(const std::string& script) {
  process::SpawnOptions options;
  options.argv = {"sh", "-c", script};
  return options;
}

}  // namespace

TEST_CASE("spawn runs a program and wait() returns its exit code", "[spawn]") {
  process::Child child = process::spawn(shell("exit 7"));
  CHECK(child.pid() > 0);
  CHECK(child.wait() == 7);
  CHECK(child.wait() == 7);  // asked again: the same answer, no second wait
}

TEST_CASE("spawn passes argv, env and cwd to the program", "[spawn]") {
  TempDir dir;
  process::SpawnOptions options =
      shell("printf '%s|%s|%s' \"$1\" \"$GREETING\" \"$(pwd -P)\" > out");
  options.argv.push_back("sh");     // $0
  options.argv.push_back("first");  // $1
  options.env = std::vector<std::string>{"GREETING=hello", "PATH=/usr/bin:/bin"};
  options.cwd = dir.path().string();
  REQUIRE(process::spawn(options).wait() == 0);
  CHECK(read_file(dir / "out") == "first|hello|" + berth::test::fs::canonical(dir.path()).string());
}

TEST_CASE("spawn throws an error naming the program when exec fails", "[spawn]") {
  process::SpawnOptions options;
  options.argv = {"berth-nosuchcmd"};
  try {
    process::spawn(options);
    FAIL("spawn did not throw");
  } catch (const berth::Error& error) {
    CHECK(std::string{error.what()} == "exec berth-nosuchcmd: no such file or directory");
    CHECK(error.operation() == "exec");
    CHECK(error.target() == "berth-nosuchcmd");
    CHECK(error.errno_value() == ENOENT);
  }
}

TEST_CASE("spawn carries an error thrown by before_exec to the parent", "[spawn]") {
  process::SpawnOptions options = shell("exit 0");
  SECTION("an error with an errno") {
    options.before_exec = [] { throw berth::Error("mount", "proc on /somewhere", EPERM); };
    try {
      process::spawn(options);
      FAIL("spawn did not throw");
    } catch (const berth::Error& error) {
      CHECK(std::string{error.what()} == "mount proc on /somewhere: operation not permitted");
      CHECK(error.operation() == "mount");
      CHECK(error.target() == "proc on /somewhere");
      CHECK(error.errno_value() == EPERM);
    }
  }
  SECTION("an error with a reason in words") {
    options.before_exec = [] { throw berth::Error("check", "rootfs", "is empty"); };
    try {
      process::spawn(options);
      FAIL("spawn did not throw");
    } catch (const berth::Error& error) {
      CHECK(std::string{error.what()} == "check rootfs: is empty");
      CHECK(error.errno_value() == 0);
    }
  }
  SECTION("any other exception") {
    options.before_exec = [] { throw std::runtime_error("something broke"); };
    CHECK_THROWS_WITH(process::spawn(options), Catch::Contains("something broke"));
  }
}

TEST_CASE("spawn creates the child in the namespaces of clone_flags", "[spawn]") {
  TempDir dir;
  process::SpawnOptions options = shell("uname -n > out");
  options.cwd = dir.path().string();
  options.clone_flags = CLONE_NEWUTS;
  options.before_exec = [] {
    const std::string name = "berth-ch01-uts";
    berth::check(::sethostname(name.data(), name.size()), "sethostname", name);
  };
  REQUIRE(process::spawn(options).wait() == 0);
  CHECK(read_file(dir / "out") == "berth-ch01-uts\n");
  char ours[256] = {};
  ::gethostname(ours, sizeof ours - 1);
  CHECK(std::string{ours} != "berth-ch01-uts");
}

TEST_CASE("the program starts with no signal blocked", "[spawn][signals]") {
  TempDir dir;
  const process::BlockedSignals blocked;  // SIGINT, SIGTERM, SIGHUP, SIGCHLD, here
  process::SpawnOptions options = shell("exec grep SigBlk /proc/self/status > out");
  options.cwd = dir.path().string();
  REQUIRE(process::spawn(options).wait() == 0);
  CHECK(read_file(dir / "out") == "SigBlk:\t0000000000000000\n");
}

TEST_CASE("Child::kill signals the child, and wait() reports 128 + the signal", "[child]") {
  process::Child child = process::spawn(shell("exec sleep 1000"));
  CHECK_FALSE(child.try_wait().has_value());  // still running, and we did not block
  child.kill(SIGTERM);
  CHECK(child.wait() == 128 + SIGTERM);
  CHECK_THROWS_AS(child.kill(SIGTERM), berth::Error);  // reaped: no longer ours to signal
}

TEST_CASE("a Child that is never waited for is killed and reaped", "[child]") {
  pid_t pid = 0;
  {
    process::Child child = process::spawn(shell("exec sleep 1000"));
    pid = child.pid();
  }
  // Reaped, not just killed: a zombie would still answer kill(pid, 0).
  CHECK(::kill(pid, 0) == -1);
  CHECK(errno == ESRCH);
}

TEST_CASE("wait_forwarding_signals passes a signal it receives to the child", "[signals]") {
  const process::BlockedSignals blocked;  // so that the SIGTERM below waits for us
  process::Child child = process::spawn(shell("exec sleep 1000"));
  ::kill(::getpid(), SIGTERM);
  CHECK(process::wait_forwarding_signals(child) == 128 + SIGTERM);
  // Should the signal not have been taken, take it now: unblocking it at the
  // end of the test would kill the test instead of failing it.
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  const timespec no_wait{};
  ::sigtimedwait(&term, nullptr, &no_wait);
}

TEST_CASE("run_init returns the command's exit code", "[init]") {
  CHECK(process::run_init(shell("exit 9")) == 9);
  CHECK(process::run_init(shell("kill -KILL $$")) == 128 + SIGKILL);
}
