// runc's output formats.
#include "output.h"

#include <fmt/core.h>
#include <pwd.h>

#include <algorithm>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "runtime/state.h"

namespace berth::chapters {
namespace {

using nlohmann::json;

std::string owner_name(const std::string& owner) {
  if (!owner.empty()) return owner;
  const passwd* entry = ::getpwuid(0);
  return entry != nullptr ? entry->pw_name : "root";
}

// The first line of /proc/PID/cmdline, its NULs as spaces.
std::string command_line(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/cmdline");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  while (!text.empty() && text.back() == '\0') {
    text.pop_back();
  }
  std::ranges::replace(text, '\0', ' ');
  return text;
}

}  // namespace

void print_state(const runtime::Snapshot& snapshot) {
  fmt::print("{}\n", runtime::to_json(snapshot.state, snapshot.status));
}

void print_list(const std::vector<runtime::Snapshot>& containers, bool as_json, bool quiet) {
  if (quiet) {
    for (const auto& c : containers) {
      fmt::print("{}\n", c.state.id);
    }
    return;
  }
  if (as_json) {
    json all = json::array();
    for (const auto& c : containers) {
      all.push_back(json::parse(runtime::to_json(c.state, c.status)));
    }
    fmt::print("{}\n", all.dump());
    return;
  }
  // Columns as wide as their widest cell, two spaces apart (Go's tabwriter,
  // as runc uses it).
  std::vector<std::vector<std::string>> rows = {
      {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
  for (const auto& c : containers) {
    const bool stopped = c.status == runtime::Status::stopped;
    rows.push_back({c.state.id, stopped ? "0" : std::to_string(c.state.pid),
                    std::string(runtime::name(c.status)), c.state.bundle, c.state.created,
                    owner_name(c.state.owner)});
  }
  std::vector<std::size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += i + 1 < row.size() ? fmt::format("{:<{}}  ", row[i], widths[i]) : row[i];
    }
    fmt::print("{}\n", line);
  }
}

void print_processes(const std::vector<pid_t>& pids, bool as_json) {
  if (as_json) {
    fmt::print("{}\n", json(pids).dump());
    return;
  }
  fmt::print("{:>7}  {}\n", "PID", "CMD");
  for (const pid_t pid : pids) {
    fmt::print("{:>7}  {}\n", pid, command_line(pid));
  }
}

void print_version() {
  fmt::print("berth-runtime version 0.6.0\nspec: 1.0.2-dev\n");
}

void log_error(const std::filesystem::path& log, bool as_json, const std::string& message) {
  std::ofstream file(log, std::ios::app);
  if (!file) return;
  const std::string time = runtime::rfc3339_now();
  if (as_json) {
    file << json{{"level", "error"}, {"msg", message}, {"time", time}}.dump() << "\n";
  } else {
    file << fmt::format("time=\"{}\" level=error msg=\"{}\"\n", time, message);
  }
}

}  // namespace berth::chapters
