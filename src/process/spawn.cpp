// spawn(): clone a child, let it prepare itself, exec the program.
//
// Unix starts a program in two steps. clone (fork's general form) makes a
// copy of the calling process; exec replaces the copy's program with a new
// one. Between the two the child is still running our code, with our memory,
// and can change things about itself that the new program will inherit: its
// root, its working directory, its signal mask. Containers live in that gap.
//
// The gap has a problem: if exec fails, the child cannot simply return an
// error, because the caller is in another process. It writes the error into
// a pipe whose write end is O_CLOEXEC. A successful exec closes that end, so
// the parent reads either an error report or, on success, end-of-file.
#include <errno.h>
#include <limits.h>
#include <linux/sched.h>  // struct clone_args
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string_view>

#include "common/error.h"
#include "common/fd.h"
#include "process/path_search.h"
#include "process/process.h"
#include "process/program.h"

extern char** environ;

namespace berth::process {
namespace {

// What a child that cannot exec tells its parent: the parts of a berth::Error.
// A fixed-size record of plain chars, so the child fills it in without
// allocating, and one write() of at most PIPE_BUF bytes arrives whole.
struct Failure {
  int errno_value;  // 0 when `reason` says why
  char operation[64];
  char target[1024];
  char reason[512];
};
static_assert(sizeof(Failure) <= PIPE_BUF);

template <std::size_t N>
void copy_truncated(char (&to)[N], std::string_view from) {
  const std::size_t n = std::min(from.size(), N - 1);
  // An empty string_view may hold a null pointer, which memcpy must never
  // get, even for zero bytes (UBSan caught this one).
  if (n > 0) std::memcpy(to, from.data(), n);
  to[n] = '\0';
}

// Everything the child needs, built in the parent: the child should only make
// system calls, not allocate (see process.h on threads).
struct Prepared {
  std::vector<std::string> paths;  // where to try exec, in order
  std::vector<char*> argv;
  std::vector<char*> env_storage;
  char* const* envp = nullptr;
};

std::string_view search_path(const SpawnOptions& options) {
  if (options.env) {
    for (const auto& entry : *options.env) {
      if (entry.starts_with("PATH=")) return std::string_view{entry}.substr(5);
    }
    return kDefaultPath;
  }
  const char* ours = std::getenv("PATH");
  return ours != nullptr ? ours : kDefaultPath;
}

Prepared prepare(const SpawnOptions& options) {
  Prepared prepared;
  prepared.paths = exec_candidates(options.argv[0], search_path(options));
  prepared.argv = c_array(options.argv);
  if (options.env) {
    prepared.env_storage = c_array(*options.env);
    prepared.envp = prepared.env_storage.data();
  } else {
    prepared.envp = environ;
  }
  return prepared;
}

// ---- In the child, between clone and exec ----------------------------------

[[noreturn]] void report(int error_fd, std::string_view operation, std::string_view target,
                         int errno_value, std::string_view reason = {}) {
  Failure failure{};
  failure.errno_value = errno_value;
  copy_truncated(failure.operation, operation);
  copy_truncated(failure.target, target);
  copy_truncated(failure.reason, reason);
  // If the parent is gone there is no one left to tell.
  [[maybe_unused]] const auto written = ::write(error_fd, &failure, sizeof failure);
  // _exit, not exit: atexit handlers and stdio buffers are the parent's, and
  // must not run or be flushed a second time by its copy.
  ::_exit(127);
}

// An Error's text is "OPERATION TARGET: REASON"; this is the REASON.
std::string_view reason_of(const Error& error) {
  const std::string_view text = error.what();
  const std::size_t prefix =
      error.operation().size() + (error.target().empty() ? 0 : 1 + error.target().size()) + 2;
  return text.substr(std::min(prefix, text.size()));
}

// An exception must never leave the child: it would unwind into the caller's
// code, and the caller would go on running in two processes at once.
void run_before_exec(const std::function<void()>& before_exec, int error_fd) {
  try {
    before_exec();
  } catch (const Error& error) {
    report(error_fd, error.operation(), error.target(), error.errno_value(), reason_of(error));
  } catch (const std::exception& error) {
    report(error_fd, "before_exec", "", 0, error.what());
  } catch (...) {
    report(error_fd, "before_exec", "", 0, "unknown exception");
  }
}

// Tries each candidate path in turn, like execvp. ENOENT and ENOTDIR mean
// "not here, look further"; EACCES is remembered, but a later directory may
// still hold a program we can run; any other error is final.
[[noreturn]] void exec_program(const Prepared& prepared, const std::string& program, int error_fd) {
  bool denied = false;
  int not_found = ENOENT;
  for (const auto& path : prepared.paths) {
    ::execve(path.c_str(), prepared.argv.data(), prepared.envp);
    if (errno == EACCES) {
      denied = true;
    } else if (errno == ENOENT || errno == ENOTDIR) {
      not_found = errno;
    } else {
      report(error_fd, "exec", program, errno);
    }
  }
  report(error_fd, "exec", program, denied ? EACCES : not_found);
}

// A child that does not exec lives out its life in `function`. Nothing may
// escape it, and once the error pipe is closed there is no one to tell of a
// failure but stderr.
[[noreturn]] void run_instead_of_exec(const std::function<int()>& function) {
  ::_exit(run_reporting_errors(function));
}

// #region child
[[noreturn]] void start_program(const SpawnOptions& options, const Prepared& prepared,
                                int error_fd) {
  // exec keeps the signal mask. The parent may have blocked signals to
  // forward them (BlockedSignals); the program must get them instead.
  // (A child that becomes an init keeps them blocked: it waits for them.)
  if (!options.instead_of_exec) {
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
  }

  if (options.before_exec) run_before_exec(options.before_exec, error_fd);
  // After before_exec, which may have changed our root: cwd is inside it.
  if (options.cwd && ::chdir(options.cwd->c_str()) == -1) {
    report(error_fd, "chdir", *options.cwd, errno);
  }
  if (options.instead_of_exec) {
    // What an exec would do: the closed pipe tells the parent we run.
    ::close(error_fd);
    run_instead_of_exec(options.instead_of_exec);
  }
  exec_program(prepared, options.argv[0], error_fd);
}
// #endregion child

// ---- In the parent ----------------------------------------------------------

// clone3 with no stack of its own behaves like fork: the child goes on from
// here on a copy of our stack, as a copy of us, but in the namespaces `flags`
// ask for. exit_signal = SIGCHLD makes it an ordinary child, one that
// waitpid() sees and that signals us when it ends. (A raw system call skips
// glibc's fork bookkeeping, such as atfork handlers: nothing here needs it.)
pid_t clone_child(int flags) {
  clone_args args{};
  args.flags = static_cast<std::uint64_t>(static_cast<unsigned>(flags));
  args.exit_signal = SIGCHLD;
  const long pid = ::syscall(SYS_clone3, &args, sizeof args);
  // Under a seccomp filter like Docker's (chapter 05), clone3 fails with
  // ENOSYS: its flags are in memory, where a filter cannot look, so the
  // filter cannot check them. Fall back to clone(2), as the C library does;
  // with no stack of its own, clone too behaves like fork.
  if (pid == -1 && errno == ENOSYS) {
    const unsigned long clone_flags = static_cast<unsigned>(flags) | SIGCHLD;
    return static_cast<pid_t>(
        check(::syscall(SYS_clone, clone_flags, nullptr, nullptr, nullptr, 0), "clone"));
  }
  return static_cast<pid_t>(check(pid, "clone3"));
}

// Reads the child's report: nothing (end-of-file) once exec closed the pipe.
// A child that dies before exec without a word also reads as nothing; its
// wait status tells the rest.
std::optional<Failure> read_failure(const UniqueFd& read_end) {
  Failure failure{};
  ssize_t n = 0;
  do {
    n = ::read(read_end.get(), &failure, sizeof failure);
  } while (n == -1 && errno == EINTR);
  check(n, "read", "the child's error pipe");
  if (n == 0) return std::nullopt;
  if (n != static_cast<ssize_t>(sizeof failure)) {
    throw Error("read", "the child's error pipe", "short report");
  }
  return failure;
}

Error to_error(const Failure& failure) {
  if (failure.errno_value != 0) {
    return Error(failure.operation, failure.target, failure.errno_value);
  }
  return Error(failure.operation, failure.target, std::string_view{failure.reason});
}

}  // namespace

// execve's arrays are of `char*` for historical reasons; it does not write
// through them.
std::vector<char*> c_array(const std::vector<std::string>& strings) {
  std::vector<char*> array;
  array.reserve(strings.size() + 1);
  for (const auto& s : strings) {
    array.push_back(const_cast<char*>(s.c_str()));
  }
  array.push_back(nullptr);
  return array;
}

// #region exit-codes
int exit_code_for_failure(const Error& error) {
  if (error.operation() != "exec") return kExitEngineError;
  return error.errno_value() == ENOENT ? kExitNotFound : kExitCannotInvoke;
}
// #endregion exit-codes

// #region spawn
Child spawn(const SpawnOptions& options) {
  const bool exec = !options.instead_of_exec;
  if (exec && options.argv.empty()) throw Error("spawn", "", "no program given");
  const Prepared prepared = exec ? prepare(options) : Prepared{};
  Pipe errors = make_pipe();

  const pid_t pid = clone_child(options.clone_flags);
  if (pid == 0) start_program(options, prepared, errors.write_end.get());

  // From here on the Child owns the process: if we throw, it is killed and
  // reaped. Our copy of the write end must close, or we would never read
  // end-of-file: a pipe reads as ended only when every write end is closed.
  Child child{pid};
  errors.write_end.reset();
  if (options.after_clone) options.after_clone(pid);
  if (const auto failure = read_failure(errors.read_end)) throw to_error(*failure);
  return child;
}
// #endregion spawn

}  // namespace berth::process
