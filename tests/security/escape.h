// The escape test suite's helpers: a busybox container with the probe
// inside, run by berth-ch05 or by runc.
#pragma once

#include <string>
#include <vector>

#include "support/support.h"

namespace berth::test::security {

// A private copy of the busybox rootfs with berth-security-probe in /bin.
struct Sandbox {
  Sandbox();
  TempDir tmp;
  fs::path rootfs;
};

// berth-ch05 run --rootfs ROOTFS FLAGS... -- berth-security-probe ATTEMPT...
CommandResult attempt(const Sandbox& box, const std::vector<std::string>& flags,
                      const std::vector<std::string>& attempt);

// berth-ch05 run --rootfs ROOTFS FLAGS... -- /bin/sh -c SCRIPT
CommandResult sh(const Sandbox& box, const std::vector<std::string>& flags,
                 const std::string& script);

// The same attempt under runc, with the spec `runc spec` writes (root path,
// args and terminal edited), its state in a temporary --root.
CommandResult attempt_in_runc(const Sandbox& box, const std::vector<std::string>& attempt);

// "MAJOR MINOR" of the host's first block device (/proc/partitions).
std::vector<std::string> host_disk();

}  // namespace berth::test::security
