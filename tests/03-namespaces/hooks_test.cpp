// ns::start()'s hooks, the contract chapters 04 and 05 build on: parent
// hooks run with the child's pid before it goes on, child hooks run in the
// child before the command, and an error of either is start()'s error.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "ns/container.h"
#include "support/support.h"

using namespace berth;
using berth::test::TempDir;

namespace {

// A container of `/bin/sh -c SCRIPT` in new UTS and PID namespaces, on our
// own root: the hooks need no rootfs.
ns::ContainerSpec shell(const std::string& script) {
  ns::ContainerSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.namespaces = {ns::Namespace::uts, ns::Namespace::pid};
  return spec;
}

}  // namespace

TEST_CASE("start() runs parent hooks with the child's pid, then child hooks, then the command",
          "[ns][hooks]") {
  // Each step leaves a directory that the next one looks for: the child
  // waits for the parent hooks, and the command comes after the child hooks.
  TempDir tmp;
  const std::string by_parent = tmp / "made-by-parent-hook";
  const std::string by_child = tmp / "made-by-child-hook";
  ns::ContainerSpec spec = shell("test -d " + by_child + " && exit 3");
  pid_t seen = 0;
  spec.parent_hooks.emplace_back([&](pid_t pid) {
    seen = pid;
    check(::mkdir(by_parent.c_str(), 0700), "mkdir", by_parent);
  });
  spec.child_hooks.emplace_back([&] {
    struct stat info {};
    check(::stat(by_parent.c_str(), &info), "stat", by_parent);
    check(::mkdir(by_child.c_str(), 0700), "mkdir", by_child);
  });
  ns::Container container = ns::start(spec);
  CHECK(seen == container.pid());
  CHECK(container.wait() == 3);
}

TEST_CASE("an error of a parent or child hook is start()'s, and nothing is left running",
          "[ns][hooks]") {
  SECTION("parent hook") {
    ns::ContainerSpec spec = shell("exit 0");
    pid_t child = 0;
    spec.parent_hooks.emplace_back([&](pid_t pid) {
      child = pid;
      throw Error("join cgroup", "/sys/fs/cgroup/x", "refused by the test");
    });
    CHECK_THROWS_WITH(ns::start(spec), "join cgroup /sys/fs/cgroup/x: refused by the test");
    REQUIRE(child > 0);
    CHECK(test::read_file("/proc/" + std::to_string(child) + "/comm").empty());  // reaped
  }
  SECTION("child hook") {
    ns::ContainerSpec spec = shell("exit 0");
    spec.child_hooks.emplace_back([] { throw Error("seccomp", "load", "refused by the test"); });
    CHECK_THROWS_WITH(ns::start(spec), "seccomp load: refused by the test");
  }
}
