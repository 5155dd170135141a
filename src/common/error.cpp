#include "common/error.h"

#include <cctype>
#include <cerrno>
#include <cstring>

namespace berth {
namespace {

std::string join(std::string_view operation, std::string_view target, std::string_view reason) {
  std::string message{operation};
  if (!target.empty()) {
    message += ' ';
    message += target;
  }
  message += ": ";
  message += reason;
  return message;
}

}  // namespace

std::string errno_text(int errno_value) {
  std::string text = std::strerror(errno_value);
  if (!text.empty()) {
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  }
  return text;
}

Error::Error(std::string_view operation, std::string_view target, int errno_value)
    : std::runtime_error(join(operation, target, errno_text(errno_value))),
      operation_(operation),
      target_(target),
      errno_value_(errno_value) {
}

Error::Error(std::string_view operation, std::string_view target, std::string_view reason)
    : std::runtime_error(join(operation, target, reason)), operation_(operation), target_(target) {
}

long check(long result, std::string_view operation, std::string_view target) {
  if (result == -1) {
    throw Error(operation, target, errno);
  }
  return result;
}

}  // namespace berth
