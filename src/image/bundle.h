// image/bundle — the OCI bundle for a container of an image.
//
// Chapter 08. The runtime of chapter 06 knows nothing of images: it runs a
// bundle, a directory with config.json and a root filesystem. To run an
// image is to write that bundle: the root is the overlay of the image's
// layers (chapter 07), and config.json is the runtime's own starting spec
// (`berth-runtime spec`) with the image config filled in, the way Docker
// turns an image into a container:
//
//     process.args   Entrypoint + (the command given, or else Cmd)
//     process.env    the image's Env, then the caller's -e (same key: the
//                    caller wins); PATH added if neither sets it
//     process.cwd    WorkingDir (made in the root if missing), or "/"
//     process.user   User: "name", "uid", "name:group", "uid:gid", looked up
//                    in the image's own /etc/passwd and /etc/group
//     process.terminal, hostname, linux.cgroupsPath as the caller asks
//     annotations    the image's name, ExposedPorts and StopSignal, kept
//                    for whoever manages the container later
//
// The runtime's spec is the starting point, not a spec written here, so
// that Berth runs images with exactly the namespaces, mounts, capabilities
// and masked paths the runtime chooses (runc's defaults).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "image/manifest.h"

namespace berth::image {

// What the person running the image asked for, on top of the image config.
struct RunRequest {
  std::vector<std::string> command;  // empty: the image's Cmd
  std::vector<std::string> env;      // "KEY=value", after the image's
  std::string user;                  // empty: the image's User
  std::string working_dir;           // empty: the image's WorkingDir
  std::string hostname;              // empty: the runtime's default
  std::string image_name;            // recorded in the annotations
  std::string cgroups_path;          // linux.cgroupsPath; empty: the runtime's
  bool terminal = false;
};

// The process's user, resolved: numeric ids and the supplementary groups the
// image's /etc/group lists the user in (as Docker does).
struct ResolvedUser {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::vector<std::uint32_t> additional_gids;
};

// Resolves `user` ("", "name", "uid", "name:group", "uid:gid", ...) against
// the passwd and group files of the root filesystem open at `root_fd`, read
// inside that root (a symlink there cannot lead to the host's files). Throws
// berth::Error "resolve user NAME: no such user in the image's /etc/passwd".
ResolvedUser resolve_user(int root_fd, std::string_view user);

// config.json for running `image` as `request` asks: `spec_json` (what
// `berth-runtime spec` wrote) with root.path = "rootfs" and the process
// filled in as above; `root_fd` is the container's root filesystem, for the
// user lookup. Throws berth::Error "run IMAGE: no command specified" when
// neither the request nor the image gives a command.
std::string runtime_config(std::string_view spec_json, const ImageConfig& image,
                           const RunRequest& request, int root_fd);

}  // namespace berth::image
