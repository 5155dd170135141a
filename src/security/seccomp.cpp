// Loading a seccomp filter with libseccomp.
//
// The kernel takes a seccomp filter as a classic BPF program: it reads the
// call's number, architecture and arguments from a struct seccomp_data and
// returns SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | errno, SECCOMP_RET_KILL...
// Writing that program by hand for 350 calls is error-prone (a jump off by
// one allows the wrong call); libseccomp compiles rules into it, checks the
// architecture first (a 32-bit call on a 64-bit kernel has other numbers),
// and sorts the calls into a binary tree.
#include "security/seccomp.h"

#include <seccomp.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "common/error.h"

namespace berth::security::seccomp {
namespace {

std::uint32_t to_libseccomp(Action action, int errno_ret) {
  switch (action) {
    case Action::allow:
      return SCMP_ACT_ALLOW;
    case Action::errno_code:
      return SCMP_ACT_ERRNO(static_cast<std::uint32_t>(errno_ret));
    case Action::kill_thread:
      return SCMP_ACT_KILL_THREAD;
    case Action::kill_process:
      return SCMP_ACT_KILL_PROCESS;
    case Action::trap:
      return SCMP_ACT_TRAP;
    case Action::trace:
      return SCMP_ACT_TRACE(static_cast<std::uint32_t>(errno_ret));
    case Action::log:
      return SCMP_ACT_LOG;
  }
  return SCMP_ACT_KILL_PROCESS;
}

scmp_compare to_libseccomp(Compare op) {
  switch (op) {
    case Compare::ne:
      return SCMP_CMP_NE;
    case Compare::lt:
      return SCMP_CMP_LT;
    case Compare::le:
      return SCMP_CMP_LE;
    case Compare::eq:
      return SCMP_CMP_EQ;
    case Compare::ge:
      return SCMP_CMP_GE;
    case Compare::gt:
      return SCMP_CMP_GT;
    case Compare::masked_eq:
      return SCMP_CMP_MASKED_EQ;
  }
  return SCMP_CMP_EQ;
}

bool has(const std::vector<Capability>& caps, Capability cap) {
  return std::ranges::find(caps, cap) != caps.end();
}

// Docker's includes/excludes, by capability.
bool applies(const Rule& rule, const std::vector<Capability>& caps) {
  return std::ranges::all_of(rule.includes_caps, [&](Capability c) { return has(caps, c); }) &&
         std::ranges::none_of(rule.excludes_caps, [&](Capability c) { return has(caps, c); });
}

struct ReleaseFilter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};

// libseccomp returns -errno rather than setting errno.
void check_scmp(int result, std::string_view operation, std::string_view target) {
  if (result < 0) throw Error(operation, target, -result);
}

void add_rule(scmp_filter_ctx ctx, const Rule& rule, std::uint32_t default_action) {
  const std::uint32_t action = to_libseccomp(rule.action, rule.errno_ret);
  // The kernel refuses nothing for a rule that says what the default says,
  // but libseccomp does: such a rule would change nothing.
  if (action == default_action) return;
  std::vector<scmp_arg_cmp> conditions;
  for (const auto& arg : rule.args) {
    conditions.push_back(scmp_arg_cmp{.arg = arg.index,
                                      .op = to_libseccomp(arg.op),
                                      .datum_a = arg.value,
                                      .datum_b = arg.value_two});
  }
  for (const auto& name : rule.names) {
    const int number = seccomp_syscall_resolve_name(name.c_str());
    // A call this kernel or architecture does not have: nothing to allow.
    if (number == __NR_SCMP_ERROR) continue;
    check_scmp(seccomp_rule_add_array(ctx, action, number, static_cast<unsigned>(conditions.size()),
                                      conditions.data()),
               "seccomp rule for", name);
  }
}

}  // namespace

void load(const Profile& profile, const std::vector<Capability>& capabilities,
          NoNewPrivs no_new_privs) {
  // #lab 05 seccomp-filter: Compile `profile` into a seccomp filter and load it.
  // #hint seccomp_init(default action) makes a filter context; release it with seccomp_release.
  // #hint to_libseccomp() turns an Action into SCMP_ACT_*; add_rule() adds one Rule's calls.
  // #hint Only the rules that applies() to `capabilities`; then seccomp_load().
  // #hint NoNewPrivs::leave: seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) before loading.
  const std::uint32_t default_action =
      to_libseccomp(profile.default_action, profile.default_errno_ret);
  const std::unique_ptr<void, ReleaseFilter> ctx{seccomp_init(default_action)};
  if (!ctx) throw Error("seccomp_init", "", "cannot create a filter");
  for (const auto& rule : profile.rules) {
    if (applies(rule, capabilities)) add_rule(ctx.get(), rule, default_action);
  }
  // seccomp_load() sets no_new_privs first (SCMP_FLTATR_CTL_NNP is on by
  // default), then installs the program with seccomp(2).
  if (no_new_privs == NoNewPrivs::leave) {
    check_scmp(seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0), "seccomp_attr_set",
               "SCMP_FLTATR_CTL_NNP");
  }
  check_scmp(seccomp_load(ctx.get()), "seccomp_load", "the filter");
  // #endlab
}

}  // namespace berth::security::seccomp
