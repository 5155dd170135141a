// no_new_privs: exec may take privileges away, never add them.
//
// Without it, a container process whose capabilities were dropped could
// exec a setuid-root binary (or one with file capabilities) and get root's
// powers back, up to the bounding set. With it, the kernel ignores setuid,
// setgid and file capabilities on exec, and refuses SELinux/AppArmor
// transitions that would widen what the process may do. It is also what
// allows an unprivileged process to load a seccomp filter.
#include <sys/prctl.h>

#include "common/error.h"
#include "security/security.h"

namespace berth::security {

void set_no_new_privs() {
  check(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl", "PR_SET_NO_NEW_PRIVS");
}

}  // namespace berth::security
