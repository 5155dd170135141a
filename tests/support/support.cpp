#include "support/support.h"

#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <catch2/catch.hpp>

extern char** environ;

namespace berth::test {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

int remove_entry(const char* path, const struct stat*, int, struct FTW*) {
  // FTW_DEPTH visits children first; FTW_MOUNT keeps us on one filesystem, so
  // a mount left behind by a failing test is reported, never emptied.
  ::remove(path);
  return 0;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (auto& s : strings)
    pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

std::string test_name_prefix() {
  const char* tag = std::getenv("BERTH_TEST_TAG");
  return std::string("berth-test-") + (tag != nullptr ? tag : "untagged");
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base ? base : "/tmp") + "/" + test_name_prefix() + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) fail("mkdtemp " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  ::nftw(path_.c_str(), remove_entry, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

CommandResult run(const std::vector<std::string>& argv, const RunOptions& options) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) {
    fail("pipe2");
  }

  std::vector<std::string> args = argv;
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string entry = *e;
    if (!options.env.contains(entry.substr(0, entry.find('=')))) env.push_back(entry);
  }
  for (const auto& [key, value] : options.env)
    env.push_back(key + "=" + value);
  auto c_args = c_strings(args);
  auto c_env = c_strings(env);

  const pid_t pid = ::fork();
  if (pid < 0) fail("fork");
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::setpgid(0, 0);  // its own process group, so a timeout kills it all
    ::execvpe(c_args[0], c_args.data(), c_env.data());
    const std::string message = "run: exec " + argv[0] + ": " + std::strerror(errno) + "\n";
    [[maybe_unused]] auto n = ::write(2, message.data(), message.size());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (!options.input.empty()) {
    [[maybe_unused]] auto n = ::write(in[1], options.input.data(), options.input.size());
  }
  ::close(in[1]);

  CommandResult result;
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  bool timed_out = false;
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      ::kill(-pid, SIGKILL);
      break;
    }
    if (::poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) fail("poll");
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP))) {
        char buffer[4096];
        const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
        if (n > 0) {
          sinks[i]->append(buffer, static_cast<size_t>(n));
        } else {
          ::close(fds[i].fd);
          fds[i].fd = -1;
          --open_fds;
        }
      }
    }
  }
  for (auto& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) fail("waitpid");
  }
  if (timed_out) {
    result.err += "\n[test support: command timed out and was killed]\n";
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

// Test executables are built into the same bin/ directory as the programs
// they test, next to the build's fixtures/ directory. Finding both from our
// own executable keeps build paths out of the compiled code.
static fs::path bin_dir() {
  return fs::read_symlink("/proc/self/exe").parent_path();
}

fs::path bin(const std::string& program) {
  return bin_dir() / program;
}

fs::path busybox_rootfs() {
  const fs::path rootfs = bin_dir().parent_path() / "fixtures" / "busybox-rootfs";
  if (!fs::exists(rootfs / "bin" / "busybox")) {
    throw std::runtime_error("the busybox rootfs fixture is missing at " + rootfs.string() +
                             "; run the tests through ctest, which builds it first");
  }
  return rootfs;
}

CommandResult run_container(const std::string& program, const fs::path& rootfs,
                            const std::vector<std::string>& flags,
                            const std::vector<std::string>& command) {
  std::vector<std::string> argv = {bin(program), "run", "--rootfs", rootfs};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.emplace_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  CommandResult result = run(argv);
  UNSCOPED_INFO("exit code " << result.exit_code << "\nstdout:\n"
                             << result.out << "\nstderr:\n"
                             << result.err);
  return result;
}

fs::path copy_busybox_rootfs(const fs::path& destination) {
  fs::copy(busybox_rootfs(), destination,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  // std::filesystem does not copy the sticky bit's meaning; restore /tmp's mode.
  fs::permissions(destination / "tmp", static_cast<fs::perms>(01777));
  return destination;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

std::vector<std::string> mounts_under(const fs::path& dir) {
  std::vector<std::string> found;
  std::istringstream lines(read_file("/proc/self/mountinfo"));
  const std::string prefix = dir.string();
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string id, parent, device, root, mount_point;
    fields >> id >> parent >> device >> root >> mount_point;
    if (mount_point == prefix || mount_point.starts_with(prefix + "/")) {
      found.push_back(line);
    }
  }
  return found;
}

namespace {

std::string random_suffix() {
  std::random_device device;
  return std::to_string(std::uniform_int_distribution<unsigned>(100000, 999999)(device));
}

// Kills what is left in the cgroup `dir` (a container a failed test left
// behind), then removes it; a cgroup whose last process has just ended may
// stay busy (EBUSY) for a moment.
void remove_cgroup(const fs::path& dir) {
  for (int attempt = 0; attempt < 250; ++attempt) {
    std::ifstream procs(dir / "cgroup.procs");
    for (pid_t pid = 0; procs >> pid;)
      ::kill(pid, SIGKILL);
    if (::rmdir(dir.c_str()) == 0 || errno != EBUSY) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

CgroupParent::CgroupParent(const std::string& kind)
    : name_(test_name_prefix() + "-" + kind + "-" + random_suffix()) {
}

CgroupParent::~CgroupParent() {
  std::vector<fs::path> hierarchies = {"/sys/fs/cgroup"};
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/sys/fs/cgroup", error)) {
    if (entry.is_directory(error) && !entry.is_symlink(error)) hierarchies.push_back(entry.path());
  }
  for (const auto& hierarchy : hierarchies) {
    const fs::path parent = hierarchy / name_;
    if (!fs::is_directory(parent, error)) continue;
    // Deepest first: a cgroup with children cannot be removed.
    std::vector<fs::path> cgroups = {parent};
    for (const auto& entry : fs::recursive_directory_iterator(parent, error)) {
      if (entry.is_directory(error)) cgroups.push_back(entry.path());
    }
    std::ranges::sort(cgroups, [](const fs::path& a, const fs::path& b) {
      return a.string().size() > b.string().size();
    });
    for (const auto& cgroup : cgroups)
      remove_cgroup(cgroup);
  }
}

bool CgroupParent::has_child(const std::string& child) const {
  for (const auto& hierarchy : fs::directory_iterator("/sys/fs/cgroup")) {
    if (fs::exists(hierarchy.path() / name_ / child)) return true;
  }
  return false;
}

}  // namespace berth::test
