// Running hooks: start a program with exactly the argv and environment the
// bundle gave, feed it the state, and wait for it, but not forever.
#include "runtime/hooks.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <optional>

#include "common/error.h"
#include "common/fd.h"
#include "common/log.h"
#include "process/process.h"

namespace berth::runtime {
namespace {

using Clock = std::chrono::steady_clock;

// The hook reads the state from a memory file, not a pipe: written whole
// before the hook starts, it can never block us on a hook that does not read
// its stdin, and a hook that reads it sees an ordinary end of file.
UniqueFd state_file(const std::string& state_json) {
  UniqueFd fd{static_cast<int>(
      check(::memfd_create("hook-state", MFD_CLOEXEC), "memfd_create", "hook state"))};
  write_all(fd.get(), state_json, "hook state");
  check(::lseek(fd.get(), 0, SEEK_SET), "lseek", "hook state");
  return fd;
}

// What a hook wrote: the start of it, enough for the line an error shows.
struct Output {
  std::string out;
  std::string err;
};

// Reads what the pipe holds now into `text`, keeping its first 4 KiB. False
// once the hook closed its end.
bool read_available(int fd, std::string& text) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == -1 && errno == EINTR) continue;
    if (n == -1 && errno == EAGAIN) return true;
    if (n <= 0) return false;
    const std::size_t room = sizeof buffer - std::min(text.size(), sizeof buffer);
    text.append(buffer, std::min(room, static_cast<std::size_t>(n)));
  }
}

// Waits for the hook to end, reading its stdout and stderr meanwhile: a hook
// that fills a pipe blocks until someone reads it. A pidfd tells of the end
// in the same poll(2). False if `deadline` came first.
bool wait_reading(int pidfd, const Pipe& out, const Pipe& err,
                  std::optional<Clock::time_point> deadline, Output& output) {
  pollfd fds[3] = {
      {pidfd, POLLIN, 0}, {out.read_end.get(), POLLIN, 0}, {err.read_end.get(), POLLIN, 0}};
  std::string* texts[3] = {nullptr, &output.out, &output.err};
  for (;;) {
    int timeout_ms = -1;
    if (deadline) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
      if (left.count() <= 0) return false;
      timeout_ms = static_cast<int>(std::min<long long>(left.count(), INT_MAX));
    }
    if (::poll(fds, 3, timeout_ms) == -1) {
      if (errno == EINTR) continue;
      throw Error("poll", "hook", errno);
    }
    // The hook may have ended. A child it left behind may still hold the
    // pipes: then take what is there now, without waiting for that one too.
    const bool ended = fds[0].revents != 0;
    for (int i = 1; i < 3; ++i) {
      // A negative fd is one poll(2) skips: the hook closed that pipe.
      if ((fds[i].revents != 0 || (ended && fds[i].fd >= 0)) &&
          !read_available(fds[i].fd, *texts[i])) {
        fds[i].fd = -1;
      }
    }
    if (ended) return true;
  }
}

// "exited with code 3", as a shell would report the code.
std::string describe(int exit_code) {
  if (exit_code <= 128) return fmt::format("exited with code {}", exit_code);
  const int signal = exit_code - 128;
  const char* abbrev = ::sigabbrev_np(signal);
  return fmt::format("killed by signal {} (SIG{})", signal, abbrev != nullptr ? abbrev : "?");
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

// Starts the hook with the state on its stdin, its stdout and stderr into
// the pipes.
process::Child start_hook(const std::string& what, const Hook& hook, const UniqueFd& state,
                          const Pipe& out, const Pipe& err) {
  // args[0] is the hook's argv[0], which need not be its path (a busybox
  // applet); spawn() would exec argv[0] itself, so the hook is exec'd from
  // before_exec, and spawn() reports a failed execve as for its own.
  const std::vector<std::string> args = hook.args.empty() ? std::vector{hook.path} : hook.args;
  const std::vector<char*> argv = process::c_array(args);
  const std::vector<char*> envp = process::c_array(hook.env);
  process::SpawnOptions options;
  options.argv = args;
  options.before_exec = [&] {
    ::dup2(state.get(), STDIN_FILENO);
    ::dup2(out.write_end.get(), STDOUT_FILENO);
    ::dup2(err.write_end.get(), STDERR_FILENO);
    ::execve(hook.path.c_str(), argv.data(), envp.data());
    throw Error("exec", hook.path, errno);
  };
  log::debug("{}: {}", what, hook.path);
  try {
    return process::spawn(options);
  } catch (const Error& error) {
    if (error.errno_value() != 0) throw Error(what, hook.path, error.errno_value());
    throw Error(what, hook.path, error.what());
  }
}

// #region run-hook
void run_hook(const std::string& what, const Hook& hook, const std::string& state_json) {
  Pipe out = make_pipe();
  Pipe err = make_pipe();
  process::Child child = start_hook(what, hook, state_file(state_json), out, err);
  const auto started = Clock::now();
  // Only the hook may hold the write ends now, or the pipes would never end.
  out.write_end.reset();
  err.write_end.reset();
  // (glibc 2.36's <sys/pidfd.h> lacks extern "C": the system call it is.)
  const UniqueFd pidfd{
      static_cast<int>(check(::syscall(SYS_pidfd_open, child.pid(), 0), "pidfd_open", what))};
  for (const Pipe* pipe : {&out, &err}) {
    check(::fcntl(pipe->read_end.get(), F_SETFL, O_NONBLOCK), "fcntl", "hook output");
  }

  std::optional<Clock::time_point> deadline;
  if (hook.timeout) deadline = started + std::chrono::seconds{*hook.timeout};
  Output output;
  if (!wait_reading(pidfd.get(), out, err, deadline, output)) {
    child.kill(SIGKILL);
    child.wait();
    throw Error(what, hook.path, fmt::format("killed after its timeout of {} s", *hook.timeout));
  }
  const int code = child.wait();
  if (code == 0) return;
  // Like runc, say what the hook said: on stderr, or if nothing, on stdout.
  const std::string line = first_line(output.err.empty() ? output.out : output.err);
  throw Error(what, hook.path, line.empty() ? describe(code) : describe(code) + ": " + line);
}
// #endregion run-hook

}  // namespace

void run_hooks(std::string_view point, const std::vector<Hook>& hooks,
               const std::string& state_json) {
  for (std::size_t i = 0; i < hooks.size(); ++i) {
    run_hook(fmt::format("hook {}[{}]", point, i), hooks[i], state_json);
  }
}

}  // namespace berth::runtime
