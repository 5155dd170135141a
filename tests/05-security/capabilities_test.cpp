// Capabilities and no_new_privs, applied in a child and read back from
// /proc/self/status, where the kernel shows each set as a hex mask.
#include <catch2/catch.hpp>

#include "common/error.h"
#include "observe.h"
#include "security/security.h"

using namespace berth;
using namespace berth::test::ch05;

namespace {
// Docker's 14 default capabilities as a mask: `capsh --decode=a80425fb`.
constexpr const char* kDockerDefaultMask = "00000000a80425fb";
}  // namespace

TEST_CASE("limit_capabilities leaves Docker's 14 capabilities in every set", "[caps]") {
  const auto result =
      observe([] { security::limit_capabilities(security::default_capabilities()); },
              {"grep", "^Cap", "/proc/self/status"});
  REQUIRE(result.exit_code == 0);
  for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd"}) {
    CHECK(result.out.find(std::string(set) + ":\t" + kDockerDefaultMask) != std::string::npos);
  }
  CHECK(result.out.find("CapAmb:\t0000000000000000") != std::string::npos);
}

TEST_CASE("a capability dropped from every set cannot be raised again with capset", "[caps]") {
  const auto result = observe(
      [] { security::limit_capabilities(security::default_capabilities()); }, {probe(), "capset"});
  CHECK(result.exit_code == 1);
  CHECK(result.out == "capset: EPERM (Operation not permitted)\n");
}

TEST_CASE("cap-add and cap-drop work on the default set as docker's do", "[caps]") {
  using security::capability_from_name;
  const auto defaults = security::default_capabilities();
  CHECK(defaults.size() == 14);
  const auto added = security::resolve_capabilities({"NET_ADMIN"}, {"chown", "CAP_KILL"});
  CHECK(added.size() == 13);
  CHECK(std::ranges::find(added, capability_from_name("CAP_NET_ADMIN")) != added.end());
  CHECK(std::ranges::find(added, capability_from_name("CHOWN")) == added.end());
  CHECK(security::resolve_capabilities({}, {"ALL"}).empty());
  CHECK(security::resolve_capabilities({"kill"}, {"all"}) ==
        std::vector<security::Capability>{capability_from_name("KILL")});
  CHECK(security::resolve_capabilities({"ALL"}, {}) == security::permitted_capabilities());
  CHECK(security::capability_name(capability_from_name("sys_admin")) == "CAP_SYS_ADMIN");
}

TEST_CASE("an unknown capability name is refused, naming it", "[caps]") {
  CHECK_THROWS_WITH(security::resolve_capabilities({"FLY"}, {}),
                    "capability \"FLY\": unknown capability");
  CHECK_THROWS_WITH(security::capability_from_name("12"), "capability \"12\": unknown capability");
}

TEST_CASE("set_no_new_privs sets the process's NoNewPrivs bit", "[nnp]") {
  const auto before = observe({}, {"grep", "^NoNewPrivs", "/proc/self/status"});
  CHECK(before.out == "NoNewPrivs:\t0\n");
  const auto after =
      observe([] { security::set_no_new_privs(); }, {"grep", "^NoNewPrivs", "/proc/self/status"});
  CHECK(after.out == "NoNewPrivs:\t1\n");
}
