// Puts the whole test process in a private mount namespace before the first
// test runs (DESIGN.md, test safety rule 1).
//
// ctest runs each test case in its own process, so each test case gets its own
// namespace: whatever it mounts disappears with it and can never propagate to,
// or unmount anything on, the host.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <sched.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <catch2/catch.hpp>

namespace {

struct PrivateMountNamespace : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;

  void testRunStarting(Catch::TestRunInfo const&) override {
    // unshare gives us a copy of the host's mount table; marking it private
    // (recursively) cuts every propagation link back to the host.
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      std::fprintf(stderr,
                   "berth tests: cannot enter a private mount namespace: %s\n"
                   "berth tests must run as root on Linux.\n",
                   std::strerror(errno));
      std::exit(2);
    }
  }
};

}  // namespace

CATCH_REGISTER_LISTENER(PrivateMountNamespace)
