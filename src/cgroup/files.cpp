#include "cgroup/files.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <sstream>
#include <thread>

#include "common/error.h"
#include "common/fd.h"

namespace berth::cgroup {
namespace {

using namespace std::chrono_literals;

// How long the kernel may take to let the last processes of a cgroup go:
// SIGKILL is delivered when a task next runs, which on a loaded machine can
// take a while. Generous, since a cgroup left behind is worse than a wait.
constexpr auto kEmptyTimeout = 10s;
constexpr auto kPollInterval = 10ms;

std::optional<std::uint64_t> parse_number(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

void write_file(const fs::path& path, std::string_view value) {
  const std::string operation = "write " + std::string(value) + " to";
  const UniqueFd fd{static_cast<int>(
      check(::open(path.c_str(), O_WRONLY | O_CLOEXEC), operation, path.string()))};
  // One write(): the kernel takes a cgroup file's value from a single call.
  const ssize_t written = ::write(fd.get(), value.data(), value.size());
  check(written, operation, path.string());
  if (static_cast<std::size_t>(written) != value.size()) {
    throw Error(operation, path.string(), "short write");
  }
}

std::string read_file(const fs::path& path) {
  const UniqueFd fd{
      static_cast<int>(check(::open(path.c_str(), O_RDONLY | O_CLOEXEC), "read", path.string()))};
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    check(n, "read", path.string());
    if (n == 0) {
      return text;
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
}

std::uint64_t read_number(const fs::path& path) {
  const std::string text = read_file(path);
  if (auto value = parse_number(text)) {
    return *value;
  }
  throw Error("read", path.string(), "not a number: \"" + text + "\"");
}

std::optional<std::uint64_t> read_key(const fs::path& path, std::string_view key) {
  std::istringstream lines(read_file(path));
  for (std::string line; std::getline(lines, line);) {
    const auto space = line.find(' ');
    if (space != std::string::npos && std::string_view(line).substr(0, space) == key) {
      if (auto value = parse_number(std::string_view(line).substr(space + 1))) {
        return value;
      }
      throw Error("read", path.string(), "not a number in \"" + line + "\"");
    }
  }
  return std::nullopt;
}

std::vector<pid_t> read_pids(const fs::path& procs) {
  std::vector<pid_t> pids;
  std::istringstream lines(read_file(procs));
  for (std::string line; std::getline(lines, line);) {
    if (auto pid = parse_number(line)) {
      pids.push_back(static_cast<pid_t>(*pid));
    }
  }
  return pids;
}

bool make_directory(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0755) == 0) {
    return true;
  }
  if (errno == EEXIST) {
    return false;
  }
  throw Error("mkdir", dir.string(), errno);
}

std::vector<fs::path> make_parent_directories(const fs::path& dir) {
  std::vector<fs::path> missing;
  for (fs::path parent = dir.parent_path(); !fs::exists(parent); parent = parent.parent_path()) {
    missing.insert(missing.begin(), parent);
  }
  std::vector<fs::path> made;
  for (const auto& parent : missing) {
    if (make_directory(parent)) made.push_back(parent);
  }
  return made;
}

void remove_unused_directories(const std::vector<fs::path>& dirs) {
  // Innermost first: a parent is busy while its child is still there.
  const std::vector<fs::path> innermost_first(dirs.rbegin(), dirs.rend());
  for (const auto& dir : innermost_first) {
    if (::rmdir(dir.c_str()) != 0 && errno != EBUSY && errno != ENOENT) {
      throw Error("rmdir", dir.string(), errno);
    }
  }
}

void remove_directory(const fs::path& dir) {
  const auto deadline = std::chrono::steady_clock::now() + kEmptyTimeout;
  // A cgroup is busy while it has processes, including ones that were killed
  // but have not finished exiting yet: rmdir succeeds once they are gone.
  while (::rmdir(dir.c_str()) != 0) {
    if (errno == ENOENT) {
      return;
    }
    if (errno != EBUSY || std::chrono::steady_clock::now() > deadline) {
      throw Error("rmdir", dir.string(), errno);
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

void kill_until_empty(const std::vector<fs::path>& procs_files) {
  const auto deadline = std::chrono::steady_clock::now() + kEmptyTimeout;
  for (;;) {
    bool empty = true;
    for (const auto& procs : procs_files) {
      for (const pid_t pid : read_pids(procs)) {
        empty = false;
        // ESRCH: it exited between the read and the kill. Fine.
        if (::kill(pid, SIGKILL) != 0 && errno != ESRCH) {
          throw Error("kill " + std::to_string(pid) + " of", procs.string(), errno);
        }
      }
    }
    if (empty) {
      return;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw Error("empty", procs_files.front().string(), "processes still running after SIGKILL");
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace berth::cgroup
