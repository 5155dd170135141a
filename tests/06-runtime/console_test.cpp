// A process set up by set_up_console has a terminal for stdin, stdout,
// stderr and controlling terminal; whoever holds the console socket gets the
// master and talks to the process through it.
#include "runtime/console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "common/fd.h"
#include "process/process.h"
#include "support/support.h"

using namespace berth::test;
namespace runtime = berth::runtime;
namespace process = berth::process;
using berth::UniqueFd;

namespace {

struct SocketPair {
  UniqueFd ours;
  UniqueFd theirs;
};

SocketPair socket_pair() {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  return {UniqueFd{fds[0]}, UniqueFd{fds[1]}};
}

// Reads from a pty master until `text` has arrived, or the terminal is hung
// up (EIO: every slave closed), or 60 s passed with nothing to read.
std::string read_until(int master, const std::string& text) {
  std::string got;
  while (got.find(text) == std::string::npos) {
    pollfd fd{master, POLLIN, 0};
    if (::poll(&fd, 1, 60'000) != 1) break;
    char buffer[256];
    const ssize_t n = ::read(master, buffer, sizeof buffer);
    if (n <= 0) break;
    got.append(buffer, static_cast<std::size_t>(n));
  }
  return got;
}

// What the child's shell prints about its terminal. `tty` names the terminal
// of stdin; `-t` tests the others; /dev/tty opens only for a process that
// has a controlling terminal.
const std::string kTerminalScript =
    "tty; [ -t 1 ] && [ -t 2 ] && echo stdio-is-tty; echo ctty > /dev/tty; echo hello; "
    "read line; echo \"got $line\"";

// Runs kTerminalScript in a child whose before_exec runs `prepare` and then
// set_up_console, and talks to it through the master it sends. Returns the
// name the master came with and everything the child wrote.
std::pair<std::string, std::string> run_in_console(int clone_flags,
                                                   const std::function<void()>& prepare) {
  SocketPair sockets = socket_pair();
  process::SpawnOptions options;
  options.argv = {"/bin/sh", "-c", kTerminalScript};
  options.clone_flags = clone_flags;
  options.before_exec = [&] {
    if (prepare) prepare();
    runtime::set_up_console(std::move(sockets.theirs));
  };
  process::Child child = process::spawn(options);
  sockets.theirs.reset();
  runtime::ReceivedFd master = runtime::receive_fd(sockets.ours.get());
  std::string output = read_until(master.fd.get(), "hello\r\n");
  // The terminal echoes what we type, and ONLCR turns \n into \r\n.
  REQUIRE(::write(master.fd.get(), "bye\n", 4) == 4);
  output += read_until(master.fd.get(), "got bye\r\n");
  CHECK(child.wait() == 0);
  return {master.name, output};
}

}  // namespace

TEST_CASE("console: the process's stdio is a terminal, its master is sent", "[console]") {
  const auto [name, output] = run_in_console(0, {});
  CHECK(name.starts_with("/dev/pts/"));
  CHECK(output == name + "\r\nstdio-is-tty\r\nctty\r\nhello\r\nbye\r\ngot bye\r\n");
}

TEST_CASE("console: from a devpts of its own, the terminal is /dev/pts/0", "[console]") {
  // What a container sees: /dev/pts is a new devpts instance, /dev/ptmx its
  // ptmx. Only in the child's mount namespace, which ends with it.
  const auto private_devpts = [] {
    berth::check(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), "mount", "/");
    berth::check(::mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                         "newinstance,ptmxmode=0666,mode=0620"),
                 "mount devpts", "/dev/pts");
    berth::check(::mount("/dev/pts/ptmx", "/dev/ptmx", nullptr, MS_BIND, nullptr), "mount",
                 "/dev/ptmx");
  };
  const auto [name, output] = run_in_console(CLONE_NEWNS, private_devpts);
  CHECK(name == "/dev/pts/0");
  CHECK(output == "/dev/pts/0\r\nstdio-is-tty\r\nctty\r\nhello\r\nbye\r\ngot bye\r\n");
}

TEST_CASE("console: send_fd and receive_fd over a listening socket", "[console]") {
  const TempDir dir;
  const std::string path = (dir / "console.sock").string();
  UniqueFd listener{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  path.copy(address.sun_path, sizeof address.sun_path - 1);
  REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(listener.get(), 1) == 0);

  const UniqueFd client = runtime::connect_console_socket(path);
  const UniqueFd server{::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC)};
  REQUIRE(server.valid());
  berth::Pipe pipe = berth::make_pipe();
  runtime::send_fd(client.get(), pipe.read_end.get(), "the pipe");
  runtime::send_fd(client.get(), pipe.read_end.get(), "");
  pipe.read_end.reset();

  runtime::ReceivedFd first = runtime::receive_fd(server.get());
  CHECK(first.name == "the pipe");
  const runtime::ReceivedFd second = runtime::receive_fd(server.get());
  CHECK(second.name == std::string(1, '\0'));
  // The same pipe, arrived: what we write comes out of the fd received.
  REQUIRE(::write(pipe.write_end.get(), "x", 1) == 1);
  char byte = 0;
  CHECK(::read(first.fd.get(), &byte, 1) == 1);
  CHECK(byte == 'x');
  CHECK((::fcntl(first.fd.get(), F_GETFD) & FD_CLOEXEC) != 0);
}

TEST_CASE("console: errors name the socket", "[console]") {
  const TempDir dir;
  const std::string missing = (dir / "missing.sock").string();
  CHECK_THROWS_WITH(runtime::connect_console_socket(missing),
                    "connect " + missing + ": no such file or directory");
  const std::string long_path = "/" + std::string(200, 'x');
  CHECK_THROWS_WITH(runtime::connect_console_socket(long_path),
                    "connect " + long_path + ": file name too long");
  SocketPair sockets = socket_pair();
  sockets.theirs.reset();
  CHECK_THROWS_WITH(runtime::receive_fd(sockets.ours.get()), "recvmsg the console socket: closed");
}
