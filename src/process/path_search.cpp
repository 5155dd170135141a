#include "process/path_search.h"

#include <algorithm>

namespace berth::process {

std::vector<std::string> exec_candidates(std::string_view program, std::string_view path_variable) {
  if (program.find('/') != std::string_view::npos) return {std::string{program}};
  std::vector<std::string> candidates;
  for (std::size_t start = 0;;) {
    const std::size_t end = std::min(path_variable.find(':', start), path_variable.size());
    const std::string_view dir = path_variable.substr(start, end - start);
    candidates.push_back(std::string{dir.empty() ? "." : dir} + "/" + std::string{program});
    if (end == path_variable.size()) return candidates;
    start = end + 1;
  }
}

}  // namespace berth::process
