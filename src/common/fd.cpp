#include "common/fd.h"

#include <fcntl.h>

#include "common/error.h"

namespace berth {

Pipe make_pipe() {
  int fds[2];
  check(::pipe2(fds, O_CLOEXEC), "pipe2");
  return Pipe{UniqueFd{fds[0]}, UniqueFd{fds[1]}};
}

}  // namespace berth
