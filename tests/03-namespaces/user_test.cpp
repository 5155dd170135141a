// User namespaces: container root is an unprivileged id of the host, and an
// unprivileged user of the host can run a container (rootless).
#include <sys/stat.h>

#include <sstream>

#include <catch2/catch.hpp>

#include "ch03.h"

using namespace berth::test;
using namespace berth::test::ch03;

namespace {

// The first line of a /proc/PID/uid_map: CONTAINER-ID HOST-ID SIZE.
struct Mapping {
  long container_id = -1;
  long host_id = -1;
  long size = -1;
};

Mapping first_mapping(const std::string& map) {
  Mapping mapping;
  std::istringstream fields(map);
  fields >> mapping.container_id >> mapping.host_id >> mapping.size;
  return mapping;
}

struct stat stat_of(const fs::path& path) {
  struct stat info {};
  REQUIRE(::lstat(path.c_str(), &info) == 0);
  return info;
}

// The uid and gid of nobody, the unprivileged user the rootless test runs as.
constexpr const char* kNobody = "65534";

}  // namespace

TEST_CASE("in a user namespace container root is an unprivileged range of host ids", "[ns][user]") {
  Sandbox box;
  // A directory anyone may write to: container root, to the host an
  // ordinary user, can create a file there, and we can see whose it is.
  fs::create_directory(box.rootfs / "shared");
  fs::permissions(box.rootfs / "shared", fs::perms::all);

  const auto result = sh(box.rootfs, {"--ns", kAllNamespaces},
                         "id -u; cat /proc/self/uid_map /proc/self/gid_map; touch /shared/file");
  REQUIRE(result.exit_code == 0);
  const auto lines = lines_of(result.out);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "0");  // root, inside
  const Mapping uids = first_mapping(lines[1]);
  const Mapping gids = first_mapping(lines[2]);
  CHECK(uids.container_id == 0);
  CHECK(uids.host_id > 0);  // never the host's root
  CHECK(uids.size >= 1);
  CHECK(gids.container_id == 0);
  CHECK(gids.host_id > 0);

  // The file container root made belongs, on the host, to the mapped ids.
  const auto made = stat_of(box.rootfs / "shared" / "file");
  CHECK(static_cast<long>(made.st_uid) == uids.host_id);
  CHECK(static_cast<long>(made.st_gid) == gids.host_id);
}

TEST_CASE("in a user namespace container root cannot write what the host's root owns",
          "[ns][user]") {
  Sandbox box;
  // The rootfs copy is the host root's, which is not mapped in the
  // container: its files show as nobody's, and are not root's to change.
  const auto result =
      sh(box.rootfs, {"--ns", kAllNamespaces}, "stat -c %U /etc; touch /etc/x && echo wrote");
  CHECK(result.exit_code == 1);
  CHECK(result.out == "nobody\n");
  CHECK(result.err.find("Permission denied") != std::string::npos);
  CHECK(!fs::exists(box.rootfs / "etc" / "x"));
  // Without a user namespace, container root is the host's root.
  CHECK(sh(box.rootfs, {}, "touch /etc/x").exit_code == 0);
  CHECK(stat_of(box.rootfs / "etc" / "x").st_uid == 0);
}

TEST_CASE("rootless: an unprivileged user runs a container, its uid mapped to root",
          "[ns][user][rootless]") {
  Sandbox box;
  // Everything the unprivileged user needs must be its own: the temporary
  // directory (mode 0700), the rootfs, and a copy of the program.
  const fs::path program = box.tmp / "berth-ch03";
  fs::copy_file(bin("berth-ch03"), program);
  REQUIRE(run({"chown", "-R", std::string(kNobody) + ":" + kNobody, box.tmp.path()}).exit_code ==
          0);

  const auto result =
      run({"setpriv", "--reuid", kNobody, "--regid", kNobody, "--clear-groups", program, "run",
           "--rootfs", box.rootfs, "--hostname", "rootless", "--", "/bin/sh", "-c",
           "id -u; cat /proc/self/uid_map; hostname; ip link; touch /made"});
  INFO("stdout:\n" << result.out << "\nstderr:\n" << result.err);
  REQUIRE(result.exit_code == 0);
  const auto lines = lines_of(result.out);
  REQUIRE(lines.size() >= 4);
  CHECK(lines[0] == "0");
  const Mapping uids = first_mapping(lines[1]);
  CHECK(uids.container_id == 0);
  CHECK(uids.host_id == 65534);  // the caller's own uid, and only it
  CHECK(uids.size == 1);
  CHECK(lines[2] == "rootless");
  CHECK(lines[3].starts_with("1: lo: <LOOPBACK,UP,LOWER_UP>"));
  CHECK(stat_of(box.rootfs / "made").st_uid == 65534);
}
