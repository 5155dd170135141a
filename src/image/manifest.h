// image/manifest — the documents of an OCI image, and the Docker names for them.
//
// Chapter 08. An image is a small tree of JSON documents over blobs:
//
//     index.json ──► manifest ──► config   (how to run it: Env, Cmd, ...)
//      (tags)           │
//                       └──► layers   (tarballs, applied bottom first)
//
// Each arrow is a descriptor: a media type, a digest and a size. Docker's
// own media types (application/vnd.docker.…) describe the same documents
// and are accepted everywhere the OCI ones are.
//
// The structs below are parsed views. The bytes of a manifest or config are
// what its digest names, so Berth stores and copies the bytes themselves and
// never re-serializes a document it did not create.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "image/digest.h"

namespace berth::image {

namespace media_type {
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
}  // namespace media_type

// Whether a layer of this media type can be unpacked (plain, gzip or zstd
// tar, OCI or Docker); anything else is refused with the type named.
bool is_layer_media_type(std::string_view type);

struct Descriptor {
  std::string media_type;
  Digest digest;
  std::int64_t size = 0;
  std::map<std::string, std::string> annotations;
  std::string os;            // platform, in an index's entries only
  std::string architecture;  // (empty elsewhere)
};

// A descriptor of `size` bytes of media type `media_type`, named `digest`:
// no annotations, no platform.
Descriptor describe(std::string_view media_type, const Digest& digest, std::size_t size);

struct Manifest {
  std::string media_type;  // OCI or Docker manifest
  Descriptor config;
  std::vector<Descriptor> layers;  // bottom first
  std::map<std::string, std::string> annotations;
};

// The parts of an image config that say how to run it (the OCI spec's
// config/ section, which Docker calls ContainerConfig's twin "config").
struct RunConfig {
  std::string user;
  std::vector<std::string> env;  // "KEY=value"
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string working_dir;
  std::vector<std::string> exposed_ports;  // "80/tcp"
  std::map<std::string, std::string> labels;
  std::string stop_signal;
};

// One step of how the image was made, as `docker history` lists them.
struct History {
  std::string created;     // RFC 3339, may be empty
  std::string created_by;  // "berth import busybox.tar", "/bin/sh -c make"
  std::string comment;
  bool empty_layer = false;  // the step changed the config only, no layer
};

struct ImageConfig {
  std::string architecture;  // "amd64"
  std::string os;            // "linux"
  std::string created;       // RFC 3339, may be empty
  RunConfig config;
  std::vector<Digest> diff_ids;  // rootfs.diff_ids: each layer's uncompressed digest
  std::vector<History> history;
};

// Parsers. `where` names the document in errors ("manifest sha256:…",
// "manifest.json in busybox.tar"); a bad document throws berth::Error
// "parse WHERE: <JSON path>: <why>", e.g. "parse manifest sha256:ab…: layers[2].digest: missing".
// An unknown mediaType is an error naming it.
Manifest parse_manifest(std::string_view text, std::string_view where);
std::vector<Descriptor> parse_index(std::string_view text,
                                    std::string_view where);  // its manifests
ImageConfig parse_config(std::string_view text, std::string_view where);

// Writers, for documents Berth creates (import, commit): canonical JSON
// (keys sorted, no spaces) so the same image gives the same digest.
std::string to_json(const Manifest& manifest);
std::string to_json(const std::vector<Descriptor>& index_manifests);  // an index
std::string to_json(const ImageConfig& config);

// This machine's architecture as image configs and indexes name it (Go's
// GOARCH): "amd64", "arm64", ...: what an image must be built for to run here.
std::string_view host_architecture();

// Layer i's chain ID: the name of "this layer on top of exactly these
// layers". chain(0) = diff_ids[0]; chain(i) = sha256(chain(i-1) + " " + diff_ids[i]).
std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids);

}  // namespace berth::image
