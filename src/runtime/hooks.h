// runtime/hooks — the OCI hooks: programs the runtime runs at points of the
// container's lifecycle (config.md, "POSIX-platform Hooks").
//
// Chapter 06. Each hook is run with its path, args and env (and nothing of
// ours in its environment), the container's state JSON (state.h) on its
// stdin, and killed when it outlives its timeout. A hook that fails (exits
// non-zero, is killed, cannot be started) fails the lifecycle step, except
// poststart and poststop, whose failures the runtime only logs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/config.h"

namespace berth::runtime {

// Runs `hooks` in order and waits for each. `point` names them in errors
// ("createRuntime"). Throws berth::Error at the first that fails, e.g.
//     hook createRuntime[1] /usr/bin/x: exited with code 3: <first line of its stderr>
//     hook prestart[0] /usr/bin/slow: killed after its timeout of 2 s
// (the first line of its stdout when it wrote nothing on stderr). A hook's
// output is read while it runs and shown only in that error; a hook ends
// for run_hooks when its process ends, even if a child it left behind still
// holds its stdout or stderr.
void run_hooks(std::string_view point, const std::vector<Hook>& hooks,
               const std::string& state_json);

}  // namespace berth::runtime
