// Fuzz target: an image's documents (image/manifest.h): manifests, indexes
// and configs come from registries and archives. Any bytes must give a
// document or a berth::Error "parse fuzz.json: ...", never a crash or
// another exception; and what Berth writes from a parsed document must
// parse back to the same canonical bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/error.h"
#include "image/manifest.h"

namespace {

// Runs one parser; on success, checks that writing and parsing again is
// stable. Refusals must name the document.
template <typename Parse>
void check(std::string_view input, Parse parse) {
  namespace image = berth::image;
  try {
    const auto document = parse(input, "fuzz.json");
    const std::string written = image::to_json(document);
    if (image::to_json(parse(written, "written")) != written) std::abort();
  } catch (const berth::Error& error) {
    if (!std::string_view{error.what()}.starts_with("parse fuzz.json")) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace image = berth::image;
  const std::string_view input{reinterpret_cast<const char*>(data), size};
  check(input, image::parse_manifest);
  check(input, image::parse_index);
  check(input, image::parse_config);
  return 0;
}
