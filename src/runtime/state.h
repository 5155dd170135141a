// runtime/state — what the runtime remembers about each container, and the
// lock that makes concurrent commands on one container safe.
//
// Chapter 06. berth-runtime is not a daemon: every command (create, start,
// state, kill, delete) is a new process that must find what an earlier one
// left. Like runc, it keeps one directory per container under the state
// root (--root, /run/berth-runtime by default):
//
//   ROOT/ID/state.json   the state: the OCI fields and what berth needs later
//   ROOT/ID/exec.fifo    exists from create until start (container.h)
//
// A command locks ROOT/ID (flock(2) on the directory) for as long as it
// works on the container, so `start` and `delete` of one container cannot
// interleave. The status is not stored but read from the kernel each time:
// a container stops when its process ends, and nobody tells the runtime.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/fd.h"

namespace berth::runtime {

// The OCI lifecycle (runtime.md): creating while `create` works, created
// once the process waits for `start`, running after it, stopped once the
// process has ended; and runc's paused, while `pause` has frozen its cgroup.
enum class Status { creating, created, running, paused, stopped };

// "created", ...: the spelling of the state JSON.
std::string_view name(Status status);

// The default state root, as runc's is /run/runc.
inline constexpr std::string_view kDefaultRoot = "/run/berth-runtime";

struct State {
  // The OCI state (runtime.md "State").
  std::string oci_version;  // of the bundle's config.json
  std::string id;
  pid_t pid = 0;        // the container's process, as the host sees it
  std::string bundle;   // absolute path
  std::string rootfs;   // absolute path
  std::string created;  // RFC 3339 UTC time of create, with nanoseconds
  std::string owner;    // "" as runc's, for root
  std::map<std::string, std::string> annotations;
  // Berth's own.
  std::uint64_t start_time = 0;  // the process's start (/proc/PID/stat): tells it from a
                                 // later process that got the same pid
  std::string cgroup;            // the cgroup path, relative to the hierarchies
};

// The state JSON of `state` with `status`: what `berth-runtime state` prints
// and hooks read on stdin (the OCI fields only, indented with two spaces).
std::string to_json(const State& state, Status status);

// The status of the container `state` describes, from the kernel: stopped
// when its process is gone (or a zombie, or another process with its pid);
// created while `exec_fifo` exists; running otherwise.
Status status_of(const State& state, const std::filesystem::path& exec_fifo);

// When the process `pid` started (field 22 of /proc/PID/stat), or 0 if
// there is no such process.
std::uint64_t process_start_time(pid_t pid);

// The directory of one container under the state root, locked for as long as
// the object lives.
class ContainerDir {
 public:
  // Makes ROOT/ID (and ROOT), locked. Throws berth::Error if the id is not
  // a valid name ("container id "a/b": only letters, digits, and . _ + -"), or
  // if it exists: "container ID: exists already".
  static ContainerDir make(const std::filesystem::path& root, const std::string& id);

  // Opens ROOT/ID and locks it. Throws berth::Error "container ID: does not
  // exist" if there is none.
  static ContainerDir open(const std::filesystem::path& root, const std::string& id);

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path exec_fifo() const { return path_ / "exec.fifo"; }
  // The locked descriptor, for a child process to close (it inherits it,
  // and with it the lock).
  int lock_fd() const { return lock_.get(); }

  // Reads state.json. Throws berth::Error naming the file if it is missing
  // (a create still working, or one that died) or unreadable.
  State read() const;

  // Replaces state.json atomically (a temporary file, then rename), so a
  // reader sees the old or the new state, never half of one. No fsync: the
  // state root is on a tmpfs (/run), which a crash empties anyway, as runc's.
  void write(const State& state) const;

  // Removes the directory and everything in it. The object is unusable after.
  void remove();

 private:
  ContainerDir(std::filesystem::path path, UniqueFd lock)
      : path_(std::move(path)), lock_(std::move(lock)) {}

  std::filesystem::path path_;
  UniqueFd lock_;  // the directory, open and flock'ed
};

// The ids of the containers under `root`, sorted. None if `root` is missing.
std::vector<std::string> list_ids(const std::filesystem::path& root);

// The current time as RFC 3339 with nanoseconds, UTC: "2026-11-28T05:01:21.123456789Z".
std::string rfc3339_now();

}  // namespace berth::runtime
