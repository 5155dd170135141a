// The parts of the cgroup module that need no kernel: finding v1 hierarchies
// in mountinfo, sizes, and the shares-to-weight mapping.
#include <catch2/catch.hpp>

#include "cgroup/cgroup.h"
#include "cgroup/hierarchies.h"
#include "common/error.h"

using namespace berth;
using namespace berth::cgroup;

TEST_CASE("v1 hierarchies are found in mountinfo, joined or not", "[cgroup][unit]") {
  const std::string mountinfo =
      "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup "
      "rw,cpu,cpuacct\n"
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup "
      "rw,xattr,name=systemd\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
      "42 31 0:39 / /mnt/my\\040cgroups rw - cgroup cgroup rw,pids\n";
  const auto hierarchies = parse_v1_hierarchies(mountinfo);
  REQUIRE(hierarchies.size() == 3);
  CHECK(hierarchies[0].mount_point == "/sys/fs/cgroup/cpu,cpuacct");
  CHECK(hierarchies[0].controllers == std::vector<std::string>{"cpu", "cpuacct"});
  CHECK(hierarchies[1].mount_point == "/sys/fs/cgroup/memory");
  CHECK(hierarchies[2].mount_point == "/mnt/my cgroups");
  CHECK(hierarchies[2].controllers == std::vector<std::string>{"pids"});
}

TEST_CASE("malformed mountinfo lines are skipped", "[cgroup][unit]") {
  CHECK(parse_v1_hierarchies("").empty());
  CHECK(parse_v1_hierarchies("1 2 3\n- cgroup\n").empty());
  CHECK(parse_v1_hierarchies("1 2 0:1 / /x rw - cgroup cgroup rw\n").empty());
}

TEST_CASE("memory sizes take docker's units", "[cgroup][unit]") {
  CHECK(parse_memory_size("1024") == 1024);
  CHECK(parse_memory_size("10b") == 10);
  CHECK(parse_memory_size("4k") == 4096);
  CHECK(parse_memory_size("64m") == 64ULL << 20);
  CHECK(parse_memory_size("2G") == 2ULL << 30);
  CHECK_THROWS_WITH(parse_memory_size("64mb"),
                    "memory size 64mb: expected a number with an optional unit b, k, m or g");
  CHECK_THROWS_AS(parse_memory_size(""), Error);
  CHECK_THROWS_AS(parse_memory_size("m"), Error);
  CHECK_THROWS_AS(parse_memory_size("-1m"), Error);
  CHECK_THROWS_WITH(parse_memory_size("99999999999g"), "memory size 99999999999g: too large");
}

TEST_CASE("cpu shares map onto cpu.weight as runc maps them", "[cgroup][unit]") {
  CHECK(weight_from_shares(2) == 1);
  CHECK(weight_from_shares(1024) == 39);
  CHECK(weight_from_shares(262144) == 10000);
  CHECK(weight_from_shares(0) == 1);
}
