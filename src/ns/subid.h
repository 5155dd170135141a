// subid — the subordinate id ranges of /etc/subuid and /etc/subgid.
//
// A user namespace maps the ids of a container onto ids of the host. Which
// host ids a user may hand out is written down in /etc/subuid and
// /etc/subgid (subuid(5)), one range a line:
//
//     root:100000:65536      the user "root" owns host ids 100000..165535
//     1000:165536:65536      a line may name its user by uid
//
// newuidmap(1) reads them; Berth reads them the same way, written by hand
// here because it is twenty lines and worth seeing.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "ns/container.h"

namespace berth::ns {

// The first range in `text` (the contents of /etc/subuid or /etc/subgid)
// whose owner is `user` or the decimal `id`, as a mapping of container ids
// 0... onto it. Blank lines, comments (#) and malformed lines are skipped,
// as are ranges of size 0 and ranges that would reach 4294967295, which
// is no id ((uid_t)-1). std::nullopt when no line fits. Never throws on any text.
std::optional<IdMapping> find_subordinate_range(std::string_view text, std::string_view user,
                                                std::uint32_t id);

}  // namespace berth::ns
