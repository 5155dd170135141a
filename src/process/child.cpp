// Child: wait for a started process, signal it, and read its end.
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#include <string>
#include <utility>

#include "common/error.h"
#include "process/process.h"

namespace berth::process {
namespace {

std::string describe(pid_t pid) {
  return "process " + std::to_string(pid);
}

}  // namespace

Child::Child(Child&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), reaped_(other.reaped_), status_(other.status_) {
}

// Until a child is reaped, the kernel keeps its pid and exit status for the
// parent, and no other process can get that pid. So an unreaped child is safe
// to kill; a reaped one is not (its pid may have been handed out again).
Child::~Child() {
  if (pid_ <= 0 || reaped_) return;
  ::kill(pid_, SIGKILL);
  while (::waitpid(pid_, nullptr, 0) == -1 && errno == EINTR) {
  }
}

bool Child::reap(int options) {
  int status = 0;
  pid_t result = 0;
  do {
    result = ::waitpid(pid_, &status, options);
  } while (result == -1 && errno == EINTR);
  check(result, "waitpid", describe(pid_));
  if (result == 0) return false;  // WNOHANG, and still running
  reaped_ = true;
  status_ = status;
  return true;
}

int Child::wait() {
  if (!reaped_) reap(0);
  return exit_code_from_status(status_);
}

std::optional<int> Child::try_wait() {
  if (!reaped_ && !reap(WNOHANG)) return std::nullopt;
  return exit_code_from_status(status_);
}

void Child::kill(int signal) {
  if (reaped_) throw Error("kill", describe(pid_), ESRCH);
  check(::kill(pid_, signal), "kill", describe(pid_));
}

// The kernel packs how a process ended into one int, the wait status: the
// exit code, or the signal that killed it (and whether it dumped core).
// Shells unpack it into one number, and so does docker.
int exit_code_from_status(int wait_status) {
  // #lab 01 exit-code: Turn a wait status into the exit code a shell reports.
  // #hint WIFEXITED and WEXITSTATUS give N for exit(N).
  // #hint WIFSIGNALED and WTERMSIG give the signal S; a shell reports 128 + S.
  // #hint Nothing else can come: nobody asks waitpid for stopped children (WUNTRACED).
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  throw Error("exit code of wait status", std::to_string(wait_status), "neither exited nor killed");
  // #endlab
}

}  // namespace berth::process
