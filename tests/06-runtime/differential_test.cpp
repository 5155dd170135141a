// Differential tests: the same OCI bundle is run by Debian's runc (the
// reference berth-runtime copies) and by berth-runtime, and what the
// container's process observes is compared: hostname, ids, capabilities,
// seccomp and no_new_privs, mounts, rlimits, environment, cwd, cgroup
// limits, devices; then the exit codes, and the `state` JSON through the
// lifecycle.
//
// Every bundle starts from the config.json of `runc spec`, run live, so the
// reference's own default is the baseline; each case edits it with
// nlohmann::json. BERTH_DIFF_RUNTIME=PROGRAM puts another runtime under test
// (BERTH_DIFF_RUNTIME=runc proves the harness: every case must then pass).
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string_view>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "bundle.h"
#include "support/support.h"

using namespace berth::test;
using berth::test::CgroupParent;
using json = nlohmann::json;

namespace {

// The process of every container: one busybox script printing, section by
// section, what the process sees. Every probe sends its errors to stdout too,
// so a difference in an error message is a difference in a section.
// Mountinfo is reduced to what does not depend on the host's state (mount
// ids, sources): mount point, root in its filesystem, type, per-mount
// options, superblock options, propagation tags without their peer group.
constexpr const char* kObserve = R"(exec 2>&1
echo "== hostname"; hostname; cat /proc/sys/kernel/domainname
echo "== pid"; echo $$
echo "== ids"; id -u; id -g; id -G
echo "== user namespace"; cat /proc/self/uid_map /proc/self/gid_map
echo "== capabilities"; grep ^Cap /proc/self/status
echo "== security"; grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status
echo "== mounts"
awk '{ tags = ""; i = 7
       while ($i != "-") { t = $i; sub(/:[0-9]+$/, "", t); tags = tags " " t; i++ }
       print $5, $4, $(i + 1), $6, $(i + 3) tags }' /proc/self/mountinfo | sort
echo "== limits"; cat /proc/self/limits
echo "== environment"; env | sort
echo "== cwd"; pwd
echo "== umask"; umask
echo "== oom_score_adj"; cat /proc/self/oom_score_adj
echo "== open fds"; ls /proc/self/fd
echo "== cgroup membership"; cat /proc/self/cgroup
echo "== cgroup limits"
for f in memory/memory.limit_in_bytes memory/memory.soft_limit_in_bytes \
         memory/memory.memsw.limit_in_bytes pids/pids.max cpu/cpu.shares \
         cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpuset/cpuset.cpus \
         memory.max pids.max cpu.max cpu.weight; do
  [ -e /sys/fs/cgroup/$f ] && echo "$f:" $(cat /sys/fs/cgroup/$f)
done
f=/sys/fs/cgroup/devices/devices.list; [ -e $f ] && sort $f
echo "== devices"
for f in /dev/* /dev/pts/* /dev/shm /dev/mqueue; do
  stat -c '%n %F %a %u:%g %t:%T' $f; [ -L $f ] && readlink $f
done
echo "== network"; ip -o link | awk '{ print $2, $3 }'
echo "== sysctl"
for f in net/ipv4/ip_forward kernel/msgmax kernel/shmmni; do echo "$f:" $(cat /proc/sys/$f); done
echo "== root"; touch /probe; echo "touch /probe: $?"
)";

// How long a runtime command may take before it is killed: far more than
// runc ever needs (tens of milliseconds), so never a timed assertion.
constexpr std::chrono::seconds kCommandTimeout{30};

// The container id: every runtime has its own state root, so one id serves.
constexpr const char* kId = "diff";

std::string under_test_program() {
  const char* program = std::getenv("BERTH_DIFF_RUNTIME");
  return program != nullptr && *program != '\0' ? program : bin("berth-runtime").string();
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// The `runc spec` of this host: the reference's own default config.json.
json runc_spec() {
  TempDir dir;
  const auto result = run({"runc", "spec", "--bundle", dir.path()});
  INFO("runc spec: " << result.err);
  REQUIRE(result.exit_code == 0);
  return json::parse(read_file(dir / "config.json"));
}

// A runtime and its own state root, with a guard that deletes (-f) its
// container on every path out of a case, a failing one included.
class Runtime {
 public:
  Runtime(std::string label, std::string program, fs::path state_root)
      : label_(std::move(label)), program_(std::move(program)), root_(std::move(state_root)) {}
  ~Runtime() {
    try {
      run({program_, "--root", root_, "delete", "-f", kId}, options());
    } catch (const std::exception&) {
      // Nothing more to do here: the suite's leak check reports what is left.
    }
  }
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  const std::string& label() const { return label_; }

  // `PROGRAM --root ROOT ARGS...`, its output captured (for polling: not
  // recorded with the test).
  CommandResult quiet(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {program_, "--root", root_};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, options());
  }

  // The same, recorded with the test, so that a failing check shows it.
  CommandResult operator()(const std::vector<std::string>& args) const {
    auto result = quiet(args);
    UNSCOPED_INFO(label_ << ": " << argv_text(args) << " -> exit " << result.exit_code
                         << "\nstderr: " << result.err);
    return result;
  }

  // The same with the runtime's stdio on /dev/null and its stderr in `log`:
  // `create` hands its stdio to the container, which outlives the command,
  // so capturing them in pipes would wait for the container's end.
  CommandResult detached(const std::vector<std::string>& args, const fs::path& log) const {
    std::vector<std::string> argv = {
        "/bin/sh", "-c", R"(log=$1; shift; "$@" </dev/null >/dev/null 2>"$log")",
        "sh",      log,  program_,
        "--root",  root_};
    argv.insert(argv.end(), args.begin(), args.end());
    auto result = run(argv, options());
    result.err = read_file(log);
    UNSCOPED_INFO(label_ << ": " << argv_text(args) << " -> exit " << result.exit_code
                         << "\nstderr: " << result.err);
    return result;
  }

 private:
  static RunOptions options() {
    RunOptions options;
    options.timeout = kCommandTimeout;
    return options;
  }
  static std::string argv_text(const std::vector<std::string>& args) {
    std::string text;
    for (const auto& arg : args) {
      text += arg + " ";
    }
    return text;
  }

  std::string label_;
  std::string program_;
  fs::path root_;
};

// One case's world: a temporary directory holding a bundle and a state root
// per runtime, and a cgroup parent of its own (removed at the end from every
// hierarchy the runtimes created it in).
class Sandbox {
 public:
  Sandbox() = default;
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  const fs::path& path() const { return tmp_.path(); }

  // runc spec, made to run `sh -c script` without a terminal, with an
  // annotation (which `state` must report).
  json config(const std::string& script) const {
    json config = runc_spec();
    config["process"]["terminal"] = false;
    config["process"]["args"] = {"sh", "-c", script};
    config["annotations"] = {{"org.berth.test", "differential"}};
    return config;
  }

  // Writes label/config.json with label/rootfs, a fresh copy of the busybox
  // root (so a runtime that writes to a root meant read-only cannot spoil the
  // other's), and points the config at this runtime's own leaf cgroup.
  fs::path bundle(const std::string& label, json config) const {
    fs::path bundle = tmp_ / label;
    fs::create_directories(bundle);
    copy_busybox_rootfs(bundle / "rootfs");
    config["root"]["path"] = "rootfs";
    config["linux"]["cgroupsPath"] = cgroups_path(label);
    std::ofstream(bundle / "config.json") << config.dump(2);
    return bundle;
  }

  std::string cgroups_path(const std::string& label) const { return cgroups_.path() + "/" + label; }

  std::unique_ptr<Runtime> runtime(const std::string& label, const std::string& program) const {
    return std::make_unique<Runtime>(label, program, tmp_ / (label + "-state"));
  }

  // What the runtime's text says that legitimately differs between runtimes
  // (paths holding its label), made the same.
  std::string normalise(const std::string& label, std::string text) const {
    replace_all(text, (tmp_ / label).string(), "<bundle>");
    replace_all(text, cgroups_path(label), "<cgroupsPath>");
    return text;
  }

 private:
  TempDir tmp_;
  CgroupParent cgroups_{"diff"};
};

// What a container's process printed, section by section ("== NAME" lines
// open a section), normalised, with the run's exit code.
struct Observation {
  int exit_code = -1;
  std::map<std::string, std::string> sections;
  std::string err;
};

Observation observe(const Sandbox& sandbox, const std::string& label, const std::string& program,
                    const json& config) {
  const fs::path bundle = sandbox.bundle(label, config);
  const auto runtime = sandbox.runtime(label, program);
  const auto result = (*runtime)({"run", kId, "-b", bundle});
  Observation observed{result.exit_code, {}, result.err};
  std::istringstream lines(sandbox.normalise(label, result.out));
  std::string section = "(before any section)";
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("== ")) {
      section = line.substr(3);
      observed.sections[section];
    } else {
      observed.sections[section] += line + "\n";
    }
  }
  return observed;
}

struct Observed {
  Observation reference;
  Observation under_test;
};

// A difference from runc that Berth makes on purpose: runc's text, and ours.
struct Accepted {
  std::string runc;
  std::string berth;
};

// Runs the observations plus `extra` (the section "case") with runc spec
// edited by `edit` in both runtimes, and checks every section is the same,
// but for the `accepted` differences. Returns both, for the case's own checks
// that the edit took effect.
Observed compare(const std::function<void(json&, const Sandbox&)>& edit,
                 const std::string& extra = "", const std::vector<Accepted>& accepted = {}) {
  Sandbox sandbox;
  json config = sandbox.config(std::string(kObserve) + "echo '== case'\n" + extra + "exit 0\n");
  edit(config, sandbox);
  Observed both{observe(sandbox, "reference", "runc", config),
                observe(sandbox, "under-test", under_test_program(), config)};
  INFO("runc's stderr: " << both.reference.err);
  INFO("stderr of the runtime under test: " << both.under_test.err);
  REQUIRE(both.reference.exit_code == 0);  // the bundle itself is good
  // The script ends with exit 0: any other code means it did not run.
  REQUIRE(both.under_test.exit_code == both.reference.exit_code);
  std::set<std::string> names;
  for (const auto* observation : {&both.reference, &both.under_test}) {
    for (const auto& [name, text] : observation->sections) {
      names.insert(name);
    }
  }
  auto text_of = [](const Observation& observation, const std::string& name) {
    const auto section = observation.sections.find(name);
    return section == observation.sections.end() ? std::string("(missing)") : section->second;
  };
  for (const auto& name : names) {
    INFO("section " << name);
    const std::string under_test_saw = text_of(both.under_test, name);
    std::string runc_saw = text_of(both.reference, name);
    for (const auto& difference : accepted)
      replace_all(runc_saw, difference.runc, difference.berth);
    CHECK(under_test_saw == runc_saw);
  }
  return both;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The "status" of a `state` JSON, "" when there is none.
std::string status_of(const json& state) {
  return state.is_object() ? state.value("status", "") : "";
}

// A JSON array of strings (a brace list alone could read as an object).
json strings(const std::vector<std::string>& items) {
  return items;
}

}  // namespace

TEST_CASE("differential: the default bundle of runc spec", "[differential]") {
  const auto both = compare([](json&, const Sandbox&) {});
  // The harness sees what the default asks for.
  CHECK(both.reference.sections.at("hostname").starts_with("runc\n"));
  CHECK(both.reference.sections.at("pid") == "1\n");
  CHECK(contains(both.reference.sections.at("root"), "Read-only file system"));
}

TEST_CASE("differential: hostname env cwd umask and oom_score_adj", "[differential]") {
  const auto both = compare([](json& config, const Sandbox&) {
    config["hostname"] = "berth-diff";
    config["process"]["user"]["umask"] = 027;
    config["process"]["env"] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "BERTH_DIFF=1",
                                "EMPTY=", "WITH_EQUALS=a=b"};
    config["process"]["cwd"] = "/var/tmp";
    config["process"]["oomScoreAdj"] = 100;
  });
  CHECK(both.reference.sections.at("hostname").starts_with("berth-diff\n"));
  CHECK(both.reference.sections.at("cwd") == "/var/tmp\n");
  CHECK(both.reference.sections.at("umask") == "0027\n");
}

TEST_CASE("differential: a user without a passwd entry and with additional groups",
          "[differential]") {
  const auto both = compare([](json& config, const Sandbox&) {
    config["process"]["user"] = {{"uid", 1000}, {"gid", 1000}, {"additionalGids", {10, 20}}};
  });
  CHECK(both.reference.sections.at("ids") == "1000\n1000\n1000 10 20\n");
}

TEST_CASE("differential: HOME comes from /etc/passwd", "[differential]") {
  const auto both = compare([](json& config, const Sandbox&) {
    config["process"]["env"] = {"PATH=/bin", "TERM=dumb"};
    config["process"]["user"] = {{"uid", 1}, {"gid", 1}};
  });
  CHECK(contains(both.reference.sections.at("environment"), "HOME=/usr/sbin\n"));
}

TEST_CASE("differential: fewer capabilities with rlimits and no_new_privs off", "[differential]") {
  const auto both = compare(
      [](json& config, const Sandbox&) {
        auto& process = config["process"];
        process["capabilities"] = {
            {"bounding", strings({"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_KILL", "CAP_SETUID",
                                  "CAP_SETGID", "CAP_NET_RAW"})},
            {"effective", strings({"CAP_CHOWN", "CAP_KILL"})},
            {"permitted", strings({"CAP_CHOWN", "CAP_KILL", "CAP_SETUID"})},
            {"inheritable", strings({"CAP_KILL"})},
            {"ambient", strings({"CAP_KILL"})}};
        process["rlimits"] =
            json::array({json{{"type", "RLIMIT_NOFILE"}, {"soft", 1024}, {"hard", 2048}},
                         json{{"type", "RLIMIT_CORE"}, {"soft", 0}, {"hard", 0}},
                         json{{"type", "RLIMIT_MEMLOCK"}, {"soft", 65536}, {"hard", 131072}},
                         json{{"type", "RLIMIT_MSGQUEUE"}, {"soft", 4096}, {"hard", 8192}}});
        process["noNewPrivileges"] = false;
      },
      "ulimit -n; ulimit -Hn\n");
  CHECK(both.reference.sections.at("case") == "1024\n2048\n");
  CHECK(contains(both.reference.sections.at("security"), "NoNewPrivs:\t0"));
}

TEST_CASE("differential: a non-root user keeps ambient capabilities", "[differential]") {
  const auto both = compare([](json& config, const Sandbox&) {
    config["process"]["user"] = {{"uid", 65534}, {"gid", 65534}};
    config["process"]["capabilities"]["ambient"] = strings({"CAP_KILL"});
    config["process"]["capabilities"]["inheritable"] = strings({"CAP_KILL"});
  });
  CHECK(contains(both.reference.sections.at("capabilities"), "CapAmb:\t0000000000000020"));
}

TEST_CASE("differential: a seccomp profile that makes mkdir fail", "[differential]") {
  const auto both = compare(
      [](json& config, const Sandbox&) {
        config["linux"]["seccomp"] = {
            {"defaultAction", "SCMP_ACT_ALLOW"},
            {"syscalls", json::array({json{{"names", strings({"mkdir", "mkdirat"})},
                                           {"action", "SCMP_ACT_ERRNO"},
                                           {"errnoRet", 95}}})}};
      },
      "mkdir /tmp/denied; echo mkdir: $?; ls -d /tmp/denied\n");
  CHECK(contains(both.reference.sections.at("security"), "Seccomp:\t2"));
  CHECK(contains(both.reference.sections.at("case"), "Operation not supported"));
}

TEST_CASE("differential: extra mounts with masked and read-only paths on a writable root",
          "[differential]") {
  TempDir shared;
  std::ofstream(shared / "from-host") << "host data\n";
  const auto both = compare(
      [&shared](json& config, const Sandbox&) {
        config["root"]["readonly"] = false;
        auto& mounts = config["mounts"];
        mounts.push_back({{"destination", "/tmp"},
                          {"type", "tmpfs"},
                          {"source", "tmpfs"},
                          {"options", {"nosuid", "nodev", "noexec", "size=1m", "mode=1770"}}});
        mounts.push_back({{"destination", "/var/tmp"},
                          {"type", "bind"},
                          {"source", shared.path()},
                          {"options", {"rbind", "ro", "nosuid"}}});
        mounts.push_back({{"destination", "/mnt/created"},
                          {"type", "tmpfs"},
                          {"source", "tmpfs"},
                          {"options", {"noatime", "uid=1", "gid=1"}}});
        config["linux"]["maskedPaths"].push_back("/etc/hostname");
        config["linux"]["maskedPaths"].push_back("/root");
        config["linux"]["readonlyPaths"].push_back("/etc");
      },
      "cat /var/tmp/from-host; touch /var/tmp/new; echo touch /var/tmp/new: $?\n"
      "touch /etc/new; echo touch /etc/new: $?; cat /etc/hostname; ls -a /root\n"
      "touch /tmp/new; echo touch /tmp/new: $?; stat -c '%a %u:%g' /tmp /mnt/created\n");
  CHECK(contains(both.reference.sections.at("case"), "host data\n"));
  CHECK(contains(both.reference.sections.at("root"), "touch /probe: 0"));
}

TEST_CASE("differential: memory pids cpu and cpuset limits with a device", "[differential]") {
  const auto both = compare(
      [](json& config, const Sandbox&) {
        config["linux"]["resources"]["memory"] = {{"limit", 64 << 20}, {"reservation", 32 << 20}};
        config["linux"]["resources"]["pids"] = {{"limit", 32}};
        config["linux"]["resources"]["cpu"] = {
            {"shares", 512}, {"quota", 50000}, {"period", 100000}, {"cpus", "0"}};
        config["linux"]["resources"]["devices"].push_back(
            {{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"access", "rwm"}});
        config["linux"]["devices"] = json::array({json{{"path", "/dev/berth-null"},
                                                       {"type", "c"},
                                                       {"major", 1},
                                                       {"minor", 3},
                                                       {"fileMode", 0640},
                                                       {"uid", 0},
                                                       {"gid", 0}}});
      },
      "echo data > /dev/berth-null; echo write /dev/berth-null: $?\n");
  CHECK(contains(both.reference.sections.at("cgroup limits"), "pids.max: 32\n"));
  CHECK(contains(both.reference.sections.at("case"), "write /dev/berth-null: 0"));
}

TEST_CASE("differential: namespaced sysctls", "[differential]") {
  const auto both = compare([](json& config, const Sandbox&) {
    config["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"},
                                 {"kernel.domainname", "berth.test"},
                                 {"kernel.msgmax", "4096"}};
  });
  CHECK(contains(both.reference.sections.at("sysctl"), "net/ipv4/ip_forward: 1\n"));
  CHECK(contains(both.reference.sections.at("hostname"), "berth.test\n"));
}

TEST_CASE("differential: a user namespace with root mapped to 100000", "[differential]") {
  const auto both = compare(
      [](json& config, const Sandbox& sandbox) {
        // The container's root is host uid 100000: it must be able to reach
        // the bundle, below the sandbox's 0700 temporary directory.
        fs::permissions(sandbox.path(),
                        fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
        config["linux"]["namespaces"].push_back({{"type", "user"}});
        const json mapping =
            json::array({json{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}});
        config["linux"]["uidMappings"] = mapping;
        config["linux"]["gidMappings"] = mapping;
      },
      "stat -c '%u:%g' /bin/busybox /proc/self/exe\n",
      // The kernel gives an IPC namespace's mqueue filesystem to whoever
      // makes the namespace. runc makes it having taken uid 0 of the new
      // user namespace but not yet gid 0, so its group is the unmapped host
      // gid 0 (shown as 65534); Berth makes it as root:root of the container.
      {{"/dev/mqueue directory 1777 0:65534", "/dev/mqueue directory 1777 0:0"}});
  CHECK(contains(both.reference.sections.at("user namespace"), "100000"));
}

TEST_CASE("differential: exit codes of run", "[differential]") {
  struct Case {
    const char* name;
    std::vector<std::string> args;
  };
  const Case cases[] = {{"exit 7", {"sh", "-c", "exit 7"}},
                        {"a command that does not exist", {"no-such-command"}},
                        {"a file that is not executable", {"/etc/passwd"}},
                        {"init ignores a signal it has no handler for", {"sh", "-c", "kill $$"}}};
  for (const auto& c : cases) {
    SECTION(c.name) {
      Sandbox sandbox;
      json config = sandbox.config("");
      config["process"]["args"] = c.args;
      const auto reference = sandbox.runtime("reference", "runc");
      const auto under_test = sandbox.runtime("under-test", under_test_program());
      const auto expected = (*reference)({"run", kId, "-b", sandbox.bundle("reference", config)});
      const auto got = (*under_test)({"run", kId, "-b", sandbox.bundle("under-test", config)});
      CHECK(got.exit_code == expected.exit_code);
      CHECK(got.out == expected.out);
      CHECK(got.err.empty() == expected.err.empty());
    }
  }
}

TEST_CASE("differential: a root that is a symbolic link is refused", "[differential]") {
  // runc refuses a root path that is not already resolved ("invalid rootfs:
  // not an absolute path, or a symlink"). The link points at the bundle's
  // own copy, so a runtime that follows it harms nothing.
  Sandbox sandbox;
  const json config = sandbox.config("true");
  std::map<std::string, int> exit_codes;
  for (const auto& [label, program] : {std::pair<std::string, std::string>{"reference", "runc"},
                                       {"under-test", under_test_program()}}) {
    const fs::path bundle = sandbox.bundle(label, config);
    fs::rename(bundle / "rootfs", bundle / "real-rootfs");
    fs::create_directory_symlink("real-rootfs", bundle / "rootfs");
    exit_codes[label] = (*sandbox.runtime(label, program))({"run", kId, "-b", bundle}).exit_code;
  }
  CHECK(exit_codes["reference"] != 0);
  CHECK(exit_codes["under-test"] == exit_codes["reference"]);
}

TEST_CASE("differential: run reports a container killed by a signal as 128+N", "[differential]") {
  Sandbox sandbox;
  json config = sandbox.config("sleep 1000");
  std::map<std::string, int> exit_codes;
  for (const auto& [label, program] : {std::pair<std::string, std::string>{"reference", "runc"},
                                       {"under-test", under_test_program()}}) {
    const auto runtime = sandbox.runtime(label, program);
    const fs::path bundle = sandbox.bundle(label, config);
    auto running = std::async(std::launch::async, [&] {
      return (*runtime)({"run", kId, "-b", bundle});
    });
    // Wait (generously) for the container to run, then kill it from outside.
    std::string status;
    for (int i = 0; i < 600 && status != "running"; ++i) {
      if (running.wait_for(std::chrono::milliseconds(50)) == std::future_status::ready) break;
      const auto state = runtime->quiet({"state", kId});
      if (state.exit_code == 0) status = status_of(json::parse(state.out));
    }
    CHECK(status == "running");
    (*runtime)({"kill", kId, "KILL"});
    exit_codes[label] = running.get().exit_code;
  }
  CHECK(exit_codes["reference"] == 137);
  CHECK(exit_codes["under-test"] == exit_codes["reference"]);
}

namespace {

// Whether `text` matches `pattern`, where 'd' stands for any digit.
bool matches(std::string_view text, std::string_view pattern) {
  if (text.size() != pattern.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool ok = pattern[i] == 'd' ? std::isdigit(static_cast<unsigned char>(text[i])) != 0
                                      : text[i] == pattern[i];
    if (!ok) return false;
  }
  return true;
}

// An RFC 3339 time: 2026-11-28T05:04:33[.086373482](Z|+01:00).
bool is_rfc3339(std::string_view text) {
  if (text.size() < 20 || !matches(text.substr(0, 19), "dddd-dd-ddTdd:dd:dd")) return false;
  text.remove_prefix(19);
  if (text.starts_with('.')) {
    text.remove_prefix(1);
    const auto digits = text.find_first_not_of("0123456789");
    if (digits == 0 || digits == std::string_view::npos) return false;
    text.remove_prefix(digits);
  }
  return text == "Z" ||
         ((text.starts_with('+') || text.starts_with('-')) && matches(text.substr(1), "dd:dd"));
}

// The kind of each field of a `state` JSON, for comparing key sets and types.
std::map<std::string, std::string> kinds(const json& state) {
  std::map<std::string, std::string> kinds;
  for (const auto& [key, value] : state.items()) {
    kinds[key] = value.type_name();
  }
  return kinds;
}

// One runtime's walk through the lifecycle: the exit code of every step and
// the state after each, normalised.
struct Lifecycle {
  std::vector<std::pair<std::string, int>> exit_codes;
  std::vector<json> states;
  std::string running_command;  // /proc/PID/cmdline of the running state's pid
};

json state_of(const Sandbox& sandbox, const Runtime& runtime) {
  const auto result = runtime.quiet({"state", kId});
  if (result.exit_code != 0) return json();
  return json::parse(sandbox.normalise(runtime.label(), result.out));
}

// The command line of a state's pid, "" without one.
std::string command_of(const json& state) {
  if (!state.is_object()) return "";
  return read_file("/proc/" + std::to_string(state.value("pid", 0)) + "/cmdline");
}

Lifecycle walk(const Sandbox& sandbox, const std::string& label, const std::string& program) {
  json config = sandbox.config("sleep 1000");
  const fs::path bundle = sandbox.bundle(label, config);
  const auto runtime = sandbox.runtime(label, program);
  const fs::path log = sandbox.path() / (label + ".log");
  Lifecycle walked;
  auto step = [&](const std::string& name, const CommandResult& result) {
    walked.exit_codes.emplace_back(name, result.exit_code);
  };
  step("state of a missing container", (*runtime)({"state", kId}));
  step("create", runtime->detached({"create", kId, "-b", bundle}, log));
  walked.states.push_back(state_of(sandbox, *runtime));
  const std::string created_command = command_of(walked.states.back());
  step("create of an existing id", runtime->detached({"create", kId, "-b", bundle}, log));
  step("start", (*runtime)({"start", kId}));
  walked.states.push_back(state_of(sandbox, *runtime));
  // start returns once the container may run; its exec follows soon after.
  walked.running_command = command_of(walked.states.back());
  for (int i = 0; i < 250 && walked.running_command == created_command; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    walked.running_command = command_of(walked.states.back());
  }
  step("start of a running container", (*runtime)({"start", kId}));
  step("delete of a running container", (*runtime)({"delete", kId}));
  step("kill KILL", (*runtime)({"kill", kId, "KILL"}));
  json stopped;
  for (int i = 0; i < 600 && status_of(stopped) != "stopped"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stopped = state_of(sandbox, *runtime);
  }
  walked.states.push_back(stopped);
  step("kill of a stopped container", (*runtime)({"kill", kId, "KILL"}));
  step("delete", (*runtime)({"delete", kId}));
  step("state of a deleted container", (*runtime)({"state", kId}));
  step("delete of a missing container", (*runtime)({"delete", kId}));
  step("kill of a missing container", (*runtime)({"kill", kId, "KILL"}));
  step("start of a missing container", (*runtime)({"start", kId}));
  return walked;
}

}  // namespace

TEST_CASE("differential: state JSON and exit codes through the whole lifecycle", "[differential]") {
  Sandbox sandbox;
  const auto reference = walk(sandbox, "reference", "runc");
  const auto under_test = walk(sandbox, "under-test", under_test_program());
  REQUIRE(reference.exit_codes.size() == under_test.exit_codes.size());
  for (size_t i = 0; i < reference.exit_codes.size(); ++i) {
    INFO(reference.exit_codes[i].first);
    CHECK(under_test.exit_codes[i].second == reference.exit_codes[i].second);
  }
  const char* phases[] = {"created", "running", "stopped"};
  for (size_t i = 0; i < 3; ++i) {
    const json& expected = reference.states.at(i);
    const json& got = under_test.states.at(i);
    INFO("after the container was " << phases[i] << "\nrunc: " << expected.dump(2)
                                    << "\nunder test: " << got.dump(2));
    REQUIRE(expected.is_object());
    REQUIRE(got.is_object());
    CHECK(kinds(got) == kinds(expected));
    CHECK(status_of(got) == status_of(expected));
    CHECK(status_of(expected) == phases[i]);
    for (const char* key : {"id", "bundle", "rootfs", "owner", "annotations"}) {
      INFO("field " << key);
      CHECK(got.value(key, json()) == expected.value(key, json()));
    }
    CHECK(is_rfc3339(got.value("created", "")));
    CHECK(is_rfc3339(expected.value("created", "")));
    CHECK(got.value("created", "") == under_test.states.at(0).value("created", ""));
    const int pid = got.value("pid", -1);
    CHECK((pid > 0) == (expected.value("pid", -1) > 0));
    if (i < 2) CHECK(fs::exists("/proc/" + std::to_string(pid)));
  }
  // The pid of `state` is the container's process, the one running the command.
  CHECK(under_test.running_command == reference.running_command);
}

TEST_CASE("differential: a seccomp profile without no_new_privs", "[differential]") {
  // Loading a filter without no_new_privs needs CAP_SYS_ADMIN: both runtimes
  // must load it before they drop capabilities, and leave NoNewPrivs at 0.
  const auto both = compare(
      [](json& config, const Sandbox&) {
        config["process"]["noNewPrivileges"] = false;
        config["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                                      {"syscalls", json::array({{{"names", {"mkdir", "mkdirat"}},
                                                                 {"action", "SCMP_ACT_ERRNO"},
                                                                 {"errnoRet", 95}}})}};
      },
      "grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status; mkdir /tmp/x 2>&1\n");
  CHECK(contains(both.reference.sections.at("case"), "NoNewPrivs:\t0"));
  CHECK(contains(both.reference.sections.at("case"), "Seccomp:\t2"));
}
