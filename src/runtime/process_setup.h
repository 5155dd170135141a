// runtime/process_setup — what the container's own process does, from clone
// to the exec of the bundle's command.
//
// Chapter 06. `create` (container.h) clones the container's process in its
// new namespaces (chapter 03); everything after that happens in the process
// itself, in this order (runc's, so that each step still has the rights it
// needs and nothing it does is undone by a later step):
//
//   join      namespaces given by path in config.json (setns)
//   root      the bundle's mounts and devices (mounts.h); createContainer
//             hooks; pivot_root; read-only root, masked and read-only
//             paths, sysctl
//   terminal  a pty, its master sent over --console-socket (console.h)
//   limits    rlimits, while we may still raise hard limits
//   identity  uid/gid/groups, keeping the capabilities across setuid
//             (SECBIT_NO_SETUID_FIXUP), then the five capability sets,
//             bounding set first; no_new_privs
//   seccomp   last of the setup: nothing after it may be refused by it
//             (but first of all, when no_new_privs is off: loading a filter
//             then needs CAP_SYS_ADMIN, which the identity step drops)
//   ready     `create` returns here: the process waits on the exec fifo
//   start     `start` opens the fifo; startContainer hooks; exec
//
// The steps up to "ready" run as a child hook of ns::start (errors reach
// `create`); the wait and exec are the entrypoint (errors are printed on
// stderr and end the process, as the command's own would).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "common/fd.h"
#include "runtime/config.h"
#include "runtime/state.h"

namespace berth::runtime {

// What the container's process gets from `create`: opened before clone, so
// that the host's paths are still reachable.
struct ProcessContext {
  const Config* config = nullptr;
  std::filesystem::path rootfs;  // absolute, on the host
  bool no_pivot = false;
  int preserve_fds = 0;     // --preserve-fds: 3 .. 3+N-1 pass to the command
  State state;              // for the hooks' stdin (pid is filled in by the child)
  int exec_fifo = -1;       // O_PATH of ROOT/ID/exec.fifo
  int console_socket = -1;  // connected --console-socket, or -1
  int state_lock = -1;      // the state directory's lock, which the child must not hold
  std::vector<std::pair<NamespaceType, UniqueFd>> join;  // namespaces to setns into
};

// The steps up to "ready" (see above). Throws berth::Error naming the step.
void set_up_process(ProcessContext& context);

// Refuses, before `create` returns, a command that is not there to run, as
// runc does: the error reaches the caller, not a log nobody reads.
void check_command(const Process& process);

// The confinement of the steps "limits" to "seccomp" (see above), for
// `process` in the container of `config`: also for `exec`'s processes.
void confine(const Config& config, const Process& process);

// Execs `process`'s command (with HOME from the container's /etc/passwd when
// process.env has none, as runc does), with only stdio and descriptors 3 to
// 3+preserve_fds-1 open and no signal blocked. Returns only on failure, as
// wait_for_start_and_exec().
int exec_command(const Process& process, int preserve_fds);

// Waits for `start`, runs the startContainer hooks and execs the command.
// Returns only on failure, with the exit code to end with (127: the command
// was not found; 126: it could not be run; 1 otherwise), having printed why.
int wait_for_start_and_exec(const ProcessContext& context);

}  // namespace berth::runtime
