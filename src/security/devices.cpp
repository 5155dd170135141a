// The device allow list, and the cgroup v1 way to enforce it.
#include "security/devices.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "common/error.h"
#include "common/fd.h"

namespace berth::security {
namespace {

// Writes `text` to the cgroup file at `path` in one write(2): each write to
// devices.allow or devices.deny is one rule.
void write_rule(const std::string& path, const std::string& text) {
  const UniqueFd fd{
      static_cast<int>(check(::open(path.c_str(), O_WRONLY | O_CLOEXEC), "open", path))};
  const ssize_t written = ::write(fd.get(), text.data(), text.size());
  if (written == -1) throw Error("write " + path, "\"" + text + "\"", errno);
}

std::string number(std::int64_t n) {
  return n < 0 ? "*" : std::to_string(n);
}

}  // namespace

std::string DeviceRule::to_string() const {
  if (type == 'a') return "a";
  return std::string(1, type) + " " + number(major) + ":" + number(minor) + " " + access;
}

const std::vector<DeviceRule>& default_device_rules() {
  static const std::vector<DeviceRule> rules = {
      {'c', -1, -1, "m"},     // mknod of any character device (not opening it)
      {'b', -1, -1, "m"},     // mknod of any block device (not opening it)
      {'c', 1, 3, "rwm"},     // /dev/null
      {'c', 1, 8, "rwm"},     // /dev/random
      {'c', 1, 7, "rwm"},     // /dev/full
      {'c', 5, 0, "rwm"},     // /dev/tty
      {'c', 1, 5, "rwm"},     // /dev/zero
      {'c', 1, 9, "rwm"},     // /dev/urandom
      {'c', 136, -1, "rwm"},  // /dev/pts/*
      {'c', 5, 2, "rwm"},     // /dev/ptmx
      {'c', 10, 200, "rwm"},  // /dev/net/tun
  };
  return rules;
}

void restrict_devices_v1(const std::string& cgroup_dir, const std::vector<DeviceRule>& rules) {
  // #region devices-v1
  // Deny everything first ("a" is all devices, all access), then open up.
  // The kernel keeps the result as a list it checks on every open and mknod.
  write_rule(cgroup_dir + "/devices.deny", "a");
  for (const auto& rule : rules) {
    write_rule(cgroup_dir + (rule.allow ? "/devices.allow" : "/devices.deny"), rule.to_string());
  }
  // #endregion devices-v1
}

void restrict_devices(const cgroup::Cgroup& group, const std::vector<DeviceRule>& rules) {
  const auto dir = group.directory_of("devices");
  if (!dir) {
    throw Error("restrict devices", group.path(), "no cgroup v1 devices hierarchy is mounted");
  }
  if (group.version() == cgroup::Version::v1) {
    restrict_devices_v1(dir->string(), rules);
    return;
  }
  const UniqueFd fd{static_cast<int>(
      check(::open(dir->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC), "open", dir->string()))};
  attach_device_program_v2(fd.get(), rules);
}

}  // namespace berth::security
