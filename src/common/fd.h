// UniqueFd — owns one file descriptor and closes it exactly once.
//
// Container code leaks file descriptors at its peril: a descriptor that
// survives into a container is a way out of it (runc's CVE-2024-21626 was
// a leaked directory fd). So every fd Berth opens is O_CLOEXEC and lives in
// a UniqueFd, which closes it on every path, including exceptions.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace berth {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }

  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset(other.release());
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }

  // Gives up ownership: the caller must close the returned fd.
  int release() { return std::exchange(fd_, -1); }

  // Closes the current fd (if any) and takes ownership of `fd`.
  void reset(int fd = -1) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// A pipe whose both ends are O_CLOEXEC. Throws berth::Error on failure.
struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};
Pipe make_pipe();

// write(2) until all of `bytes` is written (a pipe or a nearly full disk may
// take less at a time), again after EINTR. Throws berth::Error
// "write WHAT: <why>".
void write_all(int fd, std::string_view bytes, std::string_view what);

// One read(2) of at most `size` bytes into `buffer`, again after EINTR: the number of bytes read,
// 0 at the end. Throws berth::Error "read WHAT: <why>".
std::size_t read_some(int fd, void* buffer, std::size_t size, std::string_view what);

// Everything readable from `fd`, to its end. Throws as read_some().
std::string read_all(int fd, std::string_view what);

}  // namespace berth
