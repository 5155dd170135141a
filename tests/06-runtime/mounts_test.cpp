// The container's root from config.json (src/runtime/mounts.h): option
// parsing, and real containers. Each container is a spawned child in new
// mount, pid, uts, ipc and net namespaces that runs prepare_root,
// switch_root and finish_root on a copy of the busybox rootfs, with runc's
// default spec (tests/fuzz/corpus/oci_config/runc-spec.json) or a variant,
// and then execs a busybox script that reports what the container sees.
#include "runtime/mounts.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <sstream>

#include <catch2/catch.hpp>

#include "cgroup/cgroup.h"
#include "cgroup/hierarchies.h"
#include "common/error.h"
#include "common/fd.h"
#include "ns/id_map.h"
#include "process/process.h"
#include "runtime/cgroup_mount.h"
#include "support/support.h"

using namespace berth;
using namespace berth::test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

constexpr int kContainerNamespaces =
    CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET;

runtime::Config runc_spec() {
  const fs::path path = fs::path{BERTH_OCI_CORPUS} / "runc-spec.json";
  return runtime::parse_config(read_file(path), path.string());
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  REQUIRE(out.good());
}

// A private copy of the busybox rootfs at TMP/rootfs, removed with TMP.
struct Sandbox {
  TempDir tmp;
  fs::path rootfs = copy_busybox_rootfs(tmp / "rootfs");
};

struct ContainerRun {
  bool no_pivot = false;
  // In a user namespace too, mapping ids 0-65535 onto the host's same ids:
  // the container's root has capabilities only over its own namespaces, as
  // in a rootless container (mknod refused, the host's mount flags locked).
  bool user_namespace = false;
  // Runs after prepare_root, before switch_root: where the createContainer
  // hooks run, with the host's paths still reachable.
  std::function<void()> after_prepare;
};

struct Seen {
  int exit_code = -1;
  std::string out;  // stdout and stderr
};

// Runs `script` with busybox's sh in a container of `config` on `box.rootfs`.
// prepare_root's errors are thrown from here (spawn carries them over).
Seen run_container(const Sandbox& box, const runtime::Config& config, const std::string& script,
                   const ContainerRun& run = {}) {
  const std::string output = box.tmp / "output";
  Pipe maps_written = make_pipe();
  process::SpawnOptions options;
  options.argv = {"/bin/sh", "-c", script};
  options.env = std::vector<std::string>{"PATH=/bin:/sbin:/usr/bin:/usr/sbin"};
  options.clone_flags = kContainerNamespaces | (run.user_namespace ? CLONE_NEWUSER : 0);
  if (run.user_namespace) {
    options.after_clone = [&](pid_t pid) {
      ns::write_id_maps(pid, {{0, 0, 65536}}, {{0, 0, 65536}});
      maps_written.write_end.reset();
    };
  }
  options.before_exec = [&] {
    if (run.user_namespace) {
      // Wait for the parent's maps: EOF once its end of the pipe is closed.
      maps_written.write_end.reset();
      char byte = 0;
      check(::read(maps_written.read_end.get(), &byte, 1), "wait for the id maps");
      ns::become_root();
    }
    const int fd = static_cast<int>(
        check(::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), "open", output));
    check(::dup2(fd, STDOUT_FILENO), "dup2");
    check(::dup2(fd, STDERR_FILENO), "dup2");
    ::close(fd);
    runtime::prepare_root(config, box.rootfs);
    if (run.after_prepare) run.after_prepare();
    runtime::switch_root(box.rootfs, run.no_pivot);
    runtime::finish_root(config);
  };
  process::Child child = process::spawn(options);
  Seen seen;
  seen.exit_code = child.wait();
  seen.out = read_file(output);
  UNSCOPED_INFO("exit code " << seen.exit_code << "\noutput:\n" << seen.out);
  return seen;
}

// One line of /proc/self/mountinfo.
struct MountLine {
  std::string root;         // the part of the filesystem mounted: "/" or a subdirectory
  std::string mount_point;  // in the container's view
  std::string options;      // per-mount: "ro,nosuid,..."
  std::string type;
};

std::vector<MountLine> parse_mountinfo(const std::string& text) {
  std::vector<MountLine> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string id, parent, device, field;
    MountLine mount;
    if (!(fields >> id >> parent >> device >> mount.root >> mount.mount_point >> mount.options)) {
      continue;
    }
    while (fields >> field && field != "-") {
    }
    fields >> mount.type;
    lines.push_back(mount);
  }
  return lines;
}

// The last mount at `mount_point` (the one on top); fails the test if none.
MountLine find_mount(const std::string& mountinfo, const std::string& mount_point) {
  std::optional<MountLine> found;
  for (const auto& mount : parse_mountinfo(mountinfo)) {
    if (mount.mount_point == mount_point) found = mount;
  }
  INFO("mount point " << mount_point);
  REQUIRE(found);
  return *found;
}

bool has_mount(const std::string& mountinfo, const std::string& mount_point) {
  const auto mounts = parse_mountinfo(mountinfo);
  return std::ranges::any_of(mounts, [&](const auto& m) { return m.mount_point == mount_point; });
}

// The part of a script's output after the line "--NAME--" and before the next marker.
std::string section(const std::string& out, const std::string& name) {
  const std::string marker = "--" + name + "--\n";
  const auto start = out.find(marker);
  if (start == std::string::npos) return "";
  const auto end = out.find("\n--", start + marker.size());
  return out.substr(start + marker.size(),
                    end == std::string::npos ? std::string::npos : end + 1 - start - marker.size());
}

// Our own cgroup in the hierarchy of `controller` ("" for v2), from
// /proc/self/cgroup: the container's, since the child stays in ours.
std::string own_cgroup(const std::string& controller) {
  std::istringstream lines(read_file("/proc/self/cgroup"));
  for (std::string line; std::getline(lines, line);) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    std::istringstream names(line.substr(first + 1, second - first - 1));
    if (controller.empty() && first + 1 == second) return line.substr(second + 1);
    for (std::string name; std::getline(names, name, ',');) {
      if (name == controller) return line.substr(second + 1);
    }
  }
  FAIL("no cgroup line for " << controller);
  return "";
}

}  // namespace

// ---- parse_mount_options ----------------------------------------------------

TEST_CASE("mounts: options become flags, the rest data in order", "[mounts][options]") {
  const auto options =
      runtime::parse_mount_options({"nosuid", "strictatime", "mode=755", "nodev", "size=65536k"});
  CHECK(options.flags == (MS_NOSUID | MS_STRICTATIME | MS_NODEV));
  CHECK(options.propagation == 0);
  CHECK(options.data == "mode=755,size=65536k");
}

TEST_CASE("mounts: a later option undoes an earlier one", "[mounts][options]") {
  CHECK(runtime::parse_mount_options({"ro", "rw"}).flags == 0);
  CHECK(runtime::parse_mount_options({"rw", "ro"}).flags == MS_RDONLY);
  CHECK(runtime::parse_mount_options({"nosuid", "nodev", "suid", "dev", "noexec", "exec"}).flags ==
        0);
  CHECK(runtime::parse_mount_options({"noatime", "atime", "relatime"}).flags == MS_RELATIME);
  CHECK(runtime::parse_mount_options({"sync", "async", "dirsync", "mand", "nomand"}).flags ==
        MS_DIRSYNC);
  CHECK(runtime::parse_mount_options({"strictatime", "nostrictatime", "nodiratime", "diratime"})
            .flags == 0);
}

TEST_CASE("mounts: bind, rbind and remount", "[mounts][options]") {
  CHECK(runtime::parse_mount_options({"bind"}).flags == MS_BIND);
  CHECK(runtime::parse_mount_options({"rbind", "ro"}).flags == (MS_BIND | MS_REC | MS_RDONLY));
  CHECK(runtime::parse_mount_options({"remount", "ro"}).flags == (MS_REMOUNT | MS_RDONLY));
  CHECK(runtime::parse_mount_options({"defaults"}).flags == 0);
  CHECK(runtime::parse_mount_options({"defaults"}).data.empty());
}

TEST_CASE("mounts: propagation options, the last one wins", "[mounts][options]") {
  CHECK(runtime::parse_mount_options({"rprivate"}).propagation == (MS_PRIVATE | MS_REC));
  CHECK(runtime::parse_mount_options({"shared"}).propagation == MS_SHARED);
  CHECK(runtime::parse_mount_options({"rslave"}).propagation == (MS_SLAVE | MS_REC));
  CHECK(runtime::parse_mount_options({"runbindable"}).propagation == (MS_UNBINDABLE | MS_REC));
  const auto options = runtime::parse_mount_options({"rbind", "rshared", "private"});
  CHECK(options.propagation == MS_PRIVATE);
  CHECK(options.flags == (MS_BIND | MS_REC));
  CHECK(options.data.empty());
}

TEST_CASE("mounts: an empty option is refused, naming its place", "[mounts][options]") {
  CHECK_THROWS_WITH(runtime::parse_mount_options({"nosuid", ""}), "options[1]: empty option");
}

// ---- cgroup_mounts (pure) ----------------------------------------------------

TEST_CASE("mounts: a cgroup entry on v1 binds each hierarchy's own directory", "[mounts][cgroup]") {
  const runtime::Mount entry{"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "ro"}};
  const std::vector<cgroup::Hierarchy> hierarchies = {
      {"/sys/fs/cgroup/cpu,cpuacct", {"cpu", "cpuacct"}},
      {"/sys/fs/cgroup/memory", {"memory"}},
  };
  const std::string proc_self_cgroup = "3:memory:/a/b\n2:cpu,cpuacct:/c\n1:name=systemd:/a\n0::/\n";
  const auto result =
      runtime::cgroup_mounts(entry, false, cgroup::Version::v1, hierarchies, proc_self_cgroup);
  REQUIRE(result.mounts.size() == 3);
  CHECK(result.mounts[0].destination == "/sys/fs/cgroup");
  CHECK(result.mounts[0].type == "tmpfs");
  CHECK(result.mounts[1].destination == "/sys/fs/cgroup/cpu,cpuacct");
  CHECK(result.mounts[1].source == "/sys/fs/cgroup/cpu,cpuacct/c");
  CHECK(result.mounts[1].options == std::vector<std::string>{"rbind", "nosuid", "ro"});
  CHECK(result.mounts[2].destination == "/sys/fs/cgroup/memory");
  CHECK(result.mounts[2].source == "/sys/fs/cgroup/memory/a/b");
  REQUIRE(result.links.size() == 2);
  CHECK(result.links[0].path == "/sys/fs/cgroup/cpu");
  CHECK(result.links[0].target == "cpu,cpuacct");
  CHECK(result.links[1].path == "/sys/fs/cgroup/cpuacct");

  // In a cgroup namespace, the hierarchy itself, its controllers as data.
  const auto in_ns =
      runtime::cgroup_mounts(entry, true, cgroup::Version::v1, hierarchies, proc_self_cgroup);
  REQUIRE(in_ns.mounts.size() == 3);
  CHECK(in_ns.mounts[1].type == "cgroup");
  CHECK(in_ns.mounts[1].options == std::vector<std::string>{"nosuid", "ro", "cpu,cpuacct"});

  CHECK_THROWS_WITH(
      runtime::cgroup_mounts(entry, false, cgroup::Version::v1, hierarchies, "0::/\n"),
      Contains("no line for the cpu,cpuacct hierarchy"));
  CHECK_THROWS_WITH(
      runtime::cgroup_mounts(entry, false, cgroup::Version::v1, hierarchies, "garbage\n"),
      Contains("malformed line \"garbage\""));
}

TEST_CASE("mounts: named v1 hierarchies are found in mountinfo", "[mounts][cgroup]") {
  const auto named = cgroup::parse_named_v1_hierarchies(
      "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
      "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
      "42 31 0:39 / /x/y rw - cgroup cgroup rw,name=other,xattr\n");
  REQUIRE(named.size() == 2);
  CHECK(named[0].mount_point == "/sys/fs/cgroup/systemd");
  CHECK(named[0].controllers == std::vector<std::string>{"name=systemd"});
  CHECK(named[1].mount_point == "/x/y");
  CHECK(named[1].controllers == std::vector<std::string>{"name=other"});
}

TEST_CASE("mounts: a cgroup entry on v2 mounts cgroup2 or binds its own directory",
          "[mounts][cgroup]") {
  const runtime::Mount entry{"/sys/fs/cgroup", "cgroup", "cgroup", {"ro"}};
  const auto bound = runtime::cgroup_mounts(entry, false, cgroup::Version::v2, {}, "0::/x/y\n");
  REQUIRE(bound.mounts.size() == 1);
  CHECK(bound.mounts[0].source == "/sys/fs/cgroup/x/y");
  CHECK(bound.mounts[0].options == std::vector<std::string>{"rbind", "ro"});
  const auto in_ns = runtime::cgroup_mounts(entry, true, cgroup::Version::v2, {}, "0::/\n");
  REQUIRE(in_ns.mounts.size() == 1);
  CHECK(in_ns.mounts[0].type == "cgroup2");
  CHECK(in_ns.links.empty());
}

// ---- Containers ---------------------------------------------------------------

TEST_CASE("mounts: runc's default spec gives runc's mounts", "[mounts][container]") {
  Sandbox box;
  const auto seen = run_container(box, runc_spec(), "cat /proc/self/mountinfo");
  REQUIRE(seen.exit_code == 0);
  const std::string& mountinfo = seen.out;

  CHECK_THAT(find_mount(mountinfo, "/").options, StartsWith("ro,"));
  CHECK(find_mount(mountinfo, "/proc").type == "proc");
  const auto dev = find_mount(mountinfo, "/dev");
  CHECK(dev.type == "tmpfs");
  CHECK_THAT(dev.options, StartsWith("rw,nosuid"));
  CHECK(find_mount(mountinfo, "/dev/pts").type == "devpts");
  CHECK_THAT(find_mount(mountinfo, "/dev/shm").options, StartsWith("rw,nosuid,nodev,noexec"));
  CHECK(find_mount(mountinfo, "/dev/mqueue").type == "mqueue");
  const auto sys = find_mount(mountinfo, "/sys");
  CHECK(sys.type == "sysfs");
  CHECK_THAT(sys.options, StartsWith("ro,nosuid,nodev,noexec"));
  // readonlyPaths and maskedPaths of the spec.
  CHECK_THAT(find_mount(mountinfo, "/proc/sys").options, StartsWith("ro,"));
  CHECK_THAT(find_mount(mountinfo, "/proc/timer_list").options, Contains("nosuid"));
  CHECK(find_mount(mountinfo, "/sys/firmware").type == "tmpfs");

  // /sys/fs/cgroup: the container's own cgroups, read-only.
  const auto cgroup_root = find_mount(mountinfo, "/sys/fs/cgroup");
  if (cgroup::detect_version() == cgroup::Version::v1) {
    CHECK(cgroup_root.type == "tmpfs");
    auto hierarchies = cgroup::v1_hierarchies();
    REQUIRE_FALSE(hierarchies.empty());
    for (const auto& named : cgroup::named_v1_hierarchies()) {
      hierarchies.push_back(named);
    }
    for (const auto& hierarchy : hierarchies) {
      const auto bound =
          find_mount(mountinfo, "/sys/fs/cgroup/" + hierarchy.mount_point.filename().string());
      CHECK(bound.type == "cgroup");
      CHECK(bound.root == own_cgroup(hierarchy.controllers.front()));
      CHECK_THAT(bound.options, StartsWith("ro,nosuid,nodev,noexec"));
    }
  } else {
    CHECK(cgroup_root.type == "cgroup2");
    CHECK(cgroup_root.root == own_cgroup(""));
    CHECK_THAT(cgroup_root.options, StartsWith("ro,"));
  }
}

TEST_CASE("mounts: /dev holds runc's devices and links", "[mounts][container][dev]") {
  Sandbox box;
  const auto seen = run_container(box, runc_spec(),
                                  "for f in null zero full random urandom tty; do "
                                  "  stat -c '%n %F %a %t,%T' /dev/$f; done; "
                                  "for l in fd stdin stdout stderr ptmx; do "
                                  "  echo /dev/$l $(readlink /dev/$l); done; "
                                  "echo hello > /dev/null && head -c 3 /dev/zero | wc -c");
  REQUIRE(seen.exit_code == 0);
  CHECK(seen.out ==
        "/dev/null character special file 666 1,3\n"
        "/dev/zero character special file 666 1,5\n"
        "/dev/full character special file 666 1,7\n"
        "/dev/random character special file 666 1,8\n"
        "/dev/urandom character special file 666 1,9\n"
        "/dev/tty character special file 666 5,0\n"
        "/dev/fd /proc/self/fd\n"
        "/dev/stdin /proc/self/fd/0\n"
        "/dev/stdout /proc/self/fd/1\n"
        "/dev/stderr /proc/self/fd/2\n"
        "/dev/ptmx pts/ptmx\n"
        "3\n");
}

TEST_CASE("mounts: without a /dev mount, the rootfs's /dev is left as it is",
          "[mounts][container][dev]") {
  Sandbox box;
  write_text(box.rootfs / "dev" / "from-the-image", "");
  auto config = runc_spec();
  std::erase_if(config.mounts,
                [](const runtime::Mount& m) { return m.destination.starts_with("/dev"); });
  // Masking binds /dev/null, which this /dev does not have.
  config.linux->masked_paths.clear();
  const auto seen = run_container(box, config, "ls /dev");
  CHECK(seen.exit_code == 0);
  CHECK(seen.out == "from-the-image\n");
}

TEST_CASE("mounts: the root, sysfs and readonlyPaths refuse writes, masked paths read empty",
          "[mounts][container]") {
  Sandbox box;
  const auto seen = run_container(box, runc_spec(),
                                  "touch /new-file; touch /sys/kernel/x; "
                                  "echo berth > /proc/sys/kernel/domainname; "
                                  "wc -c < /proc/timer_list; ls -A /sys/firmware | wc -l; "
                                  "touch /dev/shm/ok /tmp/../dev/ok && echo writable");
  CHECK_THAT(seen.out, Contains("touch: /new-file: Read-only file system"));
  CHECK_THAT(seen.out, Contains("touch: /sys/kernel/x: Read-only file system"));
  CHECK_THAT(seen.out, Contains("/proc/sys/kernel/domainname: Read-only file system"));
  CHECK_THAT(seen.out, Contains("\n0\n0\nwritable\n"));
  CHECK_FALSE(fs::exists(box.rootfs / "new-file"));
}

TEST_CASE("mounts: bind mounts of directories and files, read-only when asked",
          "[mounts][container][bind]") {
  Sandbox box;
  const fs::path shared = box.tmp / "shared";
  fs::create_directory(shared);
  write_text(shared / "greeting", "hello from the host\n");
  const fs::path file = box.tmp / "config-file";
  write_text(file, "a file\n");

  auto config = runc_spec();
  config.root.readonly = false;
  config.mounts.push_back({"/data", "bind", shared, {"rbind", "rw"}});
  config.mounts.push_back({"/deep/er/ro-data", "none", shared, {"bind", "ro", "nosuid"}});
  config.mounts.push_back({"/etc/config-file", "bind", file, {"bind", "ro"}});
  const auto seen = run_container(box, config,
                                  "cat /data/greeting; echo written > /data/new; "
                                  "cat /deep/er/ro-data/greeting; touch /deep/er/ro-data/x; "
                                  "cat /etc/config-file; echo x > /etc/config-file; "
                                  "echo --mounts--; cat /proc/self/mountinfo");
  CHECK_THAT(seen.out, StartsWith("hello from the host\nhello from the host\n"));
  CHECK_THAT(seen.out, Contains("touch: /deep/er/ro-data/x: Read-only file system"));
  CHECK_THAT(seen.out, Contains("a file\n"));
  CHECK_THAT(seen.out, Contains("/etc/config-file: Read-only file system"));
  // The read-write bind wrote through to the host's directory.
  CHECK(read_file(shared / "new") == "written\n");
  CHECK(read_file(file) == "a file\n");

  const std::string mountinfo = section(seen.out, "mounts");
  CHECK_THAT(find_mount(mountinfo, "/data").options, StartsWith("rw,"));
  CHECK_THAT(find_mount(mountinfo, "/deep/er/ro-data").options, StartsWith("ro,nosuid"));
  CHECK_THAT(find_mount(mountinfo, "/etc/config-file").options, StartsWith("ro"));
  // Mount points were made in the rootfs: a directory, and an empty file.
  CHECK(fs::is_directory(box.rootfs / "deep" / "er" / "ro-data"));
  CHECK(fs::is_regular_file(box.rootfs / "etc" / "config-file"));
  CHECK(fs::file_size(box.rootfs / "etc" / "config-file") == 0);
}

TEST_CASE("mounts: a read-only tmpfs is read-only once the root is finished",
          "[mounts][container]") {
  Sandbox box;
  auto config = runc_spec();
  config.mounts.push_back({"/scratch", "tmpfs", "tmpfs", {"ro", "nosuid", "size=1m"}});
  config.mounts.push_back({"/scratch/inner", "tmpfs", "tmpfs", {"size=1m"}});
  const auto seen = run_container(box, config,
                                  "touch /scratch/x; touch /scratch/inner/y && echo inner ok; "
                                  "grep -c ' /scratch ro,' /proc/self/mountinfo");
  CHECK_THAT(seen.out, Contains("touch: /scratch/x: Read-only file system"));
  CHECK_THAT(seen.out, Contains("inner ok\n1\n"));
}

TEST_CASE("mounts: a tmpfs keeps the mode of the directory it covers", "[mounts][container]") {
  Sandbox box;
  fs::permissions(box.rootfs / "tmp", fs::perms::all | fs::perms::sticky_bit);
  auto config = runc_spec();
  config.mounts.push_back({"/tmp", "tmpfs", "tmpfs", {"nosuid"}});
  config.mounts.push_back({"/new-tmpfs", "tmpfs", "tmpfs", {"mode=700"}});
  const auto seen = run_container(box, config, "stat -c '%n %a' /tmp /new-tmpfs");
  CHECK(seen.out == "/tmp 1777\n/new-tmpfs 700\n");
}

TEST_CASE("mounts: linux.sysctl is written in the container's namespaces",
          "[mounts][container][sysctl]") {
  Sandbox box;
  auto config = runc_spec();
  config.linux->sysctl = {{"net.ipv4.ip_forward", "1"}, {"kernel.shmmni", "1234"}};
  const auto seen = run_container(box, config,
                                  "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni; "
                                  "echo 0 > /proc/sys/net/ipv4/ip_forward");
  CHECK_THAT(seen.out, StartsWith("1\n1234\n"));
  // readonlyPaths came after: /proc/sys is read-only now.
  CHECK_THAT(seen.out, Contains("Read-only file system"));
  // The host's value is its own.
  CHECK(read_file("/proc/sys/kernel/shmmni") != "1234\n");
}

TEST_CASE("mounts: linux.sysctl refuses names outside the container's namespaces",
          "[mounts][container][sysctl]") {
  Sandbox box;
  auto config = runc_spec();
  config.linux->sysctl = {{"kernel.panic", "1"}};
  CHECK_THROWS_WITH(run_container(box, config, "true"),
                    "linux.sysctl kernel.panic: not in a namespace of the container's own");
  config.linux->sysctl = {{"net/../../kernel/panic", "1"}};
  CHECK_THROWS_WITH(run_container(box, config, "true"), Contains("not a sysctl name"));
  config.linux->sysctl = {{"net.ipv4.ip_forward", "1"}};
  std::erase_if(config.linux->namespaces, [](const runtime::Namespace& ns) {
    return ns.type == runtime::NamespaceType::network;
  });
  CHECK_THROWS_WITH(run_container(box, config, "true"),
                    "linux.sysctl net.ipv4.ip_forward: not allowed without a network namespace");
}

TEST_CASE("mounts: errors name the mount entry, the call and the path", "[mounts][container]") {
  Sandbox box;
  auto config = runc_spec();
  config.mounts.push_back({"/x", "no-such-fs", "none", {}});
  CHECK_THROWS_WITH(
      run_container(box, config, "true"),
      "mounts[7] /x: mount no-such-fs on " + (box.rootfs / "x").string() + ": no such device");
  config.mounts.back() = {"/y", "bind", (box.tmp / "missing").string(), {"bind"}};
  CHECK_THROWS_WITH(
      run_container(box, config, "true"),
      "mounts[7] /y: stat " + (box.tmp / "missing").string() + ": no such file or directory");
  config.mounts.back() = {"/proc/sys", "bind", box.tmp.path().string(), {"rbind"}};
  CHECK_THROWS_WITH(run_container(box, config, "true"), Contains("is inside /proc"));
}

TEST_CASE("mounts: --no-pivot moves the root and chroots", "[mounts][container]") {
  Sandbox box;
  const auto seen =
      run_container(box, runc_spec(), "ls /; echo --mounts--; cat /proc/self/mountinfo",
                    {.no_pivot = true, .user_namespace = false, .after_prepare = {}});
  REQUIRE(seen.exit_code == 0);
  CHECK_THAT(seen.out, StartsWith("bin\ndev\netc\n"));
  const std::string mountinfo = section(seen.out, "mounts");
  CHECK_THAT(find_mount(mountinfo, "/").options, StartsWith("ro,"));
  CHECK(find_mount(mountinfo, "/proc").type == "proc");
}

TEST_CASE("mounts: in a user namespace, devices are the host's, bound",
          "[mounts][container][userns]") {
  Sandbox box;
  const auto seen = run_container(box, runc_spec(),
                                  "stat -c '%n %F %t,%T' /dev/null /dev/tty; "
                                  "echo hello > /dev/null && echo null ok; touch /new-file; "
                                  "echo --mounts--; cat /proc/self/mountinfo",
                                  {.no_pivot = false, .user_namespace = true, .after_prepare = {}});
  REQUIRE(seen.exit_code == 0);
  CHECK_THAT(seen.out, StartsWith("/dev/null character special file 1,3\n"
                                  "/dev/tty character special file 5,0\n"
                                  "null ok\n"));
  CHECK_THAT(seen.out, Contains("touch: /new-file: Read-only file system"));
  const std::string mountinfo = section(seen.out, "mounts");
  // mknod was refused: each node is a bind of the host's.
  CHECK(find_mount(mountinfo, "/dev/null").type == "devtmpfs");
  CHECK_THAT(find_mount(mountinfo, "/").options, StartsWith("ro,"));
  CHECK_THAT(find_mount(mountinfo, "/sys").options, StartsWith("ro,nosuid,nodev,noexec"));
}

// ---- A hostile rootfs -----------------------------------------------------------

TEST_CASE("mounts: a rootfs whose /proc is a symlink out is refused", "[mounts][hostile]") {
  Sandbox box;
  const fs::path outside = box.tmp / "outside";
  fs::create_directory(outside);
  fs::remove(box.rootfs / "proc");
  fs::create_directory_symlink(outside, box.rootfs / "proc");
  CHECK_THROWS_WITH(run_container(box, runc_spec(), "true"),
                    Contains("mounts[0] /proc: mount proc on /proc: must be mounted on an "
                             "ordinary directory"));
  CHECK(fs::is_empty(outside));
}

TEST_CASE("mounts: symlinked destinations resolve inside the rootfs", "[mounts][hostile]") {
  Sandbox box;
  // On the host: the directories the links name, which must stay untouched.
  const fs::path outside_a = box.tmp / "outside-a";
  const fs::path outside_b = box.tmp / "outside-b";
  fs::create_directory(outside_a);
  fs::create_directory(outside_b);
  const fs::path source = box.tmp / "source";
  fs::create_directory(source);
  write_text(source / "marker", "bound\n");
  // In the rootfs: a link to a host path, one climbing there with "..", one
  // climbing to the top; all dangling inside the rootfs.
  fs::create_directory_symlink(outside_a, box.rootfs / "absolute");
  fs::create_directory_symlink("../../../../../../../.." + outside_b.string(),
                               box.rootfs / "climbing");
  fs::create_directory(box.rootfs / "sub");
  fs::create_directory_symlink("../../../../..", box.rootfs / "sub" / "up");

  auto config = runc_spec();
  config.mounts.push_back({"/absolute", "bind", source, {"bind", "ro"}});
  config.mounts.push_back({"/climbing/deeper", "tmpfs", "tmpfs", {"size=1m"}});
  config.mounts.push_back({"/sub/up/escaped", "tmpfs", "tmpfs", {"size=1m"}});
  const auto seen = run_container(
      box, config, "cat /absolute/marker; echo --mounts--; cat /proc/self/mountinfo",
      {.no_pivot = false, .user_namespace = false, .after_prepare = [&] {
         // In the child's namespace, before the root switch: had a mount
         // gone to the host's directories, it would show here.
         if (!fs::is_empty(outside_a) || !fs::is_empty(outside_b) || fs::exists("/escaped")) {
           throw Error("check", box.tmp.path().string(), "a mount landed outside the rootfs");
         }
       }});
  REQUIRE(seen.exit_code == 0);
  CHECK(seen.out.starts_with("bound\n"));
  const std::string mountinfo = section(seen.out, "mounts");
  // Each landed at the link's target inside the container's root.
  CHECK(has_mount(mountinfo, outside_a.string()));
  CHECK(has_mount(mountinfo, outside_b.string() + "/deeper"));
  CHECK(has_mount(mountinfo, "/escaped"));
  CHECK(fs::is_directory(box.rootfs / outside_b.relative_path() / "deeper"));
  CHECK(fs::is_directory(box.rootfs / "escaped"));
  // On the host: nothing created either.
  CHECK(fs::is_empty(outside_a));
  CHECK(fs::is_empty(outside_b));
  CHECK_FALSE(fs::exists(box.tmp / "escaped"));
}
