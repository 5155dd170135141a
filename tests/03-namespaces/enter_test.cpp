// berth-ch03 enter: a second process in a running container.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "ch03.h"

using namespace berth::test;
using namespace berth::test::ch03;

namespace {

// berth-ch03 run, in the background, its stdout and stderr going to `log`.
// Killed (its whole process group) and reaped when the test ends, whatever
// happens.
class Background {
 public:
  Background(std::vector<std::string> argv, const fs::path& log) {
    std::vector<char*> args;
    for (auto& arg : argv) {
      args.push_back(arg.data());
    }
    args.push_back(nullptr);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::setpgid(0, 0);
      const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      ::dup2(out, 1);
      ::dup2(out, 2);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::setpgid(pid_, pid_);
  }
  ~Background() {
    if (!reaped_) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  pid_t pid() const { return pid_; }

  // Sends `signal` to berth-ch03 and returns its exit code.
  int stop(int signal) {
    REQUIRE(::kill(pid_, signal) == 0);
    int status = 0;
    REQUIRE(::waitpid(pid_, &status, 0) == pid_);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

CommandResult enter(pid_t pid, const std::string& script) {
  const auto result =
      run({bin("berth-ch03"), "enter", std::to_string(pid), "--", "/bin/sh", "-c", script});
  UNSCOPED_INFO("enter: exit code " << result.exit_code << "\nstdout:\n"
                                    << result.out << "\nstderr:\n"
                                    << result.err);
  return result;
}

void check_enter(const std::string& namespaces, const std::string& how = "--pivot") {
  Sandbox box;
  const fs::path log = box.tmp / "container.log";
  Background container({bin("berth-ch03"), "run", "--rootfs", box.rootfs, "--ns", namespaces, how,
                        "--hostname", "berth-entered", "--", "sleep", "1000"},
                       log);
  INFO("the container's output:\n" << read_file(log));
  // berth-ch03's child is the container's init; once the init has started
  // `sleep`, the container is set up.
  const pid_t init = wait_for_child(container.pid(), "berth-ch03");
  wait_for_child(init, "sleep");

  const auto result = enter(init, "hostname; echo $$; ps; id -u; ls /");
  REQUIRE(result.exit_code == 0);
  const auto lines = lines_of(result.out);
  REQUIRE(lines.size() > 5);
  CHECK(lines[0] == "berth-entered");
  // In the container's PID namespace: a small pid, and ps shows its init as
  // PID 1 and its sleep.
  CHECK(std::stoi(lines[1]) < 10);
  CHECK(std::stoi(lines[3]) == 1);
  CHECK(result.out.find("sleep 1000") != std::string::npos);
  CHECK(result.out.find("0\n") != std::string::npos);      // root there
  CHECK(result.out.find("linuxrc") != std::string::npos);  // the busybox tree's /
  CHECK(hostname() != "berth-entered");
  // Looked up in the container's PATH, in the container's tree.
  const auto missing = run({bin("berth-ch03"), "enter", std::to_string(init), "--", "bash"});
  CHECK(missing.exit_code == 127);
  CHECK(missing.err == "berth-ch03: exec bash: no such file or directory\n");

  // A SIGTERM to berth-ch03 goes to the init, which passes it to sleep.
  CHECK(container.stop(SIGTERM) == 128 + SIGTERM);
}

}  // namespace

TEST_CASE("enter joins a running container: its hostname, PID namespace and root", "[ns][enter]") {
  check_enter(kDefaultNamespaces);
}

TEST_CASE("enter joins a running container in a user namespace, as its root", "[ns][enter][user]") {
  check_enter(kAllNamespaces);
}

TEST_CASE("enter takes the root of a container made with --chroot, not its mount namespace's",
          "[ns][enter][chroot]") {
  // After chroot the container's root is a directory inside its mount
  // namespace: joining the namespace alone would land in the host's tree.
  check_enter(kDefaultNamespaces, "--chroot");
}

TEST_CASE("enter refuses a process that does not exist, with exit code 125", "[ns][enter]") {
  // Pids run up to /proc/sys/kernel/pid_max, at most 4194304.
  const auto result = run({bin("berth-ch03"), "enter", "99999999", "--", "true"});
  CHECK(result.exit_code == 125);
  CHECK(result.err == "berth-ch03: open /proc/99999999/ns/user: no such file or directory\n");
}
