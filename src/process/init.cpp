// run_init(): reap zombies and forward signals, the work of a container's PID 1.
#include "process/init.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <string>

#include "common/error.h"

namespace berth::process {
namespace {

// Reaps every child that has ended: orphans handed to us, and the command.
// Returns the command's exit code when the command is among them.
//
// A zombie is a process that has ended but whose parent has not yet asked
// how (wait): the kernel keeps its pid and exit status until then. A parent
// that never asks leaves zombies; enough of them and no pid is left.
std::optional<int> reap_children(Child& command) {
  // #lab 01 reap: Reap every ended child; return the command's exit code once it has ended.
  // #hint waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) names an ended child, unreaped.
  // #hint info.si_pid is 0 when no child has ended; waitid fails with ECHILD if there are none.
  // #hint Reap the command with command.try_wait(), so that its Child knows it is gone.
  // #hint Reap any other child with waitpid(pid, nullptr, 0).
  // #hint Loop until no ended child is left: one SIGCHLD can stand for many children.
  std::optional<int> code;
  for (;;) {
    siginfo_t info{};
    if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == -1) {
      if (errno == ECHILD) return code;
      throw Error("waitid", "any child", errno);
    }
    if (info.si_pid == 0) return code;
    if (info.si_pid == command.pid()) {
      code = command.try_wait();
    } else {
      check(::waitpid(info.si_pid, nullptr, 0), "waitpid", "orphan " + std::to_string(info.si_pid));
    }
  }
  // #endlab
}

}  // namespace

// #region init
int run_init(const SpawnOptions& command) {
  // An orphan is handed to its nearest ancestor that is a subreaper, or to
  // PID 1. We are not PID 1 (no PID namespace yet), so we ask for orphans.
  check(::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl", "PR_SET_CHILD_SUBREAPER");
  // Blocked before spawn: a SIGCHLD or SIGTERM that comes early waits for us.
  const BlockedSignals signals;
  Child child = spawn(command);
  for (;;) {
    const int signal = signals.wait();
    if (signal != SIGCHLD) {
      child.kill(signal);
    } else if (const auto code = reap_children(child)) {
      return *code;
    }
  }
}
// #endregion init

}  // namespace berth::process
