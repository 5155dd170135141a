// The frame around a Berth program's work: what its user sees when it fails.
#pragma once

#include <functional>

namespace berth::process {

// Runs `body` (the work of a main(), or of a child that does not exec) and
// returns its result. Whatever error escapes `body` becomes what a docker
// user expects: one line "PROGRAM: <what failed>: <why>" on stderr, PROGRAM
// being this program's name, and docker's exit code for it
// (exit_code_for_failure(); 125 for an error that is not a berth::Error).
// Never throws.
int run_reporting_errors(const std::function<int()>& body) noexcept;

}  // namespace berth::process
