#include "runtime/json_cursor.h"

#include "common/error.h"

namespace berth::runtime {
namespace {

// The JSON type of a value with its article: "a number", "an object", "null".
std::string kind(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    default:
      return "a number";
  }
}

}  // namespace

Cursor::Cursor(const nlohmann::json& value, std::string_view source) : Cursor(value, "", source) {
}

Cursor::Cursor(const nlohmann::json& value, std::string path, std::string_view source)
    : value_(&value), path_(std::move(path)), source_(source) {
}

void Cursor::fail(std::string_view reason) const {
  const std::string where = path_.empty() ? "(top level)" : path_;
  throw Error(std::string{source_} + ":", where, reason);
}

void Cursor::expected(std::string_view what) const {
  fail("expected " + std::string{what} + ", got " + kind(*value_));
}

const nlohmann::json& Cursor::object() const {
  if (!value_->is_object()) expected("an object");
  return *value_;
}

std::optional<Cursor> Cursor::find(std::string_view key) const {
  const nlohmann::json& members = object();
  const auto member = members.find(key);
  if (member == members.end() || member->is_null()) return std::nullopt;
  const std::string path = path_.empty() ? std::string{key} : path_ + "." + std::string{key};
  return Cursor{*member, path, source_};
}

Cursor Cursor::operator[](std::string_view key) const {
  std::optional<Cursor> member = find(key);
  if (!member) {
    Cursor{*value_, path_.empty() ? std::string{key} : path_ + "." + std::string{key}, source_}
        .fail("missing");
  }
  return *member;
}

std::vector<Cursor> Cursor::items() const {
  if (!value_->is_array()) expected("an array");
  std::vector<Cursor> result;
  result.reserve(value_->size());
  for (std::size_t i = 0; i < value_->size(); ++i) {
    result.push_back(Cursor{(*value_)[i], path_ + "[" + std::to_string(i) + "]", source_});
  }
  return result;
}

std::string Cursor::string() const {
  if (!value_->is_string()) expected("a string");
  return value_->get<std::string>();
}

bool Cursor::boolean() const {
  if (!value_->is_boolean()) expected("a boolean");
  return value_->get<bool>();
}

std::vector<std::string> Cursor::strings() const {
  std::vector<std::string> result;
  for (const Cursor& item : items()) {
    result.push_back(item.string());
  }
  return result;
}

std::map<std::string, std::string> Cursor::string_map() const {
  std::map<std::string, std::string> result;
  for (const auto& [key, value] : object().items()) {
    result[key] = Cursor{value, path_ + "." + key, source_}.string();
  }
  return result;
}

std::pair<bool, std::uint64_t> Cursor::whole_number() const {
  if (value_->is_number_unsigned()) return {false, value_->get<std::uint64_t>()};
  if (value_->is_number_integer()) {
    const auto n = value_->get<std::int64_t>();
    // The magnitude of INT64_MIN does not fit int64_t: negate in unsigned.
    return {n < 0, n < 0 ? 0 - static_cast<std::uint64_t>(n) : static_cast<std::uint64_t>(n)};
  }
  if (value_->is_number_float()) fail("expected an integer, got " + value_->dump());
  expected("an integer");
}

void Cursor::out_of_range(bool negative, std::uint64_t magnitude, std::int64_t min,
                          std::uint64_t max) const {
  fail((negative ? "-" : "") + std::to_string(magnitude) + " out of range (" + std::to_string(min) +
       "-" + std::to_string(max) + ")");
}

}  // namespace berth::runtime
