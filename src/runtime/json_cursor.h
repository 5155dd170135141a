// A position in a parsed JSON document that knows its own path.
//
// config.json is walked field by field by hand, rather than with nlohmann's
// from_json, so that every refusal can say where it is: each Cursor carries
// the path from the document's root ("linux.namespaces[1].type") and the
// name of the document, and every check that fails throws berth::Error
// "SOURCE: PATH: REASON". Internal to runtime/.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::runtime {

class Cursor {
 public:
  // The document's root; `source` names it in errors.
  Cursor(const nlohmann::json& value, std::string_view source);

  // Throws berth::Error "SOURCE: PATH: REASON".
  [[noreturn]] void fail(std::string_view reason) const;

  // The member `key` of this object; fails "missing" when absent or null.
  Cursor operator[](std::string_view key) const;
  // The member `key` of this object, or nothing when absent or null.
  std::optional<Cursor> find(std::string_view key) const;
  // The elements of this array.
  std::vector<Cursor> items() const;

  std::string string() const;
  bool boolean() const;
  std::vector<std::string> strings() const;
  std::map<std::string, std::string> string_map() const;

  // An integer that fits T; fails naming T's range otherwise.
  template <typename T>
  T integer() const {
    const auto [negative, magnitude] = whole_number();
    if (negative ? !std::in_range<T>(-static_cast<std::int64_t>(magnitude - 1) - 1)
                 : !std::in_range<T>(magnitude)) {
      out_of_range(negative, magnitude, static_cast<std::int64_t>(std::numeric_limits<T>::min()),
                   static_cast<std::uint64_t>(std::numeric_limits<T>::max()));
    }
    return negative ? static_cast<T>(-static_cast<std::int64_t>(magnitude - 1) - 1)
                    : static_cast<T>(magnitude);
  }

 private:
  Cursor(const nlohmann::json& value, std::string path, std::string_view source);

  // The value as sign and magnitude; fails when it is not a whole number.
  std::pair<bool, std::uint64_t> whole_number() const;
  [[noreturn]] void out_of_range(bool negative, std::uint64_t magnitude, std::int64_t min,
                                 std::uint64_t max) const;
  [[noreturn]] void expected(std::string_view what) const;
  const nlohmann::json& object() const;

  const nlohmann::json* value_;
  std::string path_;
  std::string_view source_;
};

}  // namespace berth::runtime
