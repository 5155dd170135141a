// runtime/trace — where berth-runtime's time goes, when BERTH_TRACE=1.
//
// Chapter 06. Starting a container is a chain of kernel calls: clone into
// namespaces, mounts, cgroup writes, capabilities, seccomp, exec. With
// BERTH_TRACE=1 in its environment, berth-runtime prints how long each phase
// took, on stderr, one line each (the container's own process prints its
// phases too, since they happen there):
//
//     berth-runtime trace: [parent] cgroups 0.41 ms
//     berth-runtime trace: [container] mounts 2.87 ms
#pragma once

#include <chrono>
#include <string_view>

namespace berth::runtime {

class Trace {
 public:
  // `who` names the process in each line: "parent", "container".
  explicit Trace(std::string_view who);

  // Prints the time since the previous mark (or since construction) as the
  // time of phase `phase`, if tracing is on.
  void mark(std::string_view phase);

 private:
  std::string_view who_;
  bool enabled_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace berth::runtime
