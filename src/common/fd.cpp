#include "common/fd.h"

#include <fcntl.h>

#include <array>
#include <cerrno>

#include "common/error.h"

namespace berth {

Pipe make_pipe() {
  int fds[2];
  check(::pipe2(fds, O_CLOEXEC), "pipe2");
  return Pipe{UniqueFd{fds[0]}, UniqueFd{fds[1]}};
}

void write_all(int fd, std::string_view bytes, std::string_view what) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written == -1 && errno == EINTR) continue;
    check(written, "write", what);
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
}

std::size_t read_some(int fd, void* buffer, std::size_t size, std::string_view what) {
  for (;;) {
    const ssize_t count = ::read(fd, buffer, size);
    if (count == -1 && errno == EINTR) continue;
    return static_cast<std::size_t>(check(count, "read", what));
  }
}

std::string read_all(int fd, std::string_view what) {
  std::string bytes;
  std::array<char, 1 << 16> buffer{};
  while (const std::size_t count = read_some(fd, buffer.data(), buffer.size(), what)) {
    bytes.append(buffer.data(), count);
  }
  return bytes;
}

}  // namespace berth
