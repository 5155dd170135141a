// The container's view of files: the busybox tree as "/", and /proc, /sys,
// /dev and /tmp mounted as chapter 02 describes, seen from inside with the
// container's own busybox.
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

#include "ch02.h"

using namespace berth::test;
using namespace berth::test::ch02;

namespace {

std::set<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::set<std::string> result;
  for (std::string word; in >> word;) {
    result.insert(word);
  }
  return result;
}

// The names at the top of the rootfs, as the host sees them.
std::set<std::string> top_level(const fs::path& rootfs) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(rootfs)) {
    names.insert(entry.path().filename());
  }
  return names;
}

}  // namespace

TEST_CASE("the container sees the busybox tree, not the host's files", "[rootfs]") {
  Sandbox box;
  const fs::path host_only = box.tmp / "host-only";
  write_text(host_only, "outside\n");

  const auto listing = sh(box.rootfs, {}, "ls /");
  CHECK(listing.exit_code == 0);
  CHECK(words(listing.out) == top_level(box.rootfs));
  // The host's file, at its host path, does not exist in the container.
  CHECK(sh(box.rootfs, {}, "test -e " + host_only.string()).exit_code == 1);
}

TEST_CASE("with --chroot too, the container sees the busybox tree", "[rootfs][chroot]") {
  Sandbox box;
  const auto listing = sh(box.rootfs, {"--chroot"}, "ls /");
  CHECK(listing.exit_code == 0);
  CHECK(words(listing.out) == top_level(box.rootfs));
  CHECK(sh(box.rootfs, {"--chroot"}, "cat /etc/hostname").out == "berth\n");
}

TEST_CASE("/proc is a proc of the container's own", "[rootfs][proc]") {
  Sandbox box;
  const auto result = sh(box.rootfs, {}, "cat /proc/self/mountinfo");
  REQUIRE(result.exit_code == 0);
  const auto proc = find_mount(parse_mountinfo(result.out), "/proc");
  CHECK(proc.fstype == "proc");
  CHECK(proc.options.find("nosuid") != std::string::npos);
  // It is the live kernel view: /proc/self is the reading process.
  CHECK(sh(box.rootfs, {}, "cat /proc/self/comm").out == "cat\n");
}

TEST_CASE("/sys is sysfs mounted read-only: writing fails", "[rootfs][sys]") {
  Sandbox box;
  const auto result = sh(box.rootfs, {}, "cat /proc/self/mountinfo");
  REQUIRE(result.exit_code == 0);
  const auto sys = find_mount(parse_mountinfo(result.out), "/sys");
  CHECK(sys.fstype == "sysfs");
  CHECK(sys.options.starts_with("ro,"));

  CHECK(sh(box.rootfs, {}, "test -d /sys/kernel").exit_code == 0);
  const auto write = sh(box.rootfs, {}, "touch /sys/x");
  CHECK(write.exit_code != 0);
  CHECK(write.err.find("Read-only file system") != std::string::npos);
}

TEST_CASE("/dev holds only the minimal nodes and links", "[rootfs][dev]") {
  Sandbox box;
  const auto listing = sh(box.rootfs, {}, "ls /dev");
  REQUIRE(listing.exit_code == 0);
  CHECK(words(listing.out) == std::set<std::string>{"null", "zero", "full", "random", "urandom",
                                                    "tty", "fd", "stdin", "stdout", "stderr",
                                                    "ptmx", "pts", "shm"});

  // Character devices with the kernel's numbers (major:minor, in hex), for all.
  CHECK(sh(box.rootfs, {}, "cd /dev && stat -c '%n %F %t:%T %a' null zero full random urandom tty")
            .out ==
        "null character special file 1:3 666\n"
        "zero character special file 1:5 666\n"
        "full character special file 1:7 666\n"
        "random character special file 1:8 666\n"
        "urandom character special file 1:9 666\n"
        "tty character special file 5:0 666\n");

  CHECK(sh(box.rootfs, {}, "cd /dev && for l in fd stdin stdout stderr ptmx; do readlink $l; done")
            .out == "/proc/self/fd\n/proc/self/fd/0\n/proc/self/fd/1\n/proc/self/fd/2\npts/ptmx\n");

  // And they work: zeros from /dev/zero, nothing kept by /dev/null, and
  // /dev/stdout is the writer's own fd 1.
  CHECK(sh(box.rootfs, {}, "head -c 4 /dev/zero | od -An -tx1").out == " 00 00 00 00\n");
  CHECK(sh(box.rootfs, {}, "echo gone > /dev/null && echo kept > /dev/stdout").out == "kept\n");
}

TEST_CASE("/dev/pts is a new devpts instance and /dev/shm a tmpfs", "[rootfs][dev]") {
  Sandbox box;
  const auto result = sh(box.rootfs, {}, "cat /proc/self/mountinfo");
  REQUIRE(result.exit_code == 0);
  const auto mounts = parse_mountinfo(result.out);
  CHECK(find_mount(mounts, "/dev").fstype == "tmpfs");
  CHECK(find_mount(mounts, "/dev/pts").fstype == "devpts");
  CHECK(find_mount(mounts, "/dev/shm").fstype == "tmpfs");
  // A new instance holds its own ptmx and none of the host's terminals.
  CHECK(sh(box.rootfs, {}, "ls /dev/pts").out == "ptmx\n");
  CHECK(sh(box.rootfs, {}, "stat -c %a /dev/shm").out == "1777\n");
}

TEST_CASE("/tmp is a tmpfs that anyone may write to", "[rootfs][tmp]") {
  Sandbox box;
  const auto result = sh(box.rootfs, {}, "cat /proc/self/mountinfo");
  REQUIRE(result.exit_code == 0);
  CHECK(find_mount(parse_mountinfo(result.out), "/tmp").fstype == "tmpfs");
  CHECK(sh(box.rootfs, {}, "stat -c %a /tmp").out == "1777\n");
  CHECK(sh(box.rootfs, {}, "touch /tmp/x").exit_code == 0);
  // The file went to the container's tmpfs, not into the rootfs.
  CHECK_FALSE(fs::exists(box.rootfs / "tmp" / "x"));
}

TEST_CASE("in a user namespace, where mknod is refused, /dev's nodes are bound from the host",
          "[rootfs][dev][userns]") {
  Sandbox box;
  // unshare(1) makes the namespaces chapter 03 is about: in a user namespace
  // we are root without CAP_MKNOD; the PID and network namespaces are ones it
  // owns, which mounting proc and sysfs there requires.
  REQUIRE(run({"unshare", "--user", "--map-root-user", "true"}).exit_code == 0);
  const auto result =
      run({"unshare", "--user", "--map-root-user", "--mount", "--pid", "--net", "--fork",
           bin("berth-ch02"), "run", "--rootfs", box.rootfs, "--", "/bin/sh", "-c",
           "cat /proc/self/mountinfo; head -c 2 /dev/zero | od -An -tx1"});
  INFO("stdout:\n" << result.out << "\nstderr:\n" << result.err);
  REQUIRE(result.exit_code == 0);
  const auto mounts = parse_mountinfo(result.out);
  for (const char* node :
       {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"}) {
    CHECK(find_mount(mounts, node).mount_point == node);  // a bind mount, not a new node
  }
  CHECK(result.out.ends_with(" 00 00\n"));
}
