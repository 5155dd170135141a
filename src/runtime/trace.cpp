// BERTH_TRACE=1: the time of each phase, on stderr.
#include "runtime/trace.h"

#include <fmt/core.h>

#include <cstdlib>
#include <string_view>

namespace berth::runtime {

Trace::Trace(std::string_view who)
    : who_(who), enabled_(false), last_(std::chrono::steady_clock::now()) {
  const char* value = std::getenv("BERTH_TRACE");
  enabled_ = value != nullptr && std::string_view(value) == "1";
}

void Trace::mark(std::string_view phase) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const std::chrono::duration<double, std::milli> took = now - last_;
  fmt::print(stderr, "berth-runtime trace: [{}] {} {:.2f} ms\n", who_, phase, took.count());
  (void)std::fflush(stderr);
  last_ = now;
}

}  // namespace berth::runtime
