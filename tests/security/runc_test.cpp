// Berth against a reference: every attempt that runc's default spec
// (`runc spec`) blocks, berth's default container blocks too.
#include <catch2/catch.hpp>

#include "escape.h"

using namespace berth::test;
using namespace berth::test::security;

TEST_CASE("berth blocks every escape attempt that runc's default spec blocks", "[escape][runc]") {
  if (run({"runc", "--version"}).exit_code != 0) {
    WARN("runc is not installed");
    return;
  }
  std::vector<std::vector<std::string>> attempts = {
      {"mount"},  {"remount-rw"},  {"hostname"}, {"read", "/proc/timer_list"},
      {"keyctl"}, {"init_module"}, {"reboot"},   {"unshare-user"},
      {"capset"}, {"ptrace", "1"}, {"sysrq"},    {"kcore"},
  };
  const auto disk = host_disk();
  REQUIRE(disk.size() == 2);
  attempts.push_back({"mknod-read", "b", disk[0], disk[1]});
  attempts.push_back({"mknod-read", "c", "1", "11"});
  attempts.push_back({"read", "/proc/1/exe"});

  Sandbox box;
  int blocked_by_runc = 0;
  for (const auto& what : attempts) {
    const auto in_runc = attempt_in_runc(box, what);
    const auto in_berth = attempt(box, {}, what);
    INFO("attempt " << what[0] << ": runc says " << in_runc.out << "berth says " << in_berth.out);
    REQUIRE(in_runc.exit_code <= 1);  // the probe ran: 0 got through, 1 refused
    if (in_runc.exit_code == 1) {
      ++blocked_by_runc;
      CHECK(in_berth.exit_code == 1);
    }
  }
  CHECK(blocked_by_runc >= 8);
}
