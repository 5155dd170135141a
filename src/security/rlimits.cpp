// Resource limits: per-process ceilings the kernel enforces on its own,
// older than cgroups (open files, processes per user, core size, ...).
// They are inherited across fork and exec, so setting them in the container
// before its init starts sets them for everything in it.
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <string>

#include "common/error.h"
#include "security/security.h"

namespace berth::security {
namespace {

struct Named {
  std::string_view name;
  int resource;
};

constexpr std::array kResources = {
    Named{"core", RLIMIT_CORE},         Named{"cpu", RLIMIT_CPU},
    Named{"data", RLIMIT_DATA},         Named{"fsize", RLIMIT_FSIZE},
    Named{"locks", RLIMIT_LOCKS},       Named{"memlock", RLIMIT_MEMLOCK},
    Named{"msgqueue", RLIMIT_MSGQUEUE}, Named{"nice", RLIMIT_NICE},
    Named{"nofile", RLIMIT_NOFILE},     Named{"nproc", RLIMIT_NPROC},
    Named{"rss", RLIMIT_RSS},           Named{"rtprio", RLIMIT_RTPRIO},
    Named{"rttime", RLIMIT_RTTIME},     Named{"sigpending", RLIMIT_SIGPENDING},
    Named{"stack", RLIMIT_STACK},
};

// One limit: a decimal number, or -1 / "unlimited".
rlim_t parse_limit(std::string_view value, std::string_view text) {
  if (value == "-1" || value == "unlimited") return RLIM_INFINITY;
  rlim_t limit = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), limit);
  if (value.empty() || error != std::errc{} || end != value.data() + value.size()) {
    throw Error("--ulimit", text, "invalid limit \"" + std::string{value} + "\"");
  }
  return limit;
}

std::string resource_name(int resource) {
  const auto* known = std::ranges::find(kResources, resource, &Named::resource);
  return known == kResources.end() ? std::to_string(resource) : std::string{known->name};
}

}  // namespace

std::optional<int> resource_from_name(std::string_view name) {
  const auto* known = std::ranges::find(kResources, name, &Named::name);
  if (known == kResources.end()) return std::nullopt;
  return known->resource;
}

Rlimit parse_ulimit(std::string_view text) {
  const auto equals = text.find('=');
  if (equals == std::string_view::npos) throw Error("--ulimit", text, "expected NAME=SOFT[:HARD]");
  const std::string_view name = text.substr(0, equals);
  const std::string_view limits = text.substr(equals + 1);
  Rlimit result;
  const auto resource = resource_from_name(name);
  if (!resource) throw Error("--ulimit", text, "unknown limit \"" + std::string{name} + "\"");
  result.resource = *resource;
  const auto colon = limits.find(':');
  result.soft = parse_limit(limits.substr(0, colon), text);
  result.hard =
      colon == std::string_view::npos ? result.soft : parse_limit(limits.substr(colon + 1), text);
  if (result.soft > result.hard) throw Error("--ulimit", text, "soft limit above hard limit");
  return result;
}

void set_rlimits(const std::vector<Rlimit>& limits) {
  for (const auto& limit : limits) {
    const rlimit value{.rlim_cur = limit.soft, .rlim_max = limit.hard};
    // __rlimit_resource_t is an enum in glibc's headers.
    check(::setrlimit(static_cast<__rlimit_resource_t>(limit.resource), &value), "setrlimit",
          resource_name(limit.resource));
  }
}

}  // namespace berth::security
