// Each namespace, seen from inside the container and from the host.
#include <unistd.h>

#include <map>
#include <sstream>

#include <catch2/catch.hpp>

#include "ch03.h"

using namespace berth::test;
using namespace berth::test::ch03;

namespace {

// The interface names of a /proc/net/dev: "lo", "eth0", ...
std::vector<std::string> devices_of(const std::string& proc_net_dev) {
  std::vector<std::string> devices;
  const auto lines = lines_of(proc_net_dev);
  for (std::size_t i = 2; i < lines.size(); ++i) {  // two lines of headers
    const std::string& line = lines[i];
    const auto start = line.find_first_not_of(' ');
    devices.push_back(line.substr(start, line.find(':') - start));
  }
  return devices;
}

// A System V shared memory segment of the host's IPC namespace, made with
// util-linux's ipcmk and removed with ipcrm when the test ends.
class HostSharedMemory {
 public:
  HostSharedMemory() {
    const auto made = run({"ipcmk", "-M", "4096"});
    REQUIRE(made.exit_code == 0);
    id_ = made.out.substr(made.out.find_last_of(' ') + 1);  // "Shared memory id: 42"
    id_.erase(id_.find_last_not_of("\n") + 1);
  }
  ~HostSharedMemory() { run({"ipcrm", "-m", id_}); }
  HostSharedMemory(const HostSharedMemory&) = delete;
  HostSharedMemory& operator=(const HostSharedMemory&) = delete;
  const std::string& id() const { return id_; }

 private:
  std::string id_;
};

// The shmids listed in a /proc/sysvipc/shm.
std::vector<std::string> shmids_of(const std::string& sysvipc_shm) {
  std::vector<std::string> ids;
  const auto lines = lines_of(sysvipc_shm);
  for (std::size_t i = 1; i < lines.size(); ++i) {  // one line of headers
    std::istringstream fields(lines[i]);
    std::string key, shmid;
    fields >> key >> shmid;
    ids.push_back(shmid);
  }
  return ids;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

TEST_CASE("the hostname is the container's own, and the host's is unchanged", "[ns][uts]") {
  Sandbox box;
  const std::string host_before = hostname();
  const auto result = run_ch03(box.rootfs, {"--hostname", "berth-box"}, {"hostname"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "berth-box\n");
  CHECK(hostname() == host_before);
  CHECK(host_before != "berth-box");
}

TEST_CASE("in its PID namespace the init is PID 1, and ps lists only the container's processes",
          "[ns][pid]") {
  Sandbox box;
  // $$ is the shell's pid and $PPID its parent's, as the container sees them.
  const auto result = sh(box.rootfs, {}, "echo $$ $PPID; ps");
  REQUIRE(result.exit_code == 0);
  const auto lines = lines_of(result.out);
  REQUIRE(lines.size() >= 3);
  CHECK(lines[0] == "2 1");  // the command is the init's first child
  // PID USER COMMAND: the init (berth-ch03 itself), the shell, ps; nothing
  // of the host's.
  std::vector<int> pids;
  for (std::size_t i = 2; i < lines.size(); ++i) {
    pids.push_back(std::stoi(lines[i]));
  }
  CHECK(pids.front() == 1);
  CHECK(lines[2].find("berth-ch03") != std::string::npos);
  CHECK(pids.size() <= 3);
  CHECK(std::find(pids.begin(), pids.end(), static_cast<int>(::getpid())) == pids.end());
}

TEST_CASE("in a new network namespace there is only lo, and it is up", "[ns][net]") {
  Sandbox box;
  const auto result = sh(box.rootfs, {}, "cat /proc/net/dev; echo ---; ip link");
  REQUIRE(result.exit_code == 0);
  const auto split = result.out.find("---\n");
  REQUIRE(split != std::string::npos);
  CHECK(devices_of(result.out.substr(0, split)) == std::vector<std::string>{"lo"});
  const auto links = result.out.substr(split + 4);
  INFO(links);
  CHECK(links.starts_with("1: lo: <LOOPBACK,UP,LOWER_UP>"));
  // And it works: lo answers.
  CHECK(sh(box.rootfs, {}, "ping -c 1 -W 10 127.0.0.1 >/dev/null").exit_code == 0);

  // Without a network namespace the container sees the host's devices.
  const auto host_devices = devices_of(read_file("/proc/net/dev"));
  const auto shared = sh(box.rootfs, {"--ns", "uts,pid,mnt,ipc,cgroup"}, "cat /proc/net/dev");
  CHECK(devices_of(shared.out) == host_devices);
}

TEST_CASE("the host's System V IPC objects are invisible in a new IPC namespace", "[ns][ipc]") {
  Sandbox box;
  const HostSharedMemory segment;
  CHECK(contains(shmids_of(read_file("/proc/sysvipc/shm")), segment.id()));

  const auto inside = sh(box.rootfs, {}, "cat /proc/sysvipc/shm");
  REQUIRE(inside.exit_code == 0);
  CHECK(shmids_of(inside.out).empty());

  // Without one, the container sees the host's segment.
  const auto shared = sh(box.rootfs, {"--ns", "uts,pid,mnt,net,cgroup"}, "cat /proc/sysvipc/shm");
  REQUIRE(shared.exit_code == 0);
  CHECK(contains(shmids_of(shared.out), segment.id()));
}

TEST_CASE("in its cgroup namespace the container's cgroups are its root, /", "[ns][cgroup]") {
  Sandbox box;
  const auto result = sh(box.rootfs, {}, "cat /proc/self/cgroup");
  REQUIRE(result.exit_code == 0);
  const auto lines = lines_of(result.out);
  REQUIRE(!lines.empty());
  for (const auto& line : lines) {
    INFO(line);
    CHECK(line.ends_with(":/"));  // "4:memory:/", "0::/"
  }
}

TEST_CASE("each namespace asked for is new, and each other one is the host's", "[ns]") {
  Sandbox box;
  const std::vector<std::string> all = {"uts", "pid", "mnt", "ipc", "net", "cgroup", "user"};
  const std::string script =
      "for n in uts pid mnt ipc net cgroup user; do echo $n $(readlink /proc/self/ns/$n); done";
  for (const std::string& list : {kDefaultNamespaces, std::string("mnt,pid"), kAllNamespaces}) {
    INFO("--ns " << list);
    const auto result = sh(box.rootfs, {"--ns", list}, script);
    REQUIRE(result.exit_code == 0);
    std::map<std::string, std::string> inside;
    for (const auto& line : lines_of(result.out)) {
      inside[line.substr(0, line.find(' '))] = line.substr(line.find(' ') + 1);
    }
    for (const auto& name : all) {
      INFO(name << " inside: " << inside[name] << ", ours: " << our_namespace(name));
      const bool asked = ("," + list + ",").find("," + name + ",") != std::string::npos;
      CHECK((inside[name] != our_namespace(name)) == asked);
    }
  }
}
