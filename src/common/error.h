// berth::Error — the one error type of the whole tree.
//
// Every failure that can reach a user says what was being done, on what, and
// why, in the style of crun and the kernel's own tools:
//
//     mount proc on /rootfs/proc: permission denied
//     ^^^^^^^^^^^^^ ^^^^^^^^^^^^  ^^^^^^^^^^^^^^^^^
//     operation     target        errno's text (or a reason in words)
//
// Errors travel as exceptions: propagation is automatic, and a function's
// signature stays the signature of its success. The one place exceptions must
// not go is across fork()/clone() into a child that will exec; see
// process/spawn.h for how a child reports failure instead.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace berth {

class Error : public std::runtime_error {
 public:
  // A failed system call: `errno_value` is turned into text with strerror.
  Error(std::string_view operation, std::string_view target, int errno_value);

  // A failure with a reason in words ("is empty", "not a directory").
  Error(std::string_view operation, std::string_view target, std::string_view reason);

  const std::string& operation() const { return operation_; }
  const std::string& target() const { return target_; }
  // The errno of the failed call, or 0 when the reason was given in words.
  int errno_value() const { return errno_value_; }

 private:
  std::string operation_;
  std::string target_;
  int errno_value_ = 0;
};

// Throws Error{operation, target, errno} when a system call returned -1.
// Returns the call's result otherwise, so it can wrap the call in place:
//
//     UniqueFd fd{check(open(path, O_RDONLY | O_CLOEXEC), "open", path)};
long check(long result, std::string_view operation, std::string_view target = {});

// errno's text, lower-cased the way error messages print it: "permission denied".
std::string errno_text(int errno_value);

}  // namespace berth
