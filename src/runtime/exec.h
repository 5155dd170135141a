// runtime/exec — run another process in a running container (`exec`).
//
// Chapter 06. The new process joins the container's namespaces, root and
// cgroup (as chapter 03's `enter` did), and gets the same confinement as the
// container's first process: rlimits, user, capabilities, no_new_privs and
// seccomp, from its own process description (`--process FILE`) or from the
// container's config.json with the command line's changes. It is a child of
// berth-runtime, which waits for it and returns its exit code, or with
// `detach` leaves it running.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "runtime/config.h"

namespace berth::runtime {

struct ExecOptions {
  std::string process_file;       // --process: a process.json; else from config.json:
  std::vector<std::string> args;  //   the command,
  std::vector<std::string> env;   //   added variables (KEY=VALUE),
  std::string cwd;                //   another working directory,
  std::string user;               //   "UID[:GID]",
  bool tty = false;               //   and a terminal
  bool detach = false;
  std::string console_socket;
  std::string pid_file;
  int preserve_fds = 0;
};

// Returns the process's exit code (0 when detached). Throws berth::Error when
// the container is not running or the process cannot be started.
int exec(const std::filesystem::path& root, const std::string& id, const ExecOptions& options);

}  // namespace berth::runtime
