// The container's terminal: a pty pair opened inside the container, its
// master passed out over a unix socket, its slave made the process's stdio.
#include "runtime/console.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace berth::runtime {

UniqueFd connect_console_socket(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  // sun_path is a fixed 108 bytes, NUL included.
  if (path.size() >= sizeof address.sun_path) throw Error("connect", path, ENAMETOOLONG);
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  UniqueFd socket{
      static_cast<int>(check(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket", path))};
  check(::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address),
        "connect", path);
  return socket;
}

// #region send-fd
void send_fd(int socket, int fd, const std::string& name) {
  // The fd travels in the message's control data; the kernel installs a
  // duplicate of it in the receiver. The data bytes carry the name, and a
  // stream socket needs at least one byte of data to carry control data.
  std::string data = name.empty() ? std::string(1, '\0') : name;
  iovec iov{data.data(), data.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof fd)] = {};
  msghdr message{};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof fd);
  std::memcpy(CMSG_DATA(header), &fd, sizeof fd);
  ssize_t n = 0;
  do {
    n = ::sendmsg(socket, &message, MSG_NOSIGNAL);
  } while (n == -1 && errno == EINTR);
  check(n, "sendmsg", "the console socket");
}
// #endregion send-fd

ReceivedFd receive_fd(int socket) {
  char data[4096];
  iovec iov{data, sizeof data};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr message{};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  ssize_t n = 0;
  do {
    n = ::recvmsg(socket, &message, MSG_CMSG_CLOEXEC);
  } while (n == -1 && errno == EINTR);
  check(n, "recvmsg", "the console socket");
  const cmsghdr* header = CMSG_FIRSTHDR(&message);
  if (header == nullptr || header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS ||
      header->cmsg_len != CMSG_LEN(sizeof(int))) {
    throw Error("recvmsg", "the console socket", n == 0 ? "closed" : "no file descriptor");
  }
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(header), sizeof fd);
  return ReceivedFd{UniqueFd{fd}, std::string(data, static_cast<std::size_t>(n))};
}

// #region set-up-console
void set_up_console(UniqueFd socket) {
  // /dev/ptmx is, in the container, a link to /dev/pts/ptmx: the pair comes
  // from the container's own devpts, and the slave is its /dev/pts/N.
  UniqueFd master{static_cast<int>(
      check(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC), "open", "/dev/ptmx"))};
  // A new slave is locked until its master says it is set up.
  check(::unlockpt(master.get()), "unlockpt", "/dev/ptmx");
  char name[64];
  if (const int error = ::ptsname_r(master.get(), name, sizeof name); error != 0) {
    throw Error("ptsname_r", "/dev/ptmx", error);
  }
  UniqueFd slave{
      static_cast<int>(check(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC), "open", name))};
  send_fd(socket.get(), master.get(), name);
  // The receiver holds its own copy now: ours would keep the terminal open
  // (no hangup) after the receiver closed it.
  master.reset();
  socket.reset();

  // A terminal becomes the controlling terminal of a session leader that
  // has none: a new session has none, and we lead it.
  check(::setsid(), "setsid");
  check(::ioctl(slave.get(), TIOCSCTTY, 0), "ioctl TIOCSCTTY", name);
  for (const int target : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) {
    check(::dup2(slave.get(), target), "dup2", name);
  }
}
// #endregion set-up-console

}  // namespace berth::runtime
