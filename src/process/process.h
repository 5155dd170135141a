// process — start a program, wait for it, and speak a shell's exit codes.
//
// Chapter 01. Everything later (namespaces, rootfs, the runtime) starts its
// container process through spawn(), adding work to do in the child between
// clone and exec (SpawnOptions::before_exec) and namespaces to create
// (SpawnOptions::clone_flags).
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace berth::process {

struct SpawnOptions {
  // argv[0] is looked up in PATH (of `env`, or ours) when it has no slash.
  std::vector<std::string> argv;
  // The complete environment of the new program, "KEY=VALUE" each.
  // std::nullopt: inherit ours.
  std::optional<std::vector<std::string>> env;
  // Working directory of the new program; std::nullopt: ours.
  std::optional<std::string> cwd;
  // CLONE_NEW* flags for namespaces the child is created in (chapter 03).
  int clone_flags = 0;
  // Runs in the child after clone and before exec: the place for chroot,
  // pivot_root and mounts (chapter 02). It may throw berth::Error; the error
  // is carried to the parent and thrown from spawn() there.
  std::function<void()> before_exec;
};

// A started child process. Not copyable; waits for nothing on destruction
// (call wait()), but a Child that was never waited for is killed and reaped
// so it cannot outlive its owner as a zombie.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  ~Child();
  Child(Child&& other) noexcept;
  Child& operator=(Child&&) = delete;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }

  // Waits for the child to end; returns its exit code as a shell reports it.
  int wait();

  // Sends `signal` to the child. Throws berth::Error if it fails.
  void kill(int signal);

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// Starts a program. Returns once the program is running, that is after a
// successful exec. Throws berth::Error when it cannot be started, naming the
// program: "exec nosuchcmd: no such file or directory" (errno ENOENT),
// or the error thrown by before_exec.
Child spawn(const SpawnOptions& options);

// A wait status (from waitpid) as a shell reports it: exit(N) gives N; death
// by signal S gives 128+S.
int exit_code_from_status(int wait_status);

// Waits for `child`, forwarding SIGINT, SIGTERM and SIGHUP to it meanwhile,
// so that Ctrl-C or a `kill` of ours reaches the program we started.
// Returns the child's exit code.
int wait_forwarding_signals(Child& child);

}  // namespace berth::process
