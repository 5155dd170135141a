// runtime/console — a terminal for the container, handed to whoever asked.
//
// Chapter 06. With process.terminal true, the container's process gets a
// pseudo-terminal as its stdin, stdout, stderr and controlling terminal. The
// runtime does not keep the other end (the master): it sends it, as an
// SCM_RIGHTS message, over the unix socket named by --console-socket, to the
// program that started the runtime (conmon, containerd's shim, a test). That
// program then relays the terminal, and the runtime can exit.
//
// The pty is opened inside the container, from its own /dev/pts (a devpts
// instance of its own), so that the container sees its terminal as
// /dev/pts/0 and cannot reach the host's terminals.
#pragma once

#include <string>

#include "common/fd.h"

namespace berth::runtime {

// Connects to the unix socket at `path` (in the parent, before the root
// switch hides the host's paths). Throws berth::Error naming the path.
UniqueFd connect_console_socket(const std::string& path);

// In the container's process, after the root switch: opens a pty pair from
// /dev/ptmx, sends the master over `socket` (closing it afterwards), and makes
// the slave our stdin, stdout, stderr and controlling terminal (setsid,
// TIOCSCTTY). Throws berth::Error naming the step.
void set_up_console(UniqueFd socket);

// Sends `fd` over the unix socket `socket` as SCM_RIGHTS, with `name` as the
// message's bytes (set_up_console sends the slave's path, "/dev/pts/0"; an
// empty name goes as one NUL byte). Throws berth::Error.
void send_fd(int socket, int fd, const std::string& name);

// The other end of send_fd: what the program holding the console socket
// (or berth-runtime itself, for `run` in a terminal) receives.
struct ReceivedFd {
  UniqueFd fd;       // O_CLOEXEC
  std::string name;  // the message's bytes
};

// Receives one fd sent by send_fd over `socket`. Throws berth::Error when
// the message carries no fd (or the socket was closed).
ReceivedFd receive_fd(int socket);

}  // namespace berth::runtime
