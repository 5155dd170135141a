// seccomp — which system calls a container may make.
//
// Chapter 05. A seccomp filter is a small program, in the kernel's classic BPF,
// that runs on every system call of the process that loaded it (and of its
// descendants, forever) and returns a verdict: allow, fail with an errno,
// kill. Berth builds it with libseccomp from a Profile, which mirrors
// Docker's JSON profile format: a default action, and rules that give an
// action to a list of system calls, optionally only when arguments match.
//
// Docker's default profile is an allow-list: its default action is
// SCMP_ACT_ERRNO (EPERM), and about 350 ordinary calls are allowed, some only
// with harmless arguments (clone without namespace flags, personality with
// a few values). default_profile() is Berth's copy of it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "security/security.h"

namespace berth::security::seccomp {

enum class Action { allow, errno_code, kill_thread, kill_process, trap, trace, log };

// A condition on one argument of the call: Docker's {index, value, valueTwo, op}.
enum class Compare { ne, lt, le, eq, ge, gt, masked_eq };
struct ArgCondition {
  unsigned index = 0;           // 0..5
  std::uint64_t value = 0;      // compared with
  std::uint64_t value_two = 0;  // masked_eq: (arg & value) == value_two
  Compare op = Compare::eq;
};

struct Rule {
  std::vector<std::string> names;  // system calls (unknown to this kernel: skipped)
  Action action = Action::allow;
  int errno_ret = 1;               // for Action::errno_code (EPERM)
  std::vector<ArgCondition> args;  // all must hold
  // Docker's includes/excludes: the rule applies only when the container
  // has every capability of includes_caps and none of excludes_caps.
  std::vector<Capability> includes_caps;
  std::vector<Capability> excludes_caps;
};

struct Profile {
  Action default_action = Action::errno_code;
  int default_errno_ret = 1;  // EPERM
  std::vector<Rule> rules;
};

// Berth's copy of Docker's default profile.
Profile default_profile();

// Parses a profile in Docker's JSON format:
//     {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
//      "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
//                    "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}],
//                    "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}
// `source` names the input in errors. The text is untrusted: anything that
// is not a valid profile throws berth::Error naming the JSON path:
//     seccomp profile x.json: syscalls[3].action: unknown action "SCMP_ACT_FOO"
// Keys Berth does not use (archMap, comment, ...) are ignored; a rule that
// includes an architecture other than the one we run on is dropped.
Profile parse_profile(std::string_view text, std::string_view source);

// Reads and parses the file at `path`.
Profile load_profile_file(const std::string& path);

// Whether load() sets no_new_privs, which the kernel requires to load a
// filter unless the caller has CAP_SYS_ADMIN.
enum class NoNewPrivs { set, leave };

// Loads `profile` as a seccomp filter on the calling thread, for a process
// whose capabilities are `capabilities` (rules are kept or dropped by their
// includes/excludes). Sets no_new_privs first, unless told to leave it (then
// the caller must hold CAP_SYS_ADMIN). Irreversible: call it last.
void load(const Profile& profile, const std::vector<Capability>& capabilities,
          NoNewPrivs no_new_privs = NoNewPrivs::set);

}  // namespace berth::security::seccomp
