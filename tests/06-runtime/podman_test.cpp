// podman drives berth-runtime as its OCI runtime, as it would runc:
// `podman --runtime PATH run --rm IMAGE echo hi`. podman 4.3 and its monitor,
// conmon, ask a runtime for `create --bundle B --pid-file P [--console-socket
// S] ID`, `start ID`, `kill ID 15` (then `kill ID 9`) and `delete --force ID`,
// and judge the container by what those do.
//
// podman is made to keep everything in the test's temporary directory: its
// storage (vfs, which mounts nothing), its run and tmp directories, its
// configuration (the CONTAINERS_* files this test writes, also handed to the
// `podman container cleanup` that conmon starts when a container exits),
// events and locks (files, not journald or /dev/shm), conmon's console
// sockets, and the runtime's own state root. Its cgroups go under a parent
// named like the temporary directory, removed at the end. It never touches a
// registry (`--pull never`, no registries configured) or a network (`--network
// none`); the image is the busybox fixture, imported from a tarball.
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

#include "bundle.h"
#include "support/support.h"

using namespace berth::test;
using namespace std::chrono_literals;
using berth::test::CgroupParent;

namespace {

const std::string kImage = "localhost/berth-busybox:test";

// The runtime podman is given: berth-runtime. BERTH_PODMAN_RUNTIME=/usr/sbin/runc
// runs the same test against runc, to compare by hand.
fs::path runtime_under_test() {
  const char* other = std::getenv("BERTH_PODMAN_RUNTIME");
  return other != nullptr ? fs::path(other) : bin("berth-runtime");
}

bool podman_installed() {
  if (run({"sh", "-c", "command -v podman"}).exit_code == 0) return true;
  WARN("podman is not installed (scripts/install-deps.sh installs it): nothing to test");
  return false;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  REQUIRE(out.good());
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

std::string joined(const std::vector<std::string>& words) {
  std::string line;
  for (const auto& word : words) {
    line.append(line.empty() ? "" : " ").append(word);
  }
  return line;
}

bool is_pid(const std::string& text) {
  return !text.empty() && text != "0" && text.find_first_not_of("0123456789") == std::string::npos;
}

// Waits, polling, until `condition` holds or a generous deadline passes.
template <typename Condition>
bool eventually(Condition condition, std::chrono::seconds patience = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(100ms);
  }
  return true;
}

// /var/lib, as this test's processes see it, replaced by a directory of the
// test's own. podman 4.3's `import` keeps a cache of blob digests in
// /var/lib/containers/cache whatever --root says; the test process has a
// private mount namespace, so the bind mount hides /var/lib from podman only.
class PrivateVarLib {
 public:
  explicit PrivateVarLib(const fs::path& replacement) {
    fs::create_directories(replacement);
    REQUIRE(::mount(replacement.c_str(), "/var/lib", nullptr, MS_BIND, nullptr) == 0);
  }
  ~PrivateVarLib() { ::umount2("/var/lib", MNT_DETACH); }
  PrivateVarLib(const PrivateVarLib&) = delete;
  PrivateVarLib& operator=(const PrivateVarLib&) = delete;
};

// A podman whose whole world is one temporary directory, with the busybox
// image imported. The destructor removes every container, image, process,
// mount and cgroup podman made.
class Podman {
 public:
  Podman();
  ~Podman();
  Podman(const Podman&) = delete;
  Podman& operator=(const Podman&) = delete;

  // `podman GLOBAL-FLAGS ARGS...`. The command, its result and the runtime
  // calls made since the previous command are recorded with the test, so a
  // failing check shows them.
  CommandResult operator()(const std::vector<std::string>& args);

  // `podman run --pull never --network none --cgroup-parent P FLAGS... IMAGE COMMAND...`
  CommandResult run(const std::vector<std::string>& flags, const std::vector<std::string>& command);

  // The ids of all containers podman knows, running or not.
  std::vector<std::string> containers();

 private:
  void write_configuration();
  std::vector<std::string> global_flags() const;
  std::map<std::string, std::string> environment() const;
  void remove_everything();
  void end_leftover_processes() const;
  void unmount_leftovers() const;

  TempDir dir_;
  PrivateVarLib var_lib_{dir_ / "var-lib"};
  // Removed with what podman made in it once the rest is gone.
  CgroupParent cgroups_{"podman"};
  fs::path runtime_ = dir_ / "bin" / runtime_under_test().filename();
  fs::path runtime_calls_ = dir_ / "runtime-calls.log";
  std::size_t runtime_calls_shown_ = 0;
};

Podman::Podman() {
  for (const char* sub : {"bin", "conf", "storage", "run", "tmp", "home", "xdg-run", "hooks.d",
                          "networks", "runtime-state"}) {
    fs::create_directories(dir_ / sub);
  }
  write_configuration();
  const fs::path tarball = dir_ / "busybox.tar";
  REQUIRE(berth::test::run({"tar", "-C", busybox_rootfs(), "-cf", tarball, "."}).exit_code == 0);
  const CommandResult imported = (*this)({"import", tarball, kImage});
  REQUIRE(imported.exit_code == 0);
}

// podman's configuration. The limits: podman's defaults (nofile 1048576) are
// above this machine's hard limits, which a runtime without CAP_SYS_RESOURCE
// cannot raise. The CNI network backend: netavark keeps its state in
// /run/containers/networks for root, whatever the configuration says. The
// environment: conmon passes on only conmon_env_vars, to the `podman
// container cleanup` it runs when a container exits (which must read this
// same configuration) and to its console sockets ($TMPDIR/conmon-term.*).
// File locks and events: not /dev/shm/libpod_lock, not journald.
constexpr const char* kContainersConf = R"([containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "none"
[network]
network_backend = "cni"
network_config_dir = "@DIR@/networks"
[engine]
cgroup_manager = "cgroupfs"
conmon_env_vars = [@ENV@]
events_logger = "file"
events_logfile_path = "@DIR@/events.log"
hooks_dir = ["@DIR@/hooks.d"]
image_copy_tmp_dir = "@DIR@/tmp"
lock_type = "file"
tmp_dir = "@DIR@/tmp"
)";

constexpr const char* kStorageConf = R"([storage]
driver = "vfs"
graphroot = "@DIR@/storage"
runroot = "@DIR@/run"
)";

// The runtime, seen through a script that logs each call and gives the
// runtime a state root in the test's directory. (`--runtime-flag root=...`
// would not do: podman 4.3 leaves it out of the `container cleanup` that
// deletes an exited container.)
constexpr const char* kRuntimeScript = R"(#!/bin/sh
echo "$*" >> '@DIR@/runtime-calls.log'
'@RUNTIME@' --root '@DIR@/runtime-state' "$@"
status=$?
echo "  exit $status: $1 ..." >> '@DIR@/runtime-calls.log'
exit $status
)";

std::string filled(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [name, value] : values) {
    for (auto at = text.find(name); at != std::string::npos; at = text.find(name, at)) {
      text.replace(at, name.size(), value);
      at += value.size();
    }
  }
  return text;
}

void Podman::write_configuration() {
  std::string conmon_env = "\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"";
  for (const auto& [key, value] : environment()) {
    conmon_env.append(", \"").append(key).append("=").append(value).append("\"");
  }
  const std::map<std::string, std::string> values = {{"@DIR@", dir_.path().string()},
                                                     {"@ENV@", conmon_env},
                                                     {"@RUNTIME@", runtime_under_test().string()}};
  write_text(dir_ / "conf" / "containers.conf", filled(kContainersConf, values));
  write_text(dir_ / "conf" / "storage.conf", filled(kStorageConf, values));
  write_text(dir_ / "conf" / "registries.conf", "unqualified-search-registries = []\n");
  write_text(runtime_, filled(kRuntimeScript, values));
  fs::permissions(runtime_, fs::perms::owner_all);
}

std::vector<std::string> Podman::global_flags() const {
  const std::string d = dir_.path().string();
  const std::vector<std::pair<std::string, std::string>> flags = {
      {"--root", d + "/storage"},  // images, containers, podman's database
      {"--runroot", d + "/run"},   // the containers' run-time files
      {"--tmpdir", d + "/tmp"},    // podman's own: exit codes, locks
      {"--storage-driver", "vfs"},
      {"--cgroup-manager", "cgroupfs"},  // not systemd: no scopes or slices on the host
      {"--events-backend", "file"},
      {"--runtime", runtime_.string()},
  };
  std::vector<std::string> argv = {"podman"};
  for (const auto& [flag, value] : flags) {
    argv.push_back(flag);
    argv.push_back(value);
  }
  return argv;
}

std::map<std::string, std::string> Podman::environment() const {
  const std::string d = dir_.path().string();
  return {{"CONTAINERS_CONF", d + "/conf/containers.conf"},
          {"CONTAINERS_STORAGE_CONF", d + "/conf/storage.conf"},
          {"CONTAINERS_REGISTRIES_CONF", d + "/conf/registries.conf"},
          {"HOME", d + "/home"},
          {"XDG_CONFIG_HOME", d + "/home/.config"},
          {"XDG_DATA_HOME", d + "/home/.local/share"},
          {"XDG_RUNTIME_DIR", d + "/xdg-run"},
          {"TMPDIR", d + "/tmp"}};
}

CommandResult Podman::operator()(const std::vector<std::string>& args) {
  std::vector<std::string> argv = global_flags();
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions options;
  options.env = environment();
  options.timeout = 30s;  // a second or two normally; a hung runtime must leave time for teardown
  CommandResult result = berth::test::run(argv, options);
  const std::string calls = read_file(runtime_calls_);
  UNSCOPED_INFO("$ podman " << joined(args) << "\nexit code " << result.exit_code << "\nstdout:\n"
                            << result.out << "\nstderr:\n"
                            << result.err << "\nruntime calls:\n"
                            << calls.substr(runtime_calls_shown_));
  runtime_calls_shown_ = calls.size();
  return result;
}

CommandResult Podman::run(const std::vector<std::string>& flags,
                          const std::vector<std::string>& command) {
  std::vector<std::string> args = {"run",  "--pull",          "never",        "--network",
                                   "none", "--cgroup-parent", cgroups_.path()};
  args.insert(args.end(), flags.begin(), flags.end());
  args.push_back(kImage);
  args.insert(args.end(), command.begin(), command.end());
  return (*this)(args);
}

std::vector<std::string> Podman::containers() {
  std::vector<std::string> ids;
  std::istringstream lines((*this)({"ps", "--all", "--quiet", "--no-trunc"}).out);
  for (std::string id; std::getline(lines, id);) {
    ids.push_back(id);
  }
  return ids;
}

Podman::~Podman() {
  try {
    remove_everything();
  } catch (const std::exception& error) {
    // A destructor must not throw; the leak check at the end of the run
    // reports whatever is really left behind.
    WARN("podman teardown: " << error.what());
  }
}

// Within ctest's 120 seconds for a test even after a command timed out.
void Podman::remove_everything() {
  RunOptions options;
  options.env = environment();
  options.timeout = 20s;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"rm", "--all", "--force", "--time", "0"},
        std::vector<std::string>{"rmi", "--all", "--force"}}) {
    std::vector<std::string> argv = global_flags();
    argv.insert(argv.end(), args.begin(), args.end());
    berth::test::run(argv, options);
  }
  end_leftover_processes();
  unmount_leftovers();
}

// Processes of this podman: its name for the temporary directory is in their
// command line (podman, conmon, the runtime) or they live in it (a
// container, whose root is in the storage). After `podman rm --force` only
// conmon's `container cleanup` should still be finishing; anything else is
// killed.
void Podman::end_leftover_processes() const {
  const std::string ours = dir_.path().string();
  const auto leftovers = [&ours] {
    std::vector<pid_t> found;
    for (const auto& entry : fs::directory_iterator("/proc")) {
      const std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      const auto pid = static_cast<pid_t>(std::stol(name));
      std::error_code ignored;
      const std::string root = fs::read_symlink(entry.path() / "root", ignored).string();
      if (pid != ::getpid() &&
          (read_file(entry.path() / "cmdline").find(ours) != std::string::npos ||
           root.starts_with(ours + "/"))) {
        found.push_back(pid);
      }
    }
    return found;
  };
  if (eventually([&] { return leftovers().empty(); }, 10s)) return;
  for (const pid_t pid : leftovers()) {
    ::kill(pid, SIGKILL);
  }
  eventually([&] { return leftovers().empty(); }, 10s);
}

void Podman::unmount_leftovers() const {
  // Innermost first.
  auto mounts = mounts_under(dir_.path());
  std::reverse(mounts.begin(), mounts.end());
  for (const auto& line : mounts) {
    std::istringstream fields(line);
    std::string id, parent, device, root, mount_point;
    fields >> id >> parent >> device >> root >> mount_point;
    ::umount2(mount_point.c_str(), MNT_DETACH);
  }
}

}  // namespace

TEST_CASE("podman: run --rm prints what the container says and exits 0", "[podman]") {
  if (!podman_installed()) return;
  Podman podman;
  const CommandResult result = podman.run({"--rm"}, {"echo", "hi"});
  CHECK(result.out == "hi\n");
  CHECK(result.exit_code == 0);
  CHECK(podman.containers().empty());
}

TEST_CASE("podman: run --rm exits with the container's exit code", "[podman]") {
  if (!podman_installed()) return;
  Podman podman;
  CHECK(podman.run({"--rm"}, {"sh", "-c", "exit 3"}).exit_code == 3);
  CHECK(podman.containers().empty());
}

TEST_CASE("podman: run -t gives the container a terminal", "[podman]") {
  if (!podman_installed()) return;
  Podman podman;
  // No terminal on podman's side (stdin is a pipe): the runtime makes the
  // container's pseudo-terminal and hands it to conmon over --console-socket.
  const CommandResult result = podman.run({"--rm", "-t"}, {"tty"});
  CHECK(result.out == "/dev/pts/0\r\n");
  CHECK(result.exit_code == 0);
}

TEST_CASE("podman: a detached container logs, stops and is removed", "[podman]") {
  if (!podman_installed()) return;
  Podman podman;
  const CommandResult started = podman.run({"-d"}, {"sh", "-c", "echo started; sleep 100"});
  REQUIRE(started.exit_code == 0);
  const std::string id = trimmed(started.out);

  CHECK(eventually([&] { return podman({"logs", id}).out == "started\n"; }));
  const std::string pid = trimmed(podman({"inspect", "--format", "{{.State.Pid}}", id}).out);
  REQUIRE(is_pid(pid));
  CHECK(fs::exists("/proc/" + pid));

  // The container's PID 1 has no handler for SIGTERM, so the kernel ignores
  // it and podman sends SIGKILL after 2 seconds (137); an init that passes
  // SIGTERM on to its child ends with 143.
  CHECK(podman({"stop", "--time", "2", id}).exit_code == 0);
  const std::string state =
      trimmed(podman({"inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", id}).out);
  CHECK((state == "exited 137" || state == "exited 143"));
  CHECK_FALSE(fs::exists("/proc/" + pid));

  CHECK(podman({"rm", id}).exit_code == 0);
  CHECK(podman.containers().empty());
}
