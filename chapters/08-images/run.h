// Running a container from an image: the bundle, the overlay, the runtime.
#pragma once

#include <filesystem>
#include <string>

#include "image/bundle.h"
#include "image/store.h"

namespace berth::chapter08 {

struct RunOptions {
  std::filesystem::path containers;      // where each container's scratch lives
  std::filesystem::path state;           // the runtime's --root
  std::string runtime;                   // the OCI runtime program
  std::string image;                     // as the user wrote it
  std::string cgroup_parent = "/berth";  // the containers' cgroups go below it
  image::RunRequest request;
};

// Runs the image's container to its end, then removes everything made for
// it; returns the container's exit code (as a shell reports it).
int run_image(image::Store& store, const RunOptions& options);

// The OCI runtime to use when none is named: berth-runtime next to this
// program (the build's bin/), or else the one in PATH.
std::string default_runtime();

}  // namespace berth::chapter08
