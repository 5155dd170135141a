// Fuzz target: the OCI bundle configuration (runtime/config.h). config.json
// comes from the bundle's author, so any bytes must give a Config or a
// berth::Error naming the file, never a crash or another exception; and what
// is accepted must keep the spec's promises.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/error.h"
#include "runtime/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace runtime = berth::runtime;
  const std::string_view input{reinterpret_cast<const char*>(data), size};
  try {
    const runtime::Config config = runtime::parse_config(input, "fuzz.json");
    // The contract: hook timeouts are positive, each namespace type is
    // listed once, and seccomp conditions name one of the six arguments.
    for (const auto* hooks :
         {&config.hooks.prestart, &config.hooks.create_runtime, &config.hooks.create_container,
          &config.hooks.start_container, &config.hooks.poststart, &config.hooks.poststop}) {
      for (const auto& hook : *hooks) {
        if (hook.timeout && *hook.timeout < 1) std::abort();
      }
    }
    if (config.linux) {
      const auto& namespaces = config.linux->namespaces;
      for (std::size_t i = 0; i < namespaces.size(); ++i) {
        for (std::size_t j = i + 1; j < namespaces.size(); ++j) {
          if (namespaces[i].type == namespaces[j].type) std::abort();
        }
      }
      if (config.linux->seccomp) {
        for (const auto& syscall : config.linux->seccomp->syscalls) {
          for (const auto& arg : syscall.args) {
            if (arg.index > 5) std::abort();
          }
        }
      }
    }
  } catch (const berth::Error& error) {
    // Every refusal names the input: "fuzz.json: process.args[2]: ...".
    if (!std::string_view{error.what()}.starts_with("fuzz.json")) std::abort();
  }
  return 0;
}
