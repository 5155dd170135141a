// Capabilities: root's privileges, split into some forty pieces.
//
// A process has five capability sets. Effective is what the kernel checks;
// permitted is what it may make effective; inheritable and ambient are what
// it may pass on across exec; the bounding set is the ceiling for all of
// them, for this process and everything it will ever exec. Dropping a
// capability for good means removing it from every set, bounding first.
#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <memory>
#include <string>

#include "common/error.h"
#include "security/security.h"

namespace berth::security {
namespace {

// RAII for libcap's cap_t and the strings it allocates.
struct CapFree {
  void operator()(void* p) const { cap_free(p); }
};

std::string upper(std::string_view text) {
  std::string result{text};
  for (char& c : result) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return result;
}

bool contains(const std::vector<std::string>& names, std::string_view name) {
  return std::ranges::any_of(names, [&](const std::string& n) { return upper(n) == name; });
}

void normalize(std::vector<Capability>& caps) {
  std::sort(caps.begin(), caps.end());
  caps.erase(std::unique(caps.begin(), caps.end()), caps.end());
}

}  // namespace

std::vector<Capability> default_capabilities() {
  std::vector<Capability> caps = {
      CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,
      CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,           CAP_SETUID,
      CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
      CAP_KILL,    CAP_AUDIT_WRITE,
  };
  normalize(caps);
  return caps;
}

std::vector<Capability> all_capabilities() {
  // cap_max_bits(): the kernel's count (from /proc/sys/kernel/cap_last_cap),
  // which may be more than the headers we were compiled with know.
  const auto count = static_cast<Capability>(cap_max_bits());
  std::vector<Capability> caps;
  caps.reserve(static_cast<std::size_t>(count));
  for (Capability cap = 0; cap < count; ++cap) {
    caps.push_back(cap);
  }
  return caps;
}

std::vector<Capability> permitted_capabilities() {
  const std::unique_ptr<_cap_struct, CapFree> current{cap_get_proc()};
  if (!current) throw Error("capget", "the process's capabilities", errno);
  std::vector<Capability> caps;
  for (const Capability cap : all_capabilities()) {
    cap_flag_value_t value = CAP_CLEAR;
    check(cap_get_flag(current.get(), cap, CAP_PERMITTED, &value), "cap_get_flag");
    if (value == CAP_SET) caps.push_back(cap);
  }
  return caps;
}

Capability capability_from_name(std::string_view name) {
  std::string full = upper(name);
  if (!full.starts_with("CAP_")) full = "CAP_" + full;
  cap_value_t value = 0;
  // libcap knows names in lower case ("cap_chown"); it also takes numbers,
  // which we do not want to accept as names.
  std::string lower = full;
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (std::isdigit(static_cast<unsigned char>(lower[4])) != 0 ||
      cap_from_name(lower.c_str(), &value) != 0) {
    throw Error("capability", "\"" + std::string{name} + "\"", "unknown capability");
  }
  return value;
}

std::string capability_name(Capability capability) {
  const std::unique_ptr<char, CapFree> text{cap_to_name(capability)};
  return text ? upper(text.get()) : std::to_string(capability);
}

std::vector<Capability> resolve_capabilities(const std::vector<std::string>& add,
                                             const std::vector<std::string>& drop) {
  std::vector<Capability> caps;
  if (contains(add, "ALL")) {
    caps = permitted_capabilities();
  } else if (!contains(drop, "ALL")) {
    caps = default_capabilities();
  }
  for (const auto& name : add) {
    if (upper(name) != "ALL") caps.push_back(capability_from_name(name));
  }
  for (const auto& name : drop) {
    if (upper(name) == "ALL") continue;
    const Capability cap = capability_from_name(name);
    std::erase(caps, cap);
  }
  normalize(caps);
  return caps;
}

void set_capabilities(const CapabilitySets& sets) {
  // #lab 05 capability-drop: Make the process's five capability sets exactly `sets`.
  // #hint The bounding set first, one cap_drop_bound() per capability not in sets.bounding (0 to
  // #hint cap_max_bits()); it needs CAP_SETPCAP, which the next step may take away.
  // #hint Then cap_init(), cap_set_flag() for CAP_EFFECTIVE, CAP_PERMITTED and CAP_INHERITABLE,
  // #hint cap_set_proc(); then cap_reset_ambient() and cap_set_ambient() for each ambient one.
  // #hint Free what libcap allocates with cap_free().
  // #region capability-drop
  // The bounding set first: dropping from it needs CAP_SETPCAP, which the
  // next step may take away. A capability gone from the bounding set can
  // never come back, not even through exec of a file with capabilities.
  for (Capability cap = 0; cap < static_cast<Capability>(cap_max_bits()); ++cap) {
    if (std::ranges::find(sets.bounding, cap) == sets.bounding.end()) {
      check(cap_drop_bound(cap), "drop capability from bounding set", capability_name(cap));
    }
  }
  // Effective, permitted and inheritable, all at once.
  const std::unique_ptr<_cap_struct, CapFree> caps{cap_init()};
  if (!caps) throw Error("cap_init", "", errno);
  const auto add = [&](cap_flag_t set, const std::vector<Capability>& list) {
    std::vector<cap_value_t> values(list.begin(), list.end());
    // (cap_set_flag refuses an empty list; cap_init()'s sets start empty.)
    if (values.empty()) return;
    check(cap_set_flag(caps.get(), set, static_cast<int>(values.size()), values.data(), CAP_SET),
          "cap_set_flag");
  };
  add(CAP_EFFECTIVE, sets.effective);
  add(CAP_PERMITTED, sets.permitted);
  add(CAP_INHERITABLE, sets.inheritable);
  check(cap_set_proc(caps.get()), "capset", "the process's capabilities");
  // Ambient capabilities survive exec of ordinary programs (a non-root
  // user's server keeps CAP_NET_BIND_SERVICE). The kernel takes only those
  // both permitted and inheritable; like runc, skip the others.
  check(cap_reset_ambient(), "clear ambient capabilities");
  for (const Capability cap : sets.ambient) {
    if (std::ranges::count(sets.permitted, cap) == 0 ||
        std::ranges::count(sets.inheritable, cap) == 0) {
      continue;
    }
    check(cap_set_ambient(cap, CAP_SET), "raise ambient capability", capability_name(cap));
  }
  // #endregion capability-drop
  // #endlab
}

void limit_capabilities(const std::vector<Capability>& keep) {
  set_capabilities(
      {.bounding = keep, .effective = keep, .inheritable = keep, .permitted = keep, .ambient = {}});
}

}  // namespace berth::security
