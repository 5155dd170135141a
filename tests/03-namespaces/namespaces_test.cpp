// The library's parsers: namespace lists and /etc/subuid.
#include <sched.h>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "ns/container.h"
#include "ns/subid.h"

using berth::ns::IdMapping;
using berth::ns::Namespace;

TEST_CASE("parse_namespaces reads /proc/PID/ns names, clone_flags turns them into flags",
          "[ns][parse]") {
  const auto all = berth::ns::parse_namespaces("uts,pid,mnt,ipc,net,cgroup,user");
  CHECK(all == std::vector<Namespace>{Namespace::uts, Namespace::pid, Namespace::mount,
                                      Namespace::ipc, Namespace::net, Namespace::cgroup,
                                      Namespace::user});
  CHECK(berth::ns::clone_flags(all) == (CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC |
                                        CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWUSER));
  CHECK(berth::ns::parse_namespaces("mnt,mnt") == std::vector<Namespace>{Namespace::mount});
  CHECK(berth::ns::parse_namespaces("").empty());
  CHECK(berth::ns::name_of(Namespace::mount) == "mnt");
  CHECK_THROWS_WITH(berth::ns::parse_namespaces("uts,mount"),
                    "--ns uts,mount: unknown namespace \"mount\" (known: uts, pid, mnt, ipc, "
                    "net, cgroup, user)");
}

TEST_CASE("find_subordinate_range reads /etc/subuid as newuidmap does", "[ns][subid]") {
  using berth::ns::find_subordinate_range;
  const std::string text =
      "# comment\n"
      "\n"
      "alice:100000:65536\n"
      "root:bad:65536\n"
      "root:200000:0\n"
      "root:4294967290:10\n"
      "0:300000:65536\n"
      "root:400000:1000\n";
  const auto root = find_subordinate_range(text, "root", 0);
  REQUIRE(root);
  // The first well-formed line of root's, by name or by uid.
  CHECK(root->container_id == 0);
  CHECK(root->host_id == 300000);
  CHECK(root->size == 65536);
  const auto alice = find_subordinate_range(text, "alice", 1000);
  REQUIRE(alice);
  CHECK(alice->host_id == 100000);
  CHECK(!find_subordinate_range(text, "bob", 1001));
  CHECK(!find_subordinate_range("", "root", 0));
  CHECK(!find_subordinate_range("root:1:2:3", "root", 0));
  CHECK(find_subordinate_range("root:1:2", "root", 0)->size == 2);  // no final newline
}
