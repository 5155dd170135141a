// Image references: Docker's grammar (distribution/reference), by hand.
//
// The grammar is small enough to read as code, and every refusal can then
// say which part is wrong, which a regular expression cannot:
//
//     reference  := name [ ":" tag ] [ "@" digest ]
//     name       := [ domain "/" ] component ( "/" component )*
//     domain     := host [ ":" port ]       host: DNS labels joined by '.'
//     component  := alnum+ ( separator alnum+ )*   alnum: [a-z0-9]
//     separator  := "." | "_" | "__" | "-"+
//     tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
#include "image/reference.h"

#include <algorithm>
#include <cctype>

#include "common/error.h"

namespace berth::image {

namespace {

constexpr std::string_view kDockerHub = "docker.io";
constexpr std::size_t kMaxNameLength = 255;  // registry + "/" + path, as Docker counts
constexpr std::size_t kMaxTagLength = 128;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || is_digit(c);
}
bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool is_word(char c) {
  return is_alnum(c) || c == '_';
}

// A path component: lower-case alphanumeric runs joined by one separator.
bool valid_component(std::string_view component) {
  if (component.empty() || !is_lower_alnum(component.front()) ||
      !is_lower_alnum(component.back())) {
    return false;
  }
  for (std::size_t i = 0; i < component.size();) {
    if (is_lower_alnum(component[i])) {
      ++i;
      continue;
    }
    // A separator: ".", "_", "__" or a run of "-", then alphanumerics again.
    std::size_t end = i;
    if (component[i] == '-') {
      while (end < component.size() && component[end] == '-') {
        ++end;
      }
    } else if (component.substr(i, 2) == "__") {
      end = i + 2;
    } else if (component[i] == '.' || component[i] == '_') {
      end = i + 1;
    } else {
      return false;
    }
    if (end >= component.size() || !is_lower_alnum(component[end])) return false;
    i = end;
  }
  return true;
}

// A DNS label: alphanumerics and inner hyphens (upper case allowed).
bool valid_label(std::string_view label) {
  return !label.empty() && is_alnum(label.front()) && is_alnum(label.back()) &&
         std::ranges::all_of(label, [](char c) { return is_alnum(c) || c == '-'; });
}

bool valid_registry(std::string_view registry) {
  std::string_view host = registry;
  if (const auto colon = registry.rfind(':'); colon != std::string_view::npos) {
    const std::string_view port = registry.substr(colon + 1);
    if (port.empty() || !std::ranges::all_of(port, is_digit)) return false;
    host = registry.substr(0, colon);
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {  // an IPv6 address
    return std::ranges::all_of(host.substr(1, host.size() - 2), [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':';
    });
  }
  while (true) {
    const auto dot = host.find('.');
    if (!valid_label(host.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    host.remove_prefix(dot + 1);
  }
}

bool valid_tag(std::string_view tag) {
  return !tag.empty() && tag.size() <= kMaxTagLength && is_word(tag.front()) &&
         std::ranges::all_of(tag, [](char c) { return is_word(c) || c == '.' || c == '-'; });
}

// Docker's rule: the first component names a registry only if it looks
// like a host ('.' or ':' in it, or "localhost") or is not lower-case (a
// path never is); otherwise the whole name is a path on Docker Hub.
bool names_registry(std::string_view first) {
  return first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
         std::ranges::any_of(first, [](char c) { return c >= 'A' && c <= 'Z'; });
}

}  // namespace

Reference Reference::parse(std::string_view text) {
  const std::string shown =
      text.size() <= 300 ? std::string(text) : std::string(text.substr(0, 300)) + "...";
  const auto fail = [&](std::string_view why) -> Error {
    return Error("parse image reference", "\"" + shown + "\"", why);
  };
  if (text.empty()) throw fail("is empty");

  Reference reference;
  std::string_view name = text;
  if (const auto at = text.find('@'); at != std::string_view::npos) {
    try {
      reference.digest = Digest::parse(text.substr(at + 1));
    } catch (const Error& error) {
      throw fail("invalid digest \"" + std::string(text.substr(at + 1, 100)) + "\"");
    }
    name = text.substr(0, at);
  }
  // The tag follows the last ':' after the last '/' ("host:5000/app" has none).
  const auto slash = name.rfind('/');
  if (const auto colon = name.rfind(':');
      colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    reference.tag = name.substr(colon + 1);
    if (!valid_tag(reference.tag)) {
      throw fail("invalid tag \"" + std::string(reference.tag.substr(0, 200)) + "\"");
    }
    name = name.substr(0, colon);
  }
  if (name.empty()) throw fail("repository name is empty");

  std::string_view path = name;
  if (const auto first = name.find('/');
      first != std::string_view::npos && names_registry(name.substr(0, first))) {
    reference.registry = name.substr(0, first);
    path = name.substr(first + 1);
    if (!valid_registry(reference.registry)) {
      throw fail("invalid registry \"" + reference.registry + "\"");
    }
  }
  if (name.size() > kMaxNameLength) {
    throw fail("repository name is longer than " + std::to_string(kMaxNameLength) + " characters");
  }
  if (std::ranges::any_of(path, [](char c) { return c >= 'A' && c <= 'Z'; })) {
    throw fail("repository name must be lowercase");
  }
  for (std::size_t begin = 0; begin <= path.size();) {
    const auto end = std::min(path.find('/', begin), path.size());
    const std::string_view component = path.substr(begin, end - begin);
    if (!valid_component(component)) {
      throw fail("invalid path component \"" + std::string(component) + "\"");
    }
    begin = end + 1;
  }
  if (reference.registry.empty() && path.size() == 64 && std::ranges::all_of(path, [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c));
      })) {
    throw fail("a 64-digit hexadecimal name is an image ID, not a repository name");
  }

  if (reference.registry.empty() || reference.registry == "index.docker.io") {
    reference.registry = kDockerHub;
  }
  reference.path = path;
  if (reference.registry == kDockerHub && path.find('/') == std::string_view::npos) {
    reference.path = "library/" + reference.path;
  }
  if (reference.tag.empty() && !reference.digest) reference.tag = "latest";
  return reference;
}

std::string Reference::repository() const {
  return registry + "/" + path;
}

std::string Reference::str() const {
  std::string text = repository();
  if (!tag.empty()) text += ":" + tag;
  if (digest) text += "@" + digest->str();
  return text;
}

std::string Reference::familiar_name() const {
  if (registry != kDockerHub) return repository();
  constexpr std::string_view kLibrary = "library/";
  if (path.starts_with(kLibrary) && path.find('/', kLibrary.size()) == std::string::npos) {
    return path.substr(kLibrary.size());
  }
  return path;
}

}  // namespace berth::image
