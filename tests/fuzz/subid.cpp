// Fuzz target: the /etc/subuid parser (ns/subid.h). The file is the host
// administrator's, but newuidmap-style tools must not trust its form, and a
// range that runs past the last id would map ids that do not exist. Input:
// the file's text.
#include "ns/subid.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text{reinterpret_cast<const char*>(data), size};
  const auto range = berth::ns::find_subordinate_range(text, "root", 0);
  if (!range) return 0;

  // The contract: a mapping of container id 0 onto a range of at least one
  // id that stays below 4294967295, from a file with a line of root's.
  if (range->container_id != 0 || range->size == 0) std::abort();
  if (std::uint64_t{range->host_id} + range->size > 0xffffffffULL) std::abort();
  const std::string lines = "\n" + std::string(text);
  if (lines.find("\nroot:") == std::string::npos && lines.find("\n0:") == std::string::npos) {
    std::abort();
  }
  return 0;
}
