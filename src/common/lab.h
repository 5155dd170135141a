// Support for the classroom labs (see labs/README.md).
//
// A lab starter replaces a marked region of the reference code with a call to
// lab_not_implemented(), so the starter builds and its tests fail with a
// message that names the task, instead of crashing or hanging.
#pragma once

#include <string_view>

namespace berth {

// Throws berth::Error "lab NN TASK: not implemented".
[[noreturn]] void lab_not_implemented(std::string_view lab_and_task);

}  // namespace berth
