// Tests of the berth-ch01 program: exit codes, env and cwd, signals, the init.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "support/support.h"

using berth::test::CommandResult;
using berth::test::TempDir;
namespace fs = berth::test::fs;

extern char** environ;

namespace {

// Generous: a slow, loaded machine must never fail a test by taking its time.
constexpr auto kPatience = std::chrono::seconds(60);

CommandResult berth_run(const std::vector<std::string>& args,
                        const berth::test::RunOptions& options = {}) {
  std::vector<std::string> argv = {berth::test::bin("berth-ch01").string(), "run"};
  argv.insert(argv.end(), args.begin(), args.end());
  return berth::test::run(argv, options);
}

// The value of a "Name:\tvalue" line of /proc/PID/status, or "" when there is
// no such process (any more).
std::string status_field(pid_t pid, const std::string& name) {
  std::istringstream lines(berth::test::read_file("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(name + ":")) {
      const auto value = line.find_first_not_of(" \t", name.size() + 1);
      return value == std::string::npos ? "" : line.substr(value);
    }
  }
  return "";
}

// The pid of a child of `parent` whose name (comm) is `name`, or 0.
pid_t child_named(pid_t parent, const std::string& name) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (status_field(std::stoi(pid), "PPid") == std::to_string(parent) &&
        status_field(std::stoi(pid), "Name") == name) {
      return std::stoi(pid);
    }
  }
  return 0;
}

// berth-ch01 started in the background, so a test can signal it while it
// runs. It gets a process group of its own, which the destructor kills
// whole: whatever happens, the test leaves nothing running.
class Background {
 public:
  explicit Background(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {berth::test::bin("berth-ch01").string(), "run"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> c_argv;
    for (auto& arg : argv)
      c_argv.push_back(arg.data());
    c_argv.push_back(nullptr);

    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&files, 1, output_.path().c_str(), O_WRONLY | O_CREAT, 0644);
    posix_spawn_file_actions_adddup2(&files, 1, 2);
    // Default actions and an empty mask, whatever ctest gave us: a shell
    // starts background jobs with SIGINT ignored, for one.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t forwarded, none;
    sigemptyset(&forwarded);
    for (const int signal : {SIGINT, SIGTERM, SIGHUP})
      sigaddset(&forwarded, signal);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attributes, &forwarded);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setpgroup(&attributes, 0);
    posix_spawnattr_setflags(
        &attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    const int error = posix_spawn(&pid_, c_argv[0], &files, &attributes, c_argv.data(), environ);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&files);
    REQUIRE(error == 0);
  }

  ~Background() {
    if (!exit_code_) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  pid_t pid() const { return pid_; }
  std::string output() const { return berth::test::read_file(output_.path()); }

  // Waits until the command `name` runs as berth-ch01's child. From then on
  // a signal sent to berth-ch01 must reach the command: berth-ch01 blocks the
  // signals it forwards before it starts the command, so none is lost.
  // (Its SigBlk in /proc would not tell: while sigwaitinfo waits, the kernel
  // unblocks the signals waited for.) False if that never happens.
  bool wait_until_running(const std::string& name) {
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (std::chrono::steady_clock::now() < deadline && !exited()) {
      if (child_named(pid_, name) != 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // berth-ch01's exit code, once it has exited; std::nullopt if it is still
  // running after a generous wait.
  std::optional<int> wait_exit() {
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (!exited() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return exit_code_;
  }

 private:
  bool exited() {
    int status = 0;
    if (!exit_code_ && ::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return exit_code_.has_value();
  }

  struct OutputFile {
    TempDir dir;
    fs::path path() const { return dir / "output"; }
  } output_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

// Runs `sleep` under berth-ch01 (with `extra` options), sends `signal` to
// berth-ch01, and returns berth-ch01's exit code.
int exit_code_after_signal(const std::vector<std::string>& extra, int signal) {
  std::vector<std::string> args = extra;
  args.insert(args.end(), {"--", "sleep", "1000"});
  Background berth(args);
  if (!berth.wait_until_running("sleep")) {
    FAIL("berth-ch01 never ran sleep; it said: " << berth.output());
  }
  REQUIRE(::kill(berth.pid(), signal) == 0);
  const auto code = berth.wait_exit();
  if (!code) FAIL("berth-ch01 did not exit after the signal; it said: " << berth.output());
  UNSCOPED_INFO("berth-ch01 said: " << berth.output());
  return *code;
}

// A shell script, run as the command, that makes an orphan and reports who
// adopted it. The orphan is a process whose parent, a shell, exits at once;
// the kernel hands it to the nearest "subreaper" ancestor, or to PID 1.
// The script sets $adopter to the orphan's new parent, then kills the orphan.
// (The orphan, `tail --pid`, also ends by itself soon after the script ends,
// so that a failing test, its script killed halfway, leaves nothing behind.)
constexpr const char* kMakeOrphan = R"sh(
set -- $(sh -c "tail -f /dev/null --pid=$$ >/dev/null 2>&1 & echo \$! \$\$")
orphan=$1 middle=$2
ppid() { awk '/^PPid:/ { print $2 }' /proc/$orphan/status 2>/dev/null; }
# $(...) returns as the middle shell closes its output, a moment before the
# kernel finishes its exit and hands the orphan on: wait for that.
i=0
while [ "$(ppid)" = "$middle" ] && [ $i -lt 600 ]; do i=$((i + 1)); sleep 0.05; done
adopter=$(ppid)
echo "orphan $orphan adopted by $adopter"
kill -KILL $orphan
)sh";

}  // namespace

TEST_CASE("run exits with the command's exit code", "[run][exit-code]") {
  const int code = GENERATE(0, 1, 42);
  const auto result = berth_run({"--", "sh", "-c", "exit " + std::to_string(code)});
  INFO(result.err);
  CHECK(result.exit_code == code);
}

TEST_CASE("run reports death by a signal as 128 + the signal", "[run][exit-code]") {
  const auto signal = GENERATE(SIGKILL, SIGTERM);
  const auto result = berth_run({"--", "sh", "-c", "kill -" + std::to_string(signal) + " $$"});
  INFO(result.err);
  CHECK(result.exit_code == 128 + signal);  // 137, 143
}

TEST_CASE("run gives the command our environment plus --env", "[run][env]") {
  berth::test::RunOptions options;
  options.env["BERTH_CH01_INHERITED"] = "inherited";
  options.env["BERTH_CH01_REPLACED"] = "old";
  const auto result =
      berth_run({"--env", "BERTH_CH01_NEW=new value", "--env", "BERTH_CH01_REPLACED=new", "--",
                 "sh", "-c", "echo \"$BERTH_CH01_INHERITED|$BERTH_CH01_NEW|$BERTH_CH01_REPLACED\""},
                options);
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "inherited|new value|new\n");
}

TEST_CASE("run looks the command up in the PATH that --env sets", "[run][env]") {
  TempDir dir;
  {
    std::ofstream script(dir / "hello-ch01");
    script << "#!/bin/sh\necho hello from PATH\n";
  }
  fs::permissions(dir / "hello-ch01", fs::perms::owner_all);
  const auto result =
      berth_run({"--env", "PATH=" + dir.path().string() + ":/usr/bin:/bin", "--", "hello-ch01"});
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "hello from PATH\n");
}

TEST_CASE("run starts the command in --cwd", "[run][cwd]") {
  TempDir dir;
  const auto result = berth_run({"--cwd", dir.path().string(), "--", "pwd", "-P"});
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out == fs::canonical(dir.path()).string() + "\n");
}

TEST_CASE("run exits 127 for a command that does not exist, naming it", "[run][errors]") {
  const auto result = berth_run({"--", "nosuchcmd"});
  CHECK(result.exit_code == 127);
  CHECK(result.err == "berth-ch01: exec nosuchcmd: no such file or directory\n");
}

TEST_CASE("run exits 126 for a command that cannot be invoked", "[run][errors]") {
  TempDir dir;
  std::ofstream(dir / "not-executable") << "#!/bin/sh\n";
  const auto program = (dir / "not-executable").string();
  const auto result = berth_run({"--", program});
  CHECK(result.exit_code == 126);
  CHECK(result.err == "berth-ch01: exec " + program + ": permission denied\n");
}

TEST_CASE("run exits 125 when it fails itself, before exec", "[run][errors]") {
  const auto result = berth_run({"--cwd", "/nonexistent-berth-ch01", "--", "true"});
  CHECK(result.exit_code == 125);
  CHECK(result.err == "berth-ch01: chdir /nonexistent-berth-ch01: no such file or directory\n");
  CHECK(berth_run({"--env", "NO_EQUALS_SIGN", "--", "true"}).exit_code == 125);
}

TEST_CASE("run forwards SIGTERM to the command", "[run][signals]") {
  CHECK(exit_code_after_signal({}, SIGTERM) == 128 + SIGTERM);
}

TEST_CASE("run forwards SIGINT and SIGHUP to the command", "[run][signals]") {
  const int signal = GENERATE(SIGINT, SIGHUP);
  CHECK(exit_code_after_signal({}, signal) == 128 + signal);
}

TEST_CASE("run --init exits with the command's exit code", "[init][exit-code]") {
  const auto [script, code] = GENERATE(table<std::string, int>({
      {"exit 42", 42},
      {"kill -KILL $$", 128 + SIGKILL},
  }));
  const auto result = berth_run({"--init", "--", "sh", "-c", script});
  INFO(result.err);
  CHECK(result.exit_code == code);
}

TEST_CASE("run --init forwards SIGTERM to the command", "[init][signals]") {
  CHECK(exit_code_after_signal({"--init"}, SIGTERM) == 128 + SIGTERM);
}

TEST_CASE("run --init reaps an orphaned grandchild", "[init][reap]") {
  // The orphan must come to the init (berth-ch01, our parent: $PPID), and
  // once killed it must disappear: a zombie stays until its parent reaps it.
  const std::string script = std::string(kMakeOrphan) + R"sh(
[ "$adopter" = "$PPID" ] || { echo "not adopted by the init ($PPID)"; exit 2; }
i=0
while [ -e /proc/$orphan ] && [ $i -lt 600 ]; do i=$((i + 1)); sleep 0.05; done
[ -e /proc/$orphan ] && echo "zombie left: orphan $orphan, $(grep State /proc/$orphan/status)"
for status in /proc/[0-9]*/status; do
  awk -v init="$PPID" '/^State:/ { state = $2 } /^PPid:/ { parent = $2 }
    END { if (state == "Z" && parent == init) print "zombie child of the init: " FILENAME }' \
    "$status" 2>/dev/null
done
echo done
)sh";
  const auto result = berth_run({"--init", "--", "sh", "-c", script});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("zombie") == std::string::npos);
  CHECK(result.out.ends_with("done\n"));
}

TEST_CASE("without --init, berth-ch01 does not adopt orphans", "[init][reap]") {
  // Make this test process the subreaper, so the orphan comes to us: without
  // one, it would go to PID 1. We reap it ourselves at the end.
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0);
  const std::string script = std::string(kMakeOrphan) + R"sh(
# Wait until it is dead (a zombie, now ours) before we go.
state() { awk '/^State:/ { print $2 }' /proc/$orphan/status 2>/dev/null; }
i=0
while [ "$(state)" = S ] && [ $i -lt 600 ]; do i=$((i + 1)); sleep 0.05; done
)sh";
  const auto result = berth_run({"--", "sh", "-c", script});
  ::prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("adopted by " + std::to_string(::getpid()) + "\n") != std::string::npos);
}
