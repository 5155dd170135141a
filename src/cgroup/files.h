// Reading and writing cgroup files, with errors that name the file and value.
//
// Every cgroup knob is a small text file: a write of "67108864" to
// memory.max is the whole API. The kernel checks the value in write(), so the
// errno of that one write is the user's answer ("invalid argument"), and the
// message must say which file and which value it was.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::cgroup {

namespace fs = std::filesystem;

// Writes `value` to the file in one write(). Throws berth::Error
// "write VALUE to PATH: <errno text>".
void write_file(const fs::path& path, std::string_view value);

// The whole file. Throws berth::Error "read PATH: <errno text>".
std::string read_file(const fs::path& path);

// The file's number (a single line "123\n"). Throws berth::Error naming the
// file when it holds something else.
std::uint64_t read_number(const fs::path& path);

// The value of `key` in a flat-keyed file ("oom_kill 3" lines, as
// memory.events, memory.oom_control, cpu.stat, pids.events); std::nullopt
// when the file has no such key.
std::optional<std::uint64_t> read_key(const fs::path& path, std::string_view key);

// The pids listed in a cgroup.procs file.
std::vector<pid_t> read_pids(const fs::path& procs);

// Creates `dir` with mkdir; returns false if it already existed.
bool make_directory(const fs::path& dir);

// Creates the missing directories above `dir`, like `mkdir -p` of its
// parent. Returns those it made, outermost first.
std::vector<fs::path> make_parent_directories(const fs::path& dir);

// Removes each of `dirs` (innermost first, so give them outermost first)
// that nothing uses any more: a cgroup that still has a child cgroup or a
// process answers EBUSY, and is left alone. Throws berth::Error "rmdir DIR:
// <errno text>" on any other failure.
void remove_unused_directories(const std::vector<fs::path>& dirs);

// rmdir `dir`, retrying while the kernel still reports it busy (the last
// processes are still exiting), for up to a few seconds. A missing `dir` is
// fine. Throws berth::Error "rmdir DIR: <errno text>".
void remove_directory(const fs::path& dir);

// Sends SIGKILL to every process of each cgroup.procs in `procs_files` until
// they are all empty (processes may fork while we kill: we loop). Throws
// berth::Error naming the file if they do not empty within a few seconds.
void kill_until_empty(const std::vector<fs::path>& procs_files);

}  // namespace berth::cgroup
