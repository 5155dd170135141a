// Fuzz target: image archives (image/archive.h). `load` reads archives from
// anyone (a docker save passed around, a download), so any bytes must
// either load images that are then in the store, or be refused with a
// berth::Error naming the archive — and a refusal must leave the store as
// it was: index.json unchanged, nothing left in tmp/. Any other exception
// escapes and counts as a crash.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/fd.h"
#include "image/archive.h"

namespace {

namespace fs = std::filesystem;

// One store for the whole run, in a directory of its own removed at exit.
struct FuzzStore {
  static fs::path make_dir() {
    std::string name = (fs::temp_directory_path() / "berth-fuzz-XXXXXX").string();
    if (::mkdtemp(name.data()) == nullptr) std::abort();
    return name;
  }
  ~FuzzStore() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
  fs::path dir = make_dir();
  berth::image::Store store{dir / "store"};
};

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace image = berth::image;
  static FuzzStore fuzz;
  const berth::UniqueFd input{::memfd_create("image-archive", MFD_CLOEXEC)};
  if (!input || ::write(input.get(), data, size) != static_cast<ssize_t>(size) ||
      ::lseek(input.get(), 0, SEEK_SET) != 0) {
    std::abort();
  }
  const fs::path index = fuzz.store.root() / "index.json";
  const std::string before = read_all(index);
  try {
    for (const auto& loaded : image::load(fuzz.store, input.get(), "fuzz", {.name = "fuzz"})) {
      // What load reports is in the store, whole (a refusal here would
      // not start with "load fuzz: ").
      if (!fuzz.store.find(loaded.reference.str())) std::abort();
      fuzz.store.config(fuzz.store.manifest(loaded));
    }
  } catch (const berth::Error& error) {
    if (!std::string_view{error.what()}.starts_with("load fuzz: ")) std::abort();
    if (read_all(index) != before || !fs::is_empty(fuzz.store.root() / "tmp")) std::abort();
  }
  return 0;
}
