// The two drivers behind cgroup::create(), and what they share.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cgroup/cgroup.h"

namespace berth::cgroup {

// Where cgroup filesystems are mounted on every systemd-era distribution.
inline constexpr std::string_view kCgroupRoot = "/sys/fs/cgroup";

// The path as relative components; throws berth::Error for "", "/x", "a//b",
// "." or "..", which would leave the hierarchy or name nothing.
std::vector<std::string> split_path(const std::string& path);

std::unique_ptr<Cgroup> create_v1(const std::string& path, const Limits& limits);
std::unique_ptr<Cgroup> create_v2(const std::string& path, const Limits& limits);
std::unique_ptr<Cgroup> open_v1(const std::string& path);
std::unique_ptr<Cgroup> open_v2(const std::string& path);

// The directory of `path` in each hierarchy that could hold it.
std::vector<std::filesystem::path> v1_directories(const std::string& path);
std::filesystem::path v2_directory(const std::string& path);

}  // namespace berth::cgroup
