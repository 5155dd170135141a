#include "cgroup/hierarchies.h"

#include <sstream>

#include "cgroup/files.h"

namespace berth::cgroup {
namespace {

// mountinfo escapes a space, tab, newline and backslash in a path as \040,
// \011, \012 and \134: three octal digits after a backslash.
std::string unescape(std::string_view field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() &&
        field.substr(i + 1, 3).find_first_not_of("01234567") == std::string_view::npos) {
      out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                               (field[i + 3] - '0'));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, separator);) {
    parts.push_back(part);
  }
  return parts;
}

// The controllers named in a v1 mount's super options ("rw,cpu,cpuacct"):
// every option but the generic ones and name=... (a hierarchy with no
// controller, like systemd's).
std::vector<std::string> controllers_of(const std::string& super_options) {
  std::vector<std::string> controllers;
  for (auto& option : split(super_options, ',')) {
    if (option != "rw" && option != "ro" && option.find('=') == std::string::npos &&
        option != "noprefix" && option != "clone_children" && option != "xattr") {
      controllers.push_back(std::move(option));
    }
  }
  return controllers;
}

}  // namespace

std::vector<Hierarchy> parse_v1_hierarchies(std::string_view mountinfo) {
  // 32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
  // id parent dev root mount-point options [optional...] - type source super-options
  std::vector<Hierarchy> hierarchies;
  std::istringstream lines{std::string(mountinfo)};
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string id, parent, device, root, mount_point, options, field;
    if (!(fields >> id >> parent >> device >> root >> mount_point >> options)) {
      continue;
    }
    while (fields >> field && field != "-") {
    }
    std::string type, source, super_options;
    if (!(fields >> type >> source >> super_options) || type != "cgroup") {
      continue;
    }
    auto controllers = controllers_of(super_options);
    if (!controllers.empty()) {
      hierarchies.push_back({unescape(mount_point), std::move(controllers)});
    }
  }
  return hierarchies;
}

std::vector<Hierarchy> v1_hierarchies() {
  return parse_v1_hierarchies(read_file("/proc/self/mountinfo"));
}

}  // namespace berth::cgroup
