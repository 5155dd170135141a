// image/reference — image names as Docker reads them.
//
// Chapter 08. `busybox`, `alpine:3.19`, `localhost:5000/team/app@sha256:…`
// are all references: [registry[:port]/]path[:tag][@digest]. Docker
// normalizes the short forms so that one image has one name:
//
//     busybox                  docker.io/library/busybox:latest
//     me/app:1.0               docker.io/me/app:1.0
//     localhost:5000/app       localhost:5000/app:latest
//
// The first component is a registry only if it holds a '.' or a ':', is
// "localhost", or has an upper-case letter (which no path may have);
// otherwise it is part of the path (Docker's rule, from
// distribution/reference). Path components are lower-case letters, digits
// and separators (".", "_", "__", "-"); a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127};
// registry and path together are at most 255 characters. A bare 64-digit
// hex name is refused: it is an image ID, not a repository.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "image/digest.h"

namespace berth::image {

struct Reference {
  std::string registry;  // "docker.io", "localhost:5000"
  std::string path;      // "library/busybox", "team/app"
  std::string tag;       // "latest" when neither tag nor digest was given
  std::optional<Digest> digest;

  // Parses and normalizes `text`. Throws berth::Error
  // "parse image reference TEXT: <why>" saying which part is invalid
  // ("invalid tag \"Bad Tag\"", "repository name must be lowercase", ...).
  static Reference parse(std::string_view text);

  // "docker.io/library/busybox": the repository, without tag or digest.
  std::string repository() const;
  // The full normalized form: "docker.io/library/busybox:latest", with
  // "@sha256:…" when a digest was given (and no tag part when only a digest
  // was given).
  std::string str() const;
  // The repository as `docker images` shows it: "busybox", "me/app",
  // "localhost:5000/app" (docker.io and library/ left out).
  std::string familiar_name() const;

  friend bool operator==(const Reference&, const Reference&) = default;
};

}  // namespace berth::image
