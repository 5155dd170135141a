#include "ch03.h"

#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

namespace berth::test::ch03 {

Sandbox::Sandbox() {
  fs::permissions(tmp.path(),
                  fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
}

CommandResult run_ch03(const fs::path& rootfs, const std::vector<std::string>& flags,
                       const std::vector<std::string>& command) {
  return run_container("berth-ch03", rootfs, flags, command);
}

CommandResult sh(const fs::path& rootfs, const std::vector<std::string>& flags,
                 const std::string& script) {
  return run_ch03(rootfs, flags, {"/bin/sh", "-c", script});
}

std::string hostname() {
  char name[256] = {};
  REQUIRE(::gethostname(name, sizeof name - 1) == 0);
  return name;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

std::string our_namespace(const std::string& name) {
  return fs::read_symlink("/proc/self/ns/" + name).string();
}

namespace {

// The value of a "Name:\tvalue" line of /proc/PID/status, or "".
std::string status_field(const std::string& pid, const std::string& name) {
  std::istringstream lines(read_file("/proc/" + pid + "/status"));
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(name + ":")) {
      const auto value = line.find_first_not_of(" \t", name.size() + 1);
      return value == std::string::npos ? "" : line.substr(value);
    }
  }
  return "";
}

}  // namespace

pid_t child_named(pid_t parent, const std::string& name) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (status_field(pid, "PPid") == std::to_string(parent) && status_field(pid, "Name") == name) {
      return std::stoi(pid);
    }
  }
  return 0;
}

pid_t wait_for_child(pid_t parent, const std::string& name) {
  // Generous: a loaded machine must not fail the test by being slow.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (const pid_t pid = child_named(parent, name)) return pid;
    // A zombie (Z), or reaped: there will be no child any more.
    const std::string state = status_field(std::to_string(parent), "State");
    if (state.empty() || state.starts_with("Z")) {
      FAIL("process " << parent << " ended before a child " << name << " appeared");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  FAIL("no child " << name << " of process " << parent << " appeared");
  return 0;
}

}  // namespace berth::test::ch03
