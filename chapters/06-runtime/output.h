// What berth-runtime prints: runc's formats, so that tools reading runc's
// output (podman, scripts) read ours.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "runtime/container.h"

namespace berth::chapters {

// `state ID`: the OCI state JSON.
void print_state(const runtime::Snapshot& snapshot);

// `list`: runc's table (ID PID STATUS BUNDLE CREATED OWNER), or with `json`
// an array of states; `quiet`: the ids only.
void print_list(const std::vector<runtime::Snapshot>& containers, bool json, bool quiet);

// `ps ID`: with `json`, an array of pids; otherwise a table of PID and CMD.
void print_processes(const std::vector<pid_t>& pids, bool json);

// `--version`, as runc prints it, naming the runtime-spec version we follow.
void print_version();

// Appends an error to the --log file in --log-format (text or json), as
// runc does; conmon reads it to tell podman why a command failed.
void log_error(const std::filesystem::path& log, bool json, const std::string& message);

}  // namespace berth::chapters
