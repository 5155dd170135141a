// Fuzz target: layer tarballs (overlay::apply_layer, overlay/apply.h). A
// layer comes from whoever built the image. Input: the tarball's bytes,
// compressed or not.
//
// The contract: apply_layer succeeds or throws berth::Error, in either
// whiteout mode, and never writes outside its target: the scratch directory
// holding the target still holds only it and an untouched sentinel file.
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "common/error.h"
#include "common/fd.h"
#include "overlay/apply.h"

namespace fs = std::filesystem;
namespace overlay = berth::overlay;

namespace {

constexpr const char* kSentinelText = "must not change";

std::string contents(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void apply_in_scratch(int fd, overlay::Whiteouts whiteouts) {
  char name[] = "/tmp/berth-fuzz-layer-XXXXXX";
  if (::mkdtemp(name) == nullptr) std::abort();
  const fs::path scratch = name;
  fs::create_directory(scratch / "target");
  std::ofstream(scratch / "sentinel") << kSentinelText;

  overlay::ApplyOptions options;
  options.whiteouts = whiteouts;
  options.rootless = true;  // no device nodes, no chown
  options.limits = {.max_entries = 10'000, .max_file_size = 1 << 20, .max_total_size = 4 << 20};
  if (::lseek(fd, 0, SEEK_SET) != 0) std::abort();
  try {
    overlay::apply_layer(fd, scratch / "target", options);
  } catch (const berth::Error&) {
    // Refused or unreadable: fine, as long as it stayed inside.
  }

  int names = 0;
  for (const auto& entry : fs::directory_iterator(scratch)) {
    const std::string file = entry.path().filename().string();
    if (file != "target" && file != "sentinel") std::abort();
    ++names;
  }
  if (names != 2 || fs::is_symlink(scratch / "sentinel") ||
      contents(scratch / "sentinel") != kSentinelText) {
    std::abort();
  }
  fs::remove_all(scratch);  // never follows a symlink out
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const berth::UniqueFd fd{::memfd_create("layer", MFD_CLOEXEC)};
  if (!fd || ::write(fd.get(), data, size) != static_cast<ssize_t>(size)) std::abort();
  apply_in_scratch(fd.get(), overlay::Whiteouts::overlay);
  apply_in_scratch(fd.get(), overlay::Whiteouts::remove);
  return 0;
}
