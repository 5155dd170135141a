// Hooks run with exactly the bundle's argv and environment, read the state
// on stdin, and fail the step, with a message naming them, when they fail.
#include "runtime/hooks.h"

#include <signal.h>

#include <string>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "support/support.h"

using namespace berth::test;
namespace runtime = berth::runtime;

namespace {

const std::string kState = R"({"ociVersion":"1.0.2","id":"c1","status":"creating","pid":42})";

// A hook running `script` with /bin/sh, named "my-hook" in argv[0].
runtime::Hook sh_hook(const std::string& script) {
  return runtime::Hook{"/bin/sh", {"my-hook", "-c", script}, {}, 60};
}

// The message run_hooks throws, or "" when every hook succeeded.
std::string error_running(std::string_view point, const std::vector<runtime::Hook>& hooks,
                          const std::string& state = kState) {
  try {
    runtime::run_hooks(point, hooks, state);
  } catch (const berth::Error& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("hooks: a hook reads the state on stdin, with only its own env", "[hooks]") {
  const TempDir dir;
  runtime::Hook hook = sh_hook("cd " + dir.path().string() +
                               " && cat > state && export -p > env && echo \"$0 $1\" > args");
  hook.args.emplace_back("first");  // $0 of `sh -c`
  hook.args.emplace_back("second");
  hook.env = {"HOOK_VAR=from the bundle"};
  REQUIRE_NOTHROW(runtime::run_hooks("createRuntime", {hook}, kState));
  CHECK(read_file(dir / "state") == kState);
  CHECK(read_file(dir / "args") == "first second\n");
  const std::string env = read_file(dir / "env");
  CHECK(env.find("export HOOK_VAR='from the bundle'") != std::string::npos);
  // Nothing of ours: the test process has a PATH and ctest's variables.
  CHECK(env.find("BERTH_TEST_TAG") == std::string::npos);
  CHECK(env.find("export PATH") == std::string::npos);
}

TEST_CASE("hooks: args[0] is argv[0], path is what runs", "[hooks]") {
  // busybox is one program with many names: it runs the applet argv[0] names.
  const TempDir dir;
  const runtime::Hook hook{"/bin/busybox", {"touch", (dir / "touched").string()}, {}, 60};
  REQUIRE_NOTHROW(runtime::run_hooks("prestart", {hook}, kState));
  CHECK(fs::exists(dir / "touched"));
}

TEST_CASE("hooks: the first failing hook stops the rest and is named", "[hooks]") {
  const TempDir dir;
  const std::vector<runtime::Hook> hooks = {
      sh_hook("exit 0"),
      sh_hook("echo first line >&2; echo second line >&2; exit 3"),
      sh_hook("touch " + (dir / "third-ran").string()),
  };
  CHECK(error_running("createRuntime", hooks) ==
        "hook createRuntime[1] /bin/sh: exited with code 3: first line");
  CHECK_FALSE(fs::exists(dir / "third-ran"));
}

TEST_CASE("hooks: a hook killed by a signal, or with nothing on stderr", "[hooks]") {
  CHECK(error_running("poststop", {sh_hook("kill -TERM $$")}) ==
        "hook poststop[0] /bin/sh: killed by signal 15 (SIGTERM)");
  CHECK(error_running("poststart", {sh_hook("exit 1")}) ==
        "hook poststart[0] /bin/sh: exited with code 1");
  CHECK(error_running("poststart", {sh_hook("echo said on stdout; exit 2")}) ==
        "hook poststart[0] /bin/sh: exited with code 2: said on stdout");
}

TEST_CASE("hooks: a hook that cannot be started", "[hooks]") {
  const TempDir dir;
  CHECK(error_running("startContainer", {runtime::Hook{"/nonexistent/hook", {}, {}, {}}}) ==
        "hook startContainer[0] /nonexistent/hook: no such file or directory");
  CHECK(error_running("startContainer", {runtime::Hook{dir.path().string(), {}, {}, {}}}) ==
        "hook startContainer[0] " + dir.path().string() + ": permission denied");
}

TEST_CASE("hooks: a hook that outlives its timeout is killed", "[hooks]") {
  const TempDir dir;
  runtime::Hook hook = sh_hook("echo $$ > " + (dir / "pid").string() + "; exec sleep 600");
  hook.timeout = 1;
  CHECK(error_running("prestart", {hook}) ==
        "hook prestart[0] /bin/sh: killed after its timeout of 1 s");
  const std::string pid = read_file(dir / "pid");
  REQUIRE_FALSE(pid.empty());
  // Killed and reaped: not even a zombie is left.
  CHECK_FALSE(fs::exists("/proc/" + pid.substr(0, pid.find('\n'))));
}

TEST_CASE("hooks: large state, large output, and a hook that reads no stdin", "[hooks]") {
  const std::string big_state(1 << 20, 'x');
  // 1 MiB on stdout and on stderr fills any pipe: the runtime must read
  // while it waits.
  CHECK_NOTHROW(runtime::run_hooks(
      "createContainer",
      {sh_hook("i=0; while [ $i -lt 16384 ]; do "
               "echo 0123456789012345678901234567890123456789012345678901234567890; "
               "echo 0123456789012345678901234567890123456789012345678901234567890 >&2; "
               "i=$((i+1)); done")},
      big_state));
  CHECK_NOTHROW(runtime::run_hooks("createContainer", {sh_hook("exit 0")}, big_state));
}

TEST_CASE("hooks: a hook's leftover child does not hold the runtime", "[hooks]") {
  // The hook ends, its background child keeps the stderr pipe open: run_hooks
  // returns when the hook ends, not when the pipe does (the timeout would
  // turn waiting for the pipe into an error).
  const TempDir dir;
  const runtime::Hook hook = sh_hook("sleep 600 >&2 & echo $! > " + (dir / "pid").string());
  CHECK_NOTHROW(runtime::run_hooks("poststart", {hook}, kState));
  const std::string pid = read_file(dir / "pid");
  REQUIRE_FALSE(pid.empty());
  ::kill(std::stoi(pid), SIGKILL);
}
