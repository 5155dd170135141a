#include "process/program.h"

#include <errno.h>  // program_invocation_short_name

#include <cstdio>
#include <exception>

#include "common/error.h"
#include "process/process.h"

namespace berth::process {
namespace {

// Plain stdio, which cannot throw: nothing is left to catch an exception here.
int report(const char* message, int exit_code) noexcept {
  static_cast<void>(std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, message));
  return exit_code;
}

}  // namespace

int run_reporting_errors(const std::function<int()>& body) noexcept {
  try {
    return body();
  } catch (const Error& error) {
    return report(error.what(), exit_code_for_failure(error));
  } catch (const std::exception& error) {
    return report(error.what(), kExitEngineError);
  } catch (...) {
    return report("unknown exception", kExitEngineError);
  }
}

}  // namespace berth::process
