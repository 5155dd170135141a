// Resource limits: docker's --ulimit syntax, and the limits a child gets.
#include <sys/resource.h>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "observe.h"
#include "security/security.h"

using namespace berth;
using namespace berth::test::ch05;

TEST_CASE("ulimit NAME=SOFT[:HARD] is parsed as docker parses it", "[rlimits]") {
  const auto nofile = security::parse_ulimit("nofile=1024:2048");
  CHECK(nofile.resource == RLIMIT_NOFILE);
  CHECK(nofile.soft == 1024);
  CHECK(nofile.hard == 2048);
  const auto nproc = security::parse_ulimit("nproc=100");
  CHECK(nproc.soft == 100);
  CHECK(nproc.hard == 100);
  CHECK(security::parse_ulimit("core=-1").hard == RLIM_INFINITY);
  CHECK_THROWS_WITH(security::parse_ulimit("nofile=2:1"),
                    "--ulimit nofile=2:1: soft limit above hard limit");
  CHECK_THROWS_WITH(security::parse_ulimit("files=1"), "--ulimit files=1: unknown limit \"files\"");
  CHECK_THROWS_WITH(security::parse_ulimit("nofile=x"), "--ulimit nofile=x: invalid limit \"x\"");
  CHECK_THROWS_WITH(security::parse_ulimit("nofile"), "--ulimit nofile: expected NAME=SOFT[:HARD]");
}

TEST_CASE("set_rlimits gives the child the limits asked for", "[rlimits]") {
  const auto result = observe(
      [] {
        security::set_rlimits(
            {security::parse_ulimit("nofile=1024:2048"), security::parse_ulimit("nproc=512")});
      },
      {"grep", "-E", "^Max (open files|processes)", "/proc/self/limits"});
  CHECK(result.out.find("Max processes             512                  512") != std::string::npos);
  CHECK(result.out.find("Max open files            1024                 2048") !=
        std::string::npos);
}
