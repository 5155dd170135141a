// Relaying a container's terminal (see terminal.h).
#include "runtime/terminal.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "common/error.h"

namespace berth::runtime {
namespace {

// Our terminal in raw mode for as long as the object lives: no line
// editing, no echo, no signals from keys; the container's terminal does all
// of that, as if the keyboard were its own.
class RawMode {
 public:
  RawMode() : active_(::tcgetattr(STDIN_FILENO, &saved_) == 0) {
    if (!active_) return;  // not a terminal: nothing to change
    termios raw = saved_;
    ::cfmakeraw(&raw);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &raw);
  }
  ~RawMode() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  RawMode(const RawMode&) = delete;
  RawMode& operator=(const RawMode&) = delete;

 private:
  termios saved_{};
  bool active_;
};

// Copies what `from` has to `to`. False at its end (or error: for a pty
// master, EIO means every slave is closed).
bool copy(int from, int to) {
  char buffer[4096];
  const ssize_t n = ::read(from, buffer, sizeof buffer);
  if (n <= 0) return n == -1 && errno == EINTR;
  for (ssize_t done = 0; done < n;) {
    const ssize_t written = ::write(to, buffer + done, static_cast<std::size_t>(n - done));
    if (written == -1 && errno != EINTR) return false;
    if (written > 0) done += written;
  }
  return true;
}

// Passes on a signal that came for us (blocked, so pending) to the container.
void forward_pending_signals(ns::Container& container) {
  sigset_t forwarded;
  sigemptyset(&forwarded);
  for (const int signal : {SIGINT, SIGTERM, SIGHUP}) {
    sigaddset(&forwarded, signal);
  }
  const timespec now{};
  for (int signal = ::sigtimedwait(&forwarded, nullptr, &now); signal > 0;
       signal = ::sigtimedwait(&forwarded, nullptr, &now)) {
    container.kill(signal);
  }
}

}  // namespace

int relay_terminal(const UniqueFd& master, ns::Container& container) {
  winsize size{};
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0) ::ioctl(master.get(), TIOCSWINSZ, &size);
  {
    const RawMode raw;
    bool input_open = true;
    while (true) {
      pollfd fds[2] = {{.fd = master.get(), .events = POLLIN, .revents = 0},
                       {.fd = input_open ? STDIN_FILENO : -1, .events = POLLIN, .revents = 0}};
      if (::poll(fds, 2, 100) == -1 && errno != EINTR) throw Error("poll", "the terminal", errno);
      forward_pending_signals(container);
      if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0 &&
          !copy(master.get(), STDOUT_FILENO)) {
        break;  // the container's side is closed
      }
      if ((fds[1].revents & (POLLIN | POLLHUP)) != 0 && !copy(STDIN_FILENO, master.get())) {
        input_open = false;  // our stdin ended: the container may still write
      }
    }
  }
  return container.wait();
}

}  // namespace berth::runtime
