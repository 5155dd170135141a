// Minimal levelled logging to stderr.
//
// The level comes from the environment, read once: BERTH_LOG=debug|info|warn|error
// (default: warn). Messages are formatted with fmt, so arguments are checked
// at compile time:
//
//     log::debug("pivot_root into {}", rootfs);
#pragma once

#include <fmt/core.h>

#include <string_view>

namespace berth::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

// The level in force (from BERTH_LOG).
Level threshold();

// Writes one line "berth[pid] LEVEL: message" to stderr.
void write(Level level, std::string_view message);

template <typename... Args>
void debug(fmt::format_string<Args...> format, Args&&... args) {
  if (threshold() <= Level::debug) {
    write(Level::debug, fmt::format(format, std::forward<Args>(args)...));
  }
}

template <typename... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
  if (threshold() <= Level::info) {
    write(Level::info, fmt::format(format, std::forward<Args>(args)...));
  }
}

template <typename... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
  if (threshold() <= Level::warn) {
    write(Level::warn, fmt::format(format, std::forward<Args>(args)...));
  }
}

template <typename... Args>
void error(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::error, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace berth::log
