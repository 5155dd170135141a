// Where exec looks for a program: the PATH search, done by hand.
//
// execvp() searches PATH for us, but it reads PATH from *our* environment and
// allocates, and the search must happen for the *container's* environment and
// be done before clone (see process.h). So spawn() builds the list of
// candidate paths in the parent and the child only tries them in order.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth::process {

// Docker's PATH for a container whose image sets none.
inline constexpr std::string_view kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The paths exec should try, in order, for `program` under the PATH value
// `path_variable` ("/usr/bin:/bin"): `program` itself when it contains a
// slash; otherwise DIR/program for each DIR of PATH, an empty DIR meaning the
// current directory (as POSIX and execvp say).
//
// PATH comes from an image's configuration in later chapters, so it is
// untrusted input: any string is accepted, and the result always has one
// entry per PATH element. (Fuzzed by tests/fuzz/path_search.cpp.)
std::vector<std::string> exec_candidates(std::string_view program, std::string_view path_variable);

}  // namespace berth::process
