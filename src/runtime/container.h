// runtime/container — the OCI lifecycle: create, start, state, kill, delete.
//
// Chapter 06. runtime.md specifies a container as a small state machine
// driven by separate commands, each a short-lived process:
//
//   create ──▶ created ──start──▶ running ──(process ends)──▶ stopped ──delete──▶ (gone)
//                 │                  │
//                 └──── kill ────────┘
//
// `create` sets everything up, the namespaces, root, cgroup, capabilities
// and seccomp, and leaves the container's process waiting just before exec;
// `start` lets it exec the command. The split gives the caller (podman's
// conmon, containerd's shim) a moment between the two in which the
// container exists but runs nothing of the image: to attach to its stdio,
// set up its network namespace, or record its pid. The wait is on a fifo in
// the state directory (state.h): the process opens it for writing, which
// blocks until `start` opens it for reading.
//
// Every function throws berth::Error naming the container and what failed:
//     container web: exists already
//     container web: cannot start: it is running
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/state.h"

namespace berth::runtime {

struct CreateOptions {
  std::string id;
  std::filesystem::path bundle{"."};         // holds config.json
  std::filesystem::path root{kDefaultRoot};  // the state root
  std::string pid_file;                      // where to write the process's pid; "" for none
  std::string console_socket;                // for process.terminal; "" for none
  bool no_pivot = false;                     // chroot-like switch for roots on ramfs
  int preserve_fds = 0;                      // descriptors 3.. passed on to the command
};

// Creates the container and returns, leaving its process waiting for start.
// Nothing is left behind when it fails (state, cgroup, process).
void create(const CreateOptions& options);

// Lets a created container's process exec its command; runs the poststart
// hooks (their failure is logged only).
void start(const std::filesystem::path& root, const std::string& id);

// create and start. `detach`: return once it runs, and leave it. Otherwise
// wait for it, passing on the signals we get, and return its exit code;
// then delete it unless `keep`.
int run(const CreateOptions& options, bool detach, bool keep);

// The container's state and its status, now.
struct Snapshot {
  State state;
  Status status = Status::stopped;
};
Snapshot state(const std::filesystem::path& root, const std::string& id);

// Every container under `root`, sorted by id.
std::vector<Snapshot> list(const std::filesystem::path& root);

// Freezes every process of a running container where it stands (its cgroup's
// freezer, chapter 04), and lets them go on. The status reads "paused" in
// between.
void pause(const std::filesystem::path& root, const std::string& id);
void resume(const std::filesystem::path& root, const std::string& id);

// Sends `signal` to the container's process, or with `all`, to every
// process in its cgroup. An error for a stopped container.
void kill(const std::filesystem::path& root, const std::string& id, int signal, bool all);

// Deletes a stopped (or created) container: its cgroup, the poststop hooks,
// its state. `force`: kill it first if it runs.
void remove(const std::filesystem::path& root, const std::string& id, bool force);

// The pids (as the host sees them) of the container's processes.
std::vector<pid_t> processes(const std::filesystem::path& root, const std::string& id);

// A signal from its name or number, as kill(1) takes it: "KILL", "SIGKILL",
// "9". Throws berth::Error naming the text otherwise.
int parse_signal(std::string_view text);

}  // namespace berth::runtime
