// Fuzz target: image references (image/reference.h). A reference comes
// from whoever types a command, writes a Dockerfile's FROM or an archive's
// manifest, so any bytes must give a Reference or a berth::Error naming the
// input, never a crash or another exception; and what is accepted must be
// in normal form: its str() parses back to the same reference.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/error.h"
#include "image/reference.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace image = berth::image;
  const std::string_view input{reinterpret_cast<const char*>(data), size};
  try {
    const image::Reference reference = image::Reference::parse(input);
    // The contract: a registry always, a tag or a digest always, and the
    // normal form is a fixed point of parse.
    if (reference.registry.empty() || reference.path.empty()) std::abort();
    if (reference.tag.empty() && !reference.digest) std::abort();
    if (image::Reference::parse(reference.str()) != reference) std::abort();
    if (!reference.repository().ends_with(reference.familiar_name())) std::abort();
  } catch (const berth::Error& error) {
    if (!std::string_view{error.what()}.starts_with("parse image reference \"")) std::abort();
  }
  return 0;
}
