// Forwarding signals: Ctrl-C and `kill` reach the program we started.
//
// A signal sent to the engine is not sent to its child: the terminal's Ctrl-C
// does reach the whole foreground process group, but `kill PID` or a service
// manager's SIGTERM reaches only the engine. So the engine passes it on.
#include <errno.h>
#include <signal.h>

#include "common/error.h"
#include "process/process.h"

namespace berth::process {

// #region blocked-signals
BlockedSignals::BlockedSignals() {
  ::sigemptyset(&blocked_);
  for (const int signal : {SIGINT, SIGTERM, SIGHUP, SIGCHLD}) {
    ::sigaddset(&blocked_, signal);
  }
  // sigprocmask sets the mask of the calling thread, which is the whole
  // process only because we have one thread (see process.h).
  check(::sigprocmask(SIG_BLOCK, &blocked_, &previous_), "sigprocmask", "block signals");
}

BlockedSignals::~BlockedSignals() {
  ::sigprocmask(SIG_SETMASK, &previous_, nullptr);
}

int BlockedSignals::wait() const {
  for (;;) {
    const int signal = ::sigwaitinfo(&blocked_, nullptr);
    if (signal != -1) return signal;
    if (errno != EINTR) throw Error("sigwaitinfo", "", errno);
  }
}
// #endregion blocked-signals

int wait_forwarding_signals(Child& child) {
  const BlockedSignals signals;
  // #lab 01 forward-signals: Wait for the child to end; pass on every signal we get meanwhile.
  // #hint signals.wait() waits for the next of SIGINT, SIGTERM, SIGHUP and SIGCHLD.
  // #hint SIGCHLD only says a child changed state: child.try_wait() tells if it ended.
  // #hint Call try_wait() before each wait(): an early SIGCHLD may have come and gone.
  // #hint Pass any other signal on with child.kill(signal).
  for (;;) {
    if (const auto code = child.try_wait()) return *code;
    if (const int signal = signals.wait(); signal != SIGCHLD) child.kill(signal);
  }
  // #endlab
}

}  // namespace berth::process
