// The device allow list: cgroup v1's devices controller and cgroup v2's BPF
// program, each on a test cgroup of its own, tried with devices whose
// opening is harmless.
#include "security/devices.h"

#include <fcntl.h>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "common/fd.h"
#include "observe.h"

using namespace berth;
using namespace berth::test::ch05;

namespace {

// /dev/kmsg (c 1:11) is not on the allow list; dd with count=0 only opens it.
constexpr const char* kScript =
    "head -c 3 /dev/zero | wc -c; echo ok > /dev/null && echo null ok; "
    "dd if=/dev/kmsg of=/dev/null count=0 2>&1 | grep -o 'Operation not permitted'";

bool has_v1_devices() {
  return test::fs::exists("/sys/fs/cgroup/devices/devices.allow");
}

// The cgroup v2 hierarchy: /sys/fs/cgroup on a v2 host, /sys/fs/cgroup/unified
// on a hybrid one.
test::fs::path v2_root() {
  if (test::fs::exists("/sys/fs/cgroup/cgroup.controllers")) return "/sys/fs/cgroup";
  return "/sys/fs/cgroup/unified";
}

}  // namespace

TEST_CASE("device rules print in devices.allow syntax", "[devices]") {
  const auto& rules = security::default_device_rules();
  CHECK(rules.front().to_string() == "c *:* m");
  CHECK(std::ranges::count_if(rules, [](const auto& r) { return r.to_string() == "c 1:3 rwm"; }) ==
        1);
  CHECK(std::ranges::count_if(rules,
                              [](const auto& r) { return r.to_string() == "c 136:* rwm"; }) == 1);
  CHECK(security::DeviceRule{}.to_string() == "a");
}

TEST_CASE("cgroup v1: the devices controller allows the default devices only", "[devices][v1]") {
  if (!has_v1_devices()) {
    WARN("no cgroup v1 devices hierarchy on this host");
    return;
  }
  TestCgroup cgroup{"/sys/fs/cgroup/devices"};
  security::restrict_devices_v1(cgroup.path(), security::default_device_rules());
  const std::string list = test::read_file(cgroup.path() / "devices.list");
  CHECK(list.find("c 1:3 rwm") != std::string::npos);
  CHECK(list.find("a *:* rwm") == std::string::npos);
  const auto result = observe_sh([&] { cgroup.join(); }, kScript);
  CHECK(result.out == "3\nnull ok\nOperation not permitted\n");
}

TEST_CASE("cgroup v2: a BPF device program allows the default devices only", "[devices][v2]") {
  TestCgroup cgroup{v2_root()};
  const UniqueFd dir{::open(cgroup.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  REQUIRE(dir.valid());
  const UniqueFd program =
      security::attach_device_program_v2(dir.get(), security::default_device_rules());
  CHECK(program.valid());
  const auto result = observe_sh([&] { cgroup.join(); }, kScript);
  CHECK(result.out == "3\nnull ok\nOperation not permitted\n");
}

TEST_CASE("without device rules /dev/kmsg can be opened", "[devices]") {
  // The control for the two tests above.
  const auto result = observe_sh({}, "dd if=/dev/kmsg of=/dev/null count=0 && echo opened");
  CHECK(result.out.find("opened") != std::string::npos);
}
