// Fuzz target: the PATH search (process/path_search.h). PATH comes from an
// image's configuration, so any string must be handled. Input: the program
// name, a NUL byte, then the PATH value.
#include "process/path_search.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input{reinterpret_cast<const char*>(data), size};
  const std::size_t split = input.find('\0');
  if (split == std::string_view::npos) return 0;
  const std::string_view program = input.substr(0, split);
  const std::string_view path = input.substr(split + 1);

  const auto candidates = berth::process::exec_candidates(program, path);

  // The contract: the program itself when it has a slash; otherwise one
  // candidate per PATH element, each ending in "/program".
  if (program.find('/') != std::string_view::npos) {
    if (candidates.size() != 1 || candidates[0] != program) std::abort();
    return 0;
  }
  const auto elements = static_cast<std::size_t>(std::count(path.begin(), path.end(), ':')) + 1;
  if (candidates.size() != elements) std::abort();
  for (const auto& candidate : candidates) {
    if (!std::string_view{candidate}.ends_with("/" + std::string{program})) std::abort();
  }
  return 0;
}
