// Parsing /proc/self/mountinfo.
#include "rootfs/mountinfo.h"

#include <cerrno>
#include <fstream>
#include <iterator>
#include <sstream>

#include "common/error.h"

namespace berth::rootfs {
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

}  // namespace

std::vector<MountEntry> parse_mountinfo(std::string_view text) {
  std::vector<MountEntry> mounts;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string id, parent, device, root, mount_point, options, field;
    if (!(fields >> id >> parent >> device >> root >> mount_point >> options)) continue;
    // Optional fields ("shared:1", "master:2") until a lone "-".
    while (fields >> field && field != "-") {
    }
    std::string type, source, super_options;
    if (field != "-" || !(fields >> type >> source >> super_options)) continue;
    mounts.push_back({unescape(root), unescape(mount_point), type, super_options});
  }
  return mounts;
}

std::vector<MountEntry> read_mountinfo() {
  const char* file = "/proc/self/mountinfo";
  std::ifstream in(file);
  if (!in) throw Error("open", file, errno);
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  return parse_mountinfo(text);
}

}  // namespace berth::rootfs
