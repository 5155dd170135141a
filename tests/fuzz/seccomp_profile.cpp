// Fuzz target: Docker's seccomp profile format (security/seccomp.h). A
// profile comes from whoever wrote the --seccomp file or the bundle, so any
// bytes must give a Profile or a berth::Error, never a crash or another
// exception; and what is accepted must be well-formed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/error.h"
#include "security/seccomp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace seccomp = berth::security::seccomp;
  const std::string_view input{reinterpret_cast<const char*>(data), size};
  try {
    const seccomp::Profile profile = seccomp::parse_profile(input, "fuzz.json");
    // The contract: a parsed profile has errnos the kernel can return and
    // argument conditions the kernel can check.
    if (profile.default_errno_ret < 0 || profile.default_errno_ret > 4095) std::abort();
    for (const seccomp::Rule& parsed : profile.rules) {
      if (parsed.args.size() > 6) std::abort();
      if (parsed.errno_ret < 0 || parsed.errno_ret > 4095) std::abort();
      for (const auto& arg : parsed.args) {
        if (arg.index > 5) std::abort();
      }
    }
  } catch (const berth::Error& error) {
    // Every refusal names the input: "seccomp profile fuzz.json: ...".
    if (std::string_view{error.what()}.find("fuzz.json") == std::string_view::npos) std::abort();
  }
  return 0;
}
