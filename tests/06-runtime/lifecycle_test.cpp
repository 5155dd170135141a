// berth-runtime's lifecycle as its users see it: create, start, state, kill,
// delete, run, exec, list, ps, with runc's outputs and errors.
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "bundle.h"
#include "support/support.h"

using namespace berth::test;
using namespace berth::test::ch06;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

json state_of(const Bundle& bundle, const std::string& id) {
  const CommandResult result = bundle.runtime({"state", id});
  REQUIRE(result.exit_code == 0);
  return json::parse(result.out);
}

// Polls until the container's status is `status` (10 s at most).
void wait_for_status(const Bundle& bundle, const std::string& id, const std::string& status) {
  for (int i = 0; i < 1000 && state_of(bundle, id).at("status") != status; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  REQUIRE(state_of(bundle, id).at("status") == status);
}

}  // namespace

TEST_CASE("lifecycle: create leaves the command waiting, start runs it, delete removes all") {
  Bundle bundle({"sh", "-c", "echo ran > /ran"});
  REQUIRE(bundle.runtime({"create", "c1"}, true).exit_code == 0);

  const json created = state_of(bundle, "c1");
  CHECK(created.at("status") == "created");
  CHECK(created.at("id") == "c1");
  CHECK(created.at("bundle") == bundle.path().string());
  CHECK(created.at("rootfs") == bundle.rootfs().string());
  CHECK(created.at("ociVersion") == "1.0.2-dev");  // berth-runtime spec's, as runc's
  const int pid = created.at("pid").get<int>();
  CHECK(pid > 0);
  CHECK(fs::exists("/proc/" + std::to_string(pid)));
  CHECK(bundle.cgroups().has_child("c"));
  std::this_thread::sleep_for(100ms);
  CHECK_FALSE(fs::exists(bundle.rootfs() / "ran"));  // not before start

  REQUIRE(bundle.runtime({"start", "c1"}).exit_code == 0);
  wait_for_status(bundle, "c1", "stopped");
  CHECK(read_file(bundle.rootfs() / "ran") == "ran\n");

  REQUIRE(bundle.runtime({"delete", "c1"}).exit_code == 0);
  CHECK_FALSE(fs::exists(bundle.state_root() / "c1"));
  CHECK_FALSE(bundle.cgroups().has_child("c"));
  const CommandResult gone = bundle.runtime({"state", "c1"});
  CHECK(gone.exit_code == 1);
  CHECK_THAT(gone.err, Catch::Contains("container c1: does not exist"));
}

TEST_CASE("lifecycle: run waits, returns the command's exit code, and deletes the container") {
  Bundle bundle({"sh", "-c", "echo out; echo err >&2; exit 3"});
  const CommandResult result = bundle.runtime({"run", "c1"}, true);
  CHECK(result.exit_code == 3);
  CHECK(result.out == "out\n");
  CHECK(result.err == "err\n");
  CHECK_FALSE(fs::exists(bundle.state_root() / "c1"));
  CHECK_FALSE(bundle.cgroups().has_child("c"));
}

TEST_CASE("lifecycle: a command that is not there fails create, leaving nothing behind") {
  Bundle bundle({"no-such-command"});
  const CommandResult result = bundle.runtime({"create", "c1"}, true);
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err,
             Catch::Contains("exec \"no-such-command\": executable file not found in $PATH"));
  CHECK_FALSE(fs::exists(bundle.state_root() / "c1"));
  CHECK_FALSE(bundle.cgroups().has_child("c"));
}

TEST_CASE("lifecycle: a bad config.json is named with its JSON path, leaving nothing behind") {
  Bundle bundle({"true"});
  bundle.config["process"]["user"]["uid"] = "root";
  bundle.save();
  const CommandResult result = bundle.runtime({"run", "c1"}, true);
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Catch::Contains("process.user.uid: expected"));
  CHECK_FALSE(fs::exists(bundle.state_root() / "c1"));
}

TEST_CASE("lifecycle: kill stops a running container, delete refuses a running one without -f") {
  Bundle bundle({"sleep", "100"});
  REQUIRE(bundle.runtime({"run", "-d", "c1"}, true).exit_code == 0);
  CHECK(state_of(bundle, "c1").at("status") == "running");

  const CommandResult refused = bundle.runtime({"delete", "c1"});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("cannot delete: it is running"));

  REQUIRE(bundle.runtime({"kill", "c1", "KILL"}).exit_code == 0);
  wait_for_status(bundle, "c1", "stopped");
  const CommandResult again = bundle.runtime({"kill", "c1", "9"});
  CHECK(again.exit_code == 1);
  CHECK_THAT(again.err, Catch::Contains("not running"));
  REQUIRE(bundle.runtime({"delete", "c1"}).exit_code == 0);
}

TEST_CASE("lifecycle: delete -f kills and removes a running container") {
  Bundle bundle({"sleep", "100"});
  REQUIRE(bundle.runtime({"run", "-d", "c1"}, true).exit_code == 0);
  const int pid = state_of(bundle, "c1").at("pid").get<int>();
  REQUIRE(bundle.runtime({"delete", "-f", "c1"}).exit_code == 0);
  CHECK_FALSE(fs::exists(bundle.state_root() / "c1"));
  CHECK_FALSE(bundle.cgroups().has_child("c"));
  // Not our child: once killed, it is gone or a zombie its reaper has yet to take.
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  CHECK((stat.empty() || stat.find(") Z ") != std::string::npos));
}

TEST_CASE("lifecycle: an id in use, or not a plain name, is refused") {
  Bundle bundle({"sleep", "100"});
  REQUIRE(bundle.runtime({"create", "c1"}, true).exit_code == 0);
  const CommandResult twice = bundle.runtime({"create", "c1"}, true);
  CHECK(twice.exit_code == 1);
  CHECK_THAT(twice.err, Catch::Contains("container c1: exists already"));
  const CommandResult bad = bundle.runtime({"create", "../x"}, true);
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("container id \"../x\""));
  REQUIRE(bundle.runtime({"delete", "c1"}).exit_code == 0);  // created: no -f needed
}

TEST_CASE("lifecycle: of many creates of one id at once, exactly one wins") {
  Bundle bundle({"sleep", "100"});
  std::vector<std::future<CommandResult>> creates;
  for (int i = 0; i < 4; ++i) {
    creates.push_back(std::async(std::launch::async, [&] {
      return bundle.runtime({"create", "c1"}, true);
    }));
  }
  int won = 0;
  for (auto& create : creates)
    won += create.get().exit_code == 0 ? 1 : 0;
  CHECK(won == 1);
  CHECK(state_of(bundle, "c1").at("status") == "created");
  REQUIRE(bundle.runtime({"delete", "c1"}).exit_code == 0);
}

TEST_CASE("lifecycle: exec runs a command inside the running container") {
  Bundle bundle({"sleep", "100"});
  bundle.config["hostname"] = "inside";
  bundle.save();
  REQUIRE(bundle.runtime({"run", "-d", "c1"}, true).exit_code == 0);

  const CommandResult hostname = bundle.runtime({"exec", "c1", "hostname"});
  CHECK(hostname.exit_code == 0);
  CHECK(hostname.out == "inside\n");
  // The same PID namespace: the container's command is PID 1 there.
  const CommandResult ps = bundle.runtime({"exec", "c1", "cat", "/proc/1/cmdline"});
  CHECK(ps.out == std::string("sleep\0"
                              "100\0",
                              10));
  // The same confinement: the container's capabilities and no_new_privs.
  const CommandResult status =
      bundle.runtime({"exec", "c1", "grep", "NoNewPrivs", "/proc/self/status"});
  CHECK_THAT(status.out, Catch::Contains("1"));
  CHECK(bundle.runtime({"exec", "c1", "sh", "-c", "exit 5"}).exit_code == 5);
  CHECK(bundle.runtime({"exec", "-e", "X=y", "--cwd", "/etc", "c1", "sh", "-c", "echo $X $PWD"})
            .out == "y /etc\n");

  const CommandResult ps_json = bundle.runtime({"ps", "-f", "json", "c1"});
  CHECK(json::parse(ps_json.out).size() == 1);
  REQUIRE(bundle.runtime({"delete", "-f", "c1"}).exit_code == 0);
  const CommandResult stopped = bundle.runtime({"exec", "c1", "true"});
  CHECK(stopped.exit_code == 1);
}

TEST_CASE("lifecycle: list shows each container with its status") {
  Bundle bundle({"sleep", "100"});
  REQUIRE(bundle.runtime({"create", "c1"}, true).exit_code == 0);
  const CommandResult table = bundle.runtime({"list"});
  CHECK_THAT(table.out, Catch::StartsWith("ID "));
  CHECK_THAT(table.out, Catch::Contains("created"));
  CHECK(bundle.runtime({"list", "-q"}).out == "c1\n");
  const json all = json::parse(bundle.runtime({"list", "-f", "json"}).out);
  REQUIRE(all.size() == 1);
  CHECK(all[0].at("id") == "c1");
  CHECK(all[0].at("status") == "created");
  REQUIRE(bundle.runtime({"delete", "c1"}).exit_code == 0);
  CHECK(bundle.runtime({"list", "-q"}).out.empty());
}

TEST_CASE("lifecycle: kill takes signal names and numbers, and refuses unknown ones") {
  Bundle bundle(
      {"sh", "-c", "trap 'echo got-usr1 > /got; exit 0' USR1; while true; do sleep 0.1; done"});
  REQUIRE(bundle.runtime({"run", "-d", "c1"}, true).exit_code == 0);
  std::this_thread::sleep_for(300ms);  // for the trap to be set
  const CommandResult unknown = bundle.runtime({"kill", "c1", "SIGNOPE"});
  CHECK(unknown.exit_code == 1);
  CHECK_THAT(unknown.err, Catch::Contains("signal SIGNOPE: unknown signal"));
  REQUIRE(bundle.runtime({"kill", "c1", "SIGUSR1"}).exit_code == 0);
  wait_for_status(bundle, "c1", "stopped");
  CHECK(read_file(bundle.rootfs() / "got") == "got-usr1\n");
  REQUIRE(bundle.runtime({"delete", "c1"}).exit_code == 0);
}

TEST_CASE("lifecycle: the command runs as process.user, with the capabilities given to it") {
  Bundle bundle({"sh", "-c", "id; grep CapEff /proc/self/status; umask"});
  bundle.config["process"]["user"] = {{"uid", 1000}, {"gid", 1001}, {"additionalGids", {10}}};
  const json bind_only = {"CAP_NET_BIND_SERVICE"};
  for (const char* set : {"bounding", "effective", "permitted", "inheritable", "ambient"}) {
    bundle.config["process"]["capabilities"][set] = bind_only;
  }
  bundle.save();
  const CommandResult result = bundle.runtime({"run", "c1"}, true);
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("uid=1000 gid=1001 groups=10"));
  CHECK_THAT(result.out, Catch::Contains("CapEff:\t0000000000000400"));  // bit 10 only
  CHECK_THAT(result.out, Catch::Contains("0022"));
}

TEST_CASE("lifecycle: run relays the container's terminal when no console socket is given") {
  Bundle bundle({"sh"});
  bundle.config["process"]["terminal"] = true;
  bundle.save();
  // script(1) gives berth-runtime a terminal of its own, as a person's shell would.
  const std::string command = bin("berth-runtime").string() + " --root " +
                              bundle.state_root().string() + " run -b " + bundle.path().string() +
                              " c1";
  RunOptions options;
  options.input = "tty; echo $((6*7)); exit 7\n";
  const CommandResult result = run({"script", "-qec", command, "/dev/null"}, options);
  INFO(result.out << result.err);
  CHECK(result.exit_code == 7);
  CHECK_THAT(result.out, Catch::Contains("/dev/pts/0"));
  CHECK_THAT(result.out, Catch::Contains("42"));
  CHECK_FALSE(fs::exists(bundle.state_root() / "c1"));
}

TEST_CASE("lifecycle: pause freezes the container's processes and resume lets them go on") {
  Bundle bundle({"sh", "-c", "i=0; while true; do i=$((i+1)); echo $i > /tick; sleep 0.05; done"});
  REQUIRE(bundle.runtime({"run", "-d", "c1"}, true).exit_code == 0);
  std::this_thread::sleep_for(200ms);
  REQUIRE(bundle.runtime({"pause", "c1"}).exit_code == 0);
  CHECK(state_of(bundle, "c1").at("status") == "paused");
  const std::string frozen_at = read_file(bundle.rootfs() / "tick");
  std::this_thread::sleep_for(300ms);
  CHECK(read_file(bundle.rootfs() / "tick") == frozen_at);  // nothing ran
  CHECK_THAT(bundle.runtime({"pause", "c1"}).err, Catch::Contains("cannot pause: it is paused"));

  REQUIRE(bundle.runtime({"resume", "c1"}).exit_code == 0);
  CHECK(state_of(bundle, "c1").at("status") == "running");
  std::this_thread::sleep_for(300ms);
  CHECK(read_file(bundle.rootfs() / "tick") != frozen_at);
  REQUIRE(bundle.runtime({"pause", "c1"}).exit_code == 0);
  REQUIRE(bundle.runtime({"delete", "-f", "c1"}).exit_code == 0);  // even when paused
}

TEST_CASE("lifecycle: the OCI hooks run at their points, with the state on stdin") {
  Bundle bundle({"sh", "-c", "cat /hook-startContainer > /seen-by-command"});
  const fs::path out = bundle.path() / "hooks";
  fs::create_directories(out);
  // A hook that saves its stdin (the state JSON) under its point's name:
  // on the host for most points, in the container for startContainer.
  const auto hook = [](const std::string& file) {
    return json{{"path", "/bin/sh"}, {"args", {"sh", "-c", "cat > " + file}}};
  };
  for (const char* point : {"createRuntime", "createContainer", "poststart", "poststop"}) {
    bundle.config["hooks"][point] = {hook((out / point).string())};
  }
  bundle.config["hooks"]["startContainer"] = {hook("/hook-startContainer")};
  bundle.save();
  REQUIRE(bundle.runtime({"run", "c1"}, true).exit_code == 0);
  for (const char* point : {"createRuntime", "createContainer", "poststart", "poststop"}) {
    INFO("hook " << point);
    const std::string text = read_file(out / point);
    REQUIRE_FALSE(text.empty());
    const json state = json::parse(text);
    CHECK(state.at("id") == "c1");
    CHECK(state.at("bundle") == bundle.path().string());
  }
  CHECK(json::parse(read_file(out / "createRuntime")).at("pid").get<int>() > 0);
  CHECK(json::parse(read_file(out / "poststop")).at("status") == "stopped");
  // startContainer ran inside the container, before the command.
  CHECK(json::parse(read_file(bundle.rootfs() / "seen-by-command")).at("id") == "c1");
}

TEST_CASE("lifecycle: a failing hook fails create, naming it, and leaves nothing behind") {
  Bundle bundle({"true"});
  bundle.config["hooks"]["createRuntime"] = {
      {{"path", "/bin/sh"}, {"args", {"sh", "-c", "echo no network for you >&2; exit 3"}}}};
  bundle.save();
  const CommandResult result = bundle.runtime({"create", "c1"}, true);
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Catch::Contains("hook createRuntime[0] /bin/sh: exited with code 3"));
  CHECK_THAT(result.err, Catch::Contains("no network for you"));
  CHECK_FALSE(fs::exists(bundle.state_root() / "c1"));
  CHECK_FALSE(bundle.cgroups().has_child("c"));
}
