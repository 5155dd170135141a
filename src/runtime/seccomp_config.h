// runtime/seccomp_config — config.json's linux.seccomp as a chapter 05 profile.
//
// Chapter 06. The OCI seccomp object is Docker's profile format without its
// extras (includes/excludes by capability, archMap): the same names of
// actions and comparisons. The spec's names were checked when config.json
// was read; this only translates them.
#pragma once

#include "runtime/config.h"
#include "security/seccomp.h"

namespace berth::runtime {

// Throws berth::Error naming the JSON path of an action Berth cannot carry
// out (SCMP_ACT_NOTIFY: there is no seccomp agent to notify).
security::seccomp::Profile seccomp_profile(const Seccomp& config);

}  // namespace berth::runtime
