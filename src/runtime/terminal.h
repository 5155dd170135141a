// runtime/terminal — `run` in a terminal of its own, as `runc run` does.
//
// Chapter 06. With process.terminal true, the container's process gets a
// pseudo-terminal and its master goes to whoever listens on --console-socket
// (console.h). Typed by a person, `berth-runtime run` has no such listener:
// then berth-runtime takes the master itself and relays between it and its
// own terminal, in raw mode, so that every key (Ctrl-C too) reaches the
// container's terminal, which does the line editing and signals itself.
#pragma once

#include "common/fd.h"
#include "ns/container.h"

namespace berth::runtime {

// Relays between our stdin/stdout and `master` until the container's side is
// closed (the process ended), then waits for `container` and returns its
// exit code. Our stdin, if a terminal, is in raw mode meanwhile, with the
// container's terminal given its size. SIGINT, SIGTERM and SIGHUP sent to
// us (blocked, see process::BlockedSignals) are passed on to the container.
int relay_terminal(const UniqueFd& master, ns::Container& container);

}  // namespace berth::runtime
