// Parsing /etc/subuid and /etc/subgid (subuid(5)): "owner:start:count".
#include "ns/subid.h"

#include <charconv>
#include <string>

namespace berth::ns {
namespace {

// A decimal number that is the whole of `text`, or std::nullopt.
std::optional<std::uint64_t> parse_number(std::string_view text) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc{} || stop != end) return std::nullopt;
  return value;
}

// The next ':'-separated field of `line`, taken off its front.
std::string_view next_field(std::string_view& line) {
  const std::size_t colon = line.find(':');
  const std::string_view field = line.substr(0, colon);
  line = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
  return field;
}

// One line's range, when it is well formed and belongs to `user` or `id`.
std::optional<IdMapping> parse_line(std::string_view line, std::string_view user,
                                    std::uint32_t id) {
  if (line.empty() || line.front() == '#' || line.find(':') == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view owner = next_field(line);
  const auto start = parse_number(next_field(line));
  const auto count = parse_number(line);  // the rest: a fourth field is malformed
  if (owner != user && owner != std::to_string(id)) return std::nullopt;
  // Ids run from 0 to 4294967294: (uid_t)-1 stands for "no id" in system calls.
  constexpr std::uint64_t kIds = (std::uint64_t{1} << 32) - 1;
  if (!start || !count || *count == 0 || *start >= kIds || *count > kIds - *start) {
    return std::nullopt;
  }
  return IdMapping{.container_id = 0,
                   .host_id = static_cast<std::uint32_t>(*start),
                   .size = static_cast<std::uint32_t>(*count)};
}

}  // namespace

std::optional<IdMapping> find_subordinate_range(std::string_view text, std::string_view user,
                                                std::uint32_t id) {
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    if (const auto range = parse_line(line, user, id)) return range;
  }
  return std::nullopt;
}

}  // namespace berth::ns
