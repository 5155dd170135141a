// Fuzz target: mount options (runtime::parse_mount_options, runtime/mounts.h).
// A bundle's config.json lists them, so any strings must be handled. Input:
// the options, one per line.
#include <sys/mount.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "runtime/mounts.h"

namespace runtime = berth::runtime;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input{reinterpret_cast<const char*>(data), size};
  std::vector<std::string> options;
  for (std::size_t start = 0; start <= input.size();) {
    const std::size_t end = std::min(input.find('\n', start), input.size());
    options.emplace_back(input.substr(start, end - start));
    start = end + 1;
  }

  // The contract: refused exactly when an option is empty, naming the first.
  std::size_t first_empty = options.size();
  for (std::size_t i = 0; i < options.size() && first_empty == options.size(); ++i) {
    if (options[i].empty()) first_empty = i;
  }
  runtime::MountOptions parsed;
  try {
    parsed = runtime::parse_mount_options(options);
  } catch (const berth::Error& error) {
    const std::string place = "options[" + std::to_string(first_empty) + "]";
    if (first_empty == options.size() || !std::string_view{error.what()}.starts_with(place)) {
      std::abort();
    }
    return 0;
  }
  if (first_empty != options.size()) std::abort();

  // Otherwise it is a left fold of the options one by one: the data is the
  // options that are not flags, in order; every flag set comes from some
  // option; the propagation is the last option's that has one.
  std::string expected_data;
  unsigned long possible_flags = 0;
  unsigned long last_propagation = 0;
  for (const auto& option : options) {
    const auto one = runtime::parse_mount_options({option});
    if (!one.data.empty()) {
      if (one.data != option || one.flags != 0 || one.propagation != 0) std::abort();
      expected_data += (expected_data.empty() ? "" : ",") + option;
    }
    possible_flags |= one.flags;
    if (one.propagation != 0) last_propagation = one.propagation;
  }
  if (parsed.data != expected_data) std::abort();
  if ((parsed.flags & ~possible_flags) != 0) std::abort();
  if (parsed.propagation != last_propagation) std::abort();
  const unsigned long kinds = MS_PRIVATE | MS_SHARED | MS_SLAVE | MS_UNBINDABLE;
  if ((parsed.propagation & ~(kinds | MS_REC)) != 0) std::abort();
  return 0;
}
