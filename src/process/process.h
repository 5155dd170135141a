// process — start a program, wait for it, and speak a shell's exit codes.
//
// Chapter 01. Everything later (namespaces, rootfs, the runtime) starts its
// container process through spawn(), adding work to do in the child between
// clone and exec (SpawnOptions::before_exec) and namespaces to create
// (SpawnOptions::clone_flags).
//
// The module is for single-threaded programs (berth-chNN, berth-runtime):
// between clone and exec the child runs before_exec, ordinary C++ code, which
// is only safe when no other thread could have held a lock (of malloc, say) at
// the moment of the clone. A multithreaded program starts a single-threaded
// helper program instead (DESIGN.md, "No fork from a multithreaded process").
//
// The PID-1 init (reaping orphans, forwarding signals) is in process/init.h.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace berth {
class Error;
}

namespace berth::process {

struct SpawnOptions {
  // argv[0] is looked up in PATH when it has no slash: the PATH of `env` when
  // `env` is given, ours otherwise; Docker's default PATH when that has none.
  std::vector<std::string> argv;
  // The complete environment of the new program, "KEY=VALUE" each.
  // std::nullopt: inherit ours.
  std::optional<std::vector<std::string>> env;
  // Working directory of the new program, entered after before_exec (so it
  // is a path inside a new root); std::nullopt: ours.
  std::optional<std::string> cwd;
  // CLONE_NEW* flags for namespaces the child is created in (chapter 03).
  int clone_flags = 0;
  // Runs in the child after clone and before exec: the place for chroot,
  // pivot_root and mounts (chapter 02). It may throw berth::Error; the error
  // is carried to the parent and thrown from spawn() there.
  std::function<void()> before_exec;
  // Runs in the parent with the child's pid right after clone, before
  // spawn() waits for the child's exec: the place to do what only the
  // parent can, such as writing a user namespace's uid_map (chapter 03).
  // The child runs meanwhile; a child that must wait for this work waits
  // for it in before_exec. If it throws, the child is killed and reaped and
  // the error is thrown from spawn().
  std::function<void(pid_t)> after_clone;
  // When set, the child does not exec: after before_exec (and cwd) it
  // closes the error pipe, so spawn() returns, and ends with _exit() of the
  // function's result. argv may then be empty. This is how a container's
  // first process becomes its init (chapter 03). An exception it throws is
  // printed to stderr as "PROGRAM: <what failed>: <why>" and ends the child
  // with exit_code_for_failure(). The child keeps our signal mask, so that
  // signals we block stay pending until the function waits for them.
  std::function<int()> instead_of_exec;
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
  // Once the child is reaped, returns the same code again without waiting.
  int wait();

  // Like wait(), but never blocks: std::nullopt while the child still runs.
  std::optional<int> try_wait();

  // Sends `signal` to the child. Throws berth::Error if it fails, or if the
  // child was already reaped (its pid may belong to another process by now).
  void kill(int signal);

  // Gives the child up: it is neither waited for nor killed by us any more,
  // and lives on after we exit (adopted by the nearest subreaper, or by
  // PID 1). How `berth-runtime create` leaves a container behind. Returns
  // its pid.
  pid_t release() { return std::exchange(pid_, -1); }

 private:
  // Reaps the child (waitpid with `options`); false if it is still running.
  bool reap(int options);

  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;  // the wait status, once reaped_
};

// Starts a program. Returns once the program is running, that is after a
// successful exec (with instead_of_exec: once before_exec succeeded).
// Throws berth::Error when it cannot be started, naming the program:
// "exec nosuchcmd: no such file or directory" (errno ENOENT), or the error
// thrown by before_exec or after_clone ("chdir DIR: ..." for a bad cwd).
// Errors of exec itself have operation() "exec": a caller can tell "not found"
// (ENOENT) and "cannot invoke" (any other errno) from failures before exec.
// The program starts with no signal blocked, whatever our own mask is
// (an instead_of_exec function starts with ours).
Child spawn(const SpawnOptions& options);

// execve(2)'s argv or envp for `strings`: pointers to their characters, and
// a null pointer at the end. Valid for as long as `strings` is unchanged.
std::vector<char*> c_array(const std::vector<std::string>& strings);

// A wait status (from waitpid) as a shell reports it: exit(N) gives N; death
// by signal S gives 128+S.
int exit_code_from_status(int wait_status);

// Docker's exit codes for a command that never ran: the engine failed (125),
// the program was found but could not be run (126), it was not found (127).
inline constexpr int kExitEngineError = 125;
inline constexpr int kExitCannotInvoke = 126;
inline constexpr int kExitNotFound = 127;

// The exit code for an error thrown by spawn(): 127 when exec found no such
// program, 126 when exec failed otherwise, 125 for any other failure.
int exit_code_for_failure(const Error& error);

// Blocks SIGINT, SIGTERM, SIGHUP (the signals we forward) and SIGCHLD for as
// long as it lives, then restores the previous signal mask.
//
// A blocked signal is not lost: it waits, pending, until wait() picks it up.
// That turns asynchronous signals into an ordinary loop with no handlers (and
// none of a handler's restrictions). Create one before spawn() and a signal
// sent between spawn() and waiting is forwarded instead of killing us, which
// would leave the child behind.
class BlockedSignals {
 public:
  BlockedSignals();
  ~BlockedSignals();
  BlockedSignals(const BlockedSignals&) = delete;
  BlockedSignals& operator=(const BlockedSignals&) = delete;

  // Waits until one of the blocked signals is pending, takes it, returns it.
  int wait() const;

 private:
  sigset_t blocked_;
  sigset_t previous_;
};

// Waits for `child`, forwarding SIGINT, SIGTERM and SIGHUP to it meanwhile,
// so that Ctrl-C or a `kill` of ours reaches the program we started.
// Returns the child's exit code. Blocks the signals itself (a BlockedSignals);
// hold one from before spawn() to forward a signal that comes earlier.
int wait_forwarding_signals(Child& child);

}  // namespace berth::process
