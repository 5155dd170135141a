// The container's init must not be dumpable.
//
// "Dumpable" decides who may look into a process through ptrace and
// /proc/PID/{mem,exe,fd,...}: a dumpable process is open to any process of
// the same user with at least its capabilities, a non-dumpable one only to
// holders of CAP_SYS_PTRACE. A container's root is the same user as its
// init, so without this, any process in the container could open
// /proc/1/exe, which is Berth's binary on the host.
#include <sys/prctl.h>

#include "common/error.h"
#include "security/security.h"

namespace berth::security {

void set_non_dumpable() {
  check(::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl", "PR_SET_DUMPABLE");
}

}  // namespace berth::security
