#include "common/log.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

namespace berth::log {
namespace {

Level parse_level(const char* text) {
  if (text == nullptr) {
    return Level::warn;
  }
  const std::string_view name{text};
  if (name == "debug") return Level::debug;
  if (name == "info") return Level::info;
  if (name == "error") return Level::error;
  return Level::warn;
}

const char* level_name(Level level) {
  switch (level) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
  }
  return "?";
}

}  // namespace

Level threshold() {
  static const Level level = parse_level(std::getenv("BERTH_LOG"));
  return level;
}

void write(Level level, std::string_view message) {
  // One write() per line, so lines from several processes do not interleave.
  const std::string line =
      fmt::format("berth[{}] {}: {}\n", ::getpid(), level_name(level), message);
  [[maybe_unused]] auto written = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace berth::log
