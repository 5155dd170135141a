// config.json's seccomp object as a chapter 05 profile.
#include "runtime/seccomp_config.h"

#include <fmt/core.h>

#include <cerrno>
#include <string>

#include "common/error.h"

namespace berth::runtime {
namespace {

namespace seccomp = security::seccomp;

seccomp::Action action(const std::string& name, const std::string& where) {
  using enum seccomp::Action;
  if (name == "SCMP_ACT_ALLOW") return allow;
  if (name == "SCMP_ACT_ERRNO") return errno_code;
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return kill_thread;
  if (name == "SCMP_ACT_KILL_PROCESS") return kill_process;
  if (name == "SCMP_ACT_TRAP") return trap;
  if (name == "SCMP_ACT_TRACE") return trace;
  if (name == "SCMP_ACT_LOG") return log;
  throw Error(where, name, "not supported by berth-runtime");
}

seccomp::Compare compare(const std::string& op, const std::string& where) {
  using enum seccomp::Compare;
  if (op == "SCMP_CMP_NE") return ne;
  if (op == "SCMP_CMP_LT") return lt;
  if (op == "SCMP_CMP_LE") return le;
  if (op == "SCMP_CMP_EQ") return eq;
  if (op == "SCMP_CMP_GE") return ge;
  if (op == "SCMP_CMP_GT") return gt;
  if (op == "SCMP_CMP_MASKED_EQ") return masked_eq;
  throw Error(where, op, "unknown operator");
}

}  // namespace

seccomp::Profile seccomp_profile(const Seccomp& config) {
  seccomp::Profile profile;
  profile.default_action = action(config.default_action, "linux.seccomp.defaultAction");
  profile.default_errno_ret = EPERM;
  for (std::size_t i = 0; i < config.syscalls.size(); ++i) {
    const SeccompSyscall& syscall = config.syscalls[i];
    const std::string where = fmt::format("linux.seccomp.syscalls[{}]", i);
    seccomp::Rule rule;
    rule.names = syscall.names;
    rule.action = action(syscall.action, where + ".action");
    rule.errno_ret = static_cast<int>(syscall.errno_ret.value_or(EPERM));
    for (std::size_t j = 0; j < syscall.args.size(); ++j) {
      const SeccompArg& arg = syscall.args[j];
      rule.args.push_back({.index = arg.index,
                           .value = arg.value,
                           .value_two = arg.value_two,
                           .op = compare(arg.op, fmt::format("{}.args[{}].op", where, j))});
    }
    profile.rules.push_back(std::move(rule));
  }
  return profile;
}

}  // namespace berth::runtime
