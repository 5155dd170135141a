// What both drivers share: choosing one, paths, and the units of the limits.
#include "cgroup/cgroup.h"

#include <linux/magic.h>
#include <sys/vfs.h>

#include <cctype>
#include <charconv>
#include <limits>
#include <sstream>

#include "cgroup/drivers.h"
#include "cgroup/files.h"
#include "common/error.h"

namespace berth::cgroup {

Version detect_version() {
  // #region detect-version
  // On a v2 host /sys/fs/cgroup is the cgroup2 filesystem itself; on a v1
  // (or hybrid) host it is a tmpfs holding one mount per hierarchy.
  struct statfs info {};
  check(::statfs(std::string(kCgroupRoot).c_str(), &info), "statfs", kCgroupRoot);
  return info.f_type == CGROUP2_SUPER_MAGIC ? Version::v2 : Version::v1;
  // #endregion detect-version
}

std::string_view to_string(Version version) {
  return version == Version::v2 ? "v2" : "v1";
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::istringstream in(path);
  for (std::string part; std::getline(in, part, '/');) {
    if (part.empty() || part == "." || part == "..") {
      throw Error("cgroup", path, "not a relative path of names (like berth/NAME)");
    }
    parts.push_back(part);
  }
  if (parts.empty() || path.back() == '/') {
    throw Error("cgroup", path, "not a relative path of names (like berth/NAME)");
  }
  return parts;
}

std::unique_ptr<Cgroup> create(const std::string& path, const Limits& limits) {
  split_path(path);
  return detect_version() == Version::v2 ? create_v2(path, limits) : create_v1(path, limits);
}

std::unique_ptr<Cgroup> open(const std::string& path) {
  split_path(path);
  return detect_version() == Version::v2 ? open_v2(path) : open_v1(path);
}

void remove_empty(const std::string& path) {
  split_path(path);
  if (detect_version() == Version::v2) {
    remove_directory(v2_directory(path));
    return;
  }
  for (const auto& dir : v1_directories(path)) {
    remove_directory(dir);
  }
}

std::uint64_t weight_from_shares(std::uint64_t shares) {
  if (shares < 2) {
    shares = 2;
  }
  if (shares > 262144) {
    shares = 262144;
  }
  return 1 + ((shares - 2) * 9999) / 262142;
}

std::uint64_t parse_memory_size(std::string_view text) {
  const auto invalid = [&] {
    return Error("memory size", text, "expected a number with an optional unit b, k, m or g");
  };
  std::uint64_t number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc{} || end == text.data()) {
    throw invalid();
  }
  const std::string_view unit = text.substr(static_cast<std::size_t>(end - text.data()));
  int shift = 0;
  if (unit.size() > 1) {
    throw invalid();
  }
  if (!unit.empty()) {
    switch (std::tolower(static_cast<unsigned char>(unit[0]))) {
      case 'b':
        shift = 0;
        break;
      case 'k':
        shift = 10;
        break;
      case 'm':
        shift = 20;
        break;
      case 'g':
        shift = 30;
        break;
      default:
        throw invalid();
    }
  }
  if (number > (std::numeric_limits<std::uint64_t>::max() >> shift)) {
    throw Error("memory size", text, "too large");
  }
  return number << shift;
}

}  // namespace berth::cgroup
