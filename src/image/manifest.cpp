// The image documents: parsing with a JSON path in every error, canonical
// writing, and chain IDs.
#include "image/manifest.h"

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace berth::image {

namespace {

using nlohmann::json;

// A value of the document with its JSON path, so that a refusal says where:
// "parse manifest sha256:ab…: layers[2].digest: missing".
class Node {
 public:
  Node(const json& value, std::string path, std::string_view where)
      : value_(&value), path_(std::move(path)), where_(where) {}

  [[noreturn]] void fail(std::string_view why) const {
    throw Error("parse", where_,
                (path_.empty() ? std::string("(document)") : path_) + ": " + std::string(why));
  }

  // The member `key`, which must be present (and not null).
  Node operator[](std::string_view key) const {
    auto member = find(key);
    if (!member) throw Error("parse", where_, child(key) + ": missing");
    return *member;
  }
  // The member `key`, or nothing when it is absent or null.
  std::optional<Node> find(std::string_view key) const {
    if (!value_->is_object()) fail("must be an object");
    const auto it = value_->find(key);
    if (it == value_->end() || it->is_null()) return std::nullopt;
    return Node(*it, child(key), where_);
  }
  std::vector<Node> items() const {
    if (!value_->is_array()) fail("must be an array");
    std::vector<Node> nodes;
    nodes.reserve(value_->size());
    for (std::size_t i = 0; i < value_->size(); ++i) {
      nodes.emplace_back((*value_)[i], path_ + "[" + std::to_string(i) + "]", where_);
    }
    return nodes;
  }
  // The keys of an object, in order.
  std::vector<std::string> keys() const {
    if (!value_->is_object()) fail("must be an object");
    std::vector<std::string> names;
    for (const auto& [key, value] : value_->items()) {
      names.push_back(key);
    }
    return names;
  }

  bool boolean() const {
    if (!value_->is_boolean()) fail("must be true or false");
    return value_->get<bool>();
  }
  std::string string() const {
    if (!value_->is_string()) fail("must be a string");
    return value_->get<std::string>();
  }
  std::vector<std::string> strings() const {
    std::vector<std::string> values;
    for (const Node& item : items()) {
      values.push_back(item.string());
    }
    return values;
  }
  std::map<std::string, std::string> string_map() const {
    std::map<std::string, std::string> values;
    for (const std::string& key : keys()) {
      values[key] = (*this)[key].string();
    }
    return values;
  }
  std::int64_t size() const {
    if (value_->is_number_unsigned() &&
        value_->get<std::uint64_t>() <= std::uint64_t{std::numeric_limits<std::int64_t>::max()}) {
      return value_->get<std::int64_t>();
    }
    if (value_->is_number_integer()) fail("must not be negative");
    fail("must be a whole number of bytes");
  }
  Digest digest() const {
    try {
      return Digest::parse(string());
    } catch (const Error& error) {
      fail(error.what());
    }
  }

 private:
  std::string child(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  const json* value_;
  std::string path_;
  std::string_view where_;
};

json parse_json(std::string_view text, std::string_view where) {
  try {
    return json::parse(text);
  } catch (const json::exception& error) {
    throw Error("parse", where, error.what());
  }
}

std::string string_or_empty(const Node& node, std::string_view key) {
  const auto member = node.find(key);
  return member ? member->string() : std::string();
}

Descriptor parse_descriptor(const Node& node) {
  Descriptor descriptor;
  descriptor.media_type = node["mediaType"].string();
  descriptor.digest = node["digest"].digest();
  descriptor.size = node["size"].size();
  if (const auto annotations = node.find("annotations")) {
    descriptor.annotations = annotations->string_map();
  }
  if (const auto platform = node.find("platform")) {
    descriptor.os = string_or_empty(*platform, "os");
    descriptor.architecture = string_or_empty(*platform, "architecture");
  }
  return descriptor;
}

// schemaVersion is 2 in every OCI and Docker v2 document (required by both).
void check_schema_version(const Node& root) {
  const auto version = root.find("schemaVersion");
  if (!version) return;
  if (version->size() != 2) version->fail("must be 2");
}

json descriptor_json(const Descriptor& descriptor) {
  json j{{"mediaType", descriptor.media_type},
         {"digest", descriptor.digest.str()},
         {"size", descriptor.size}};
  if (!descriptor.annotations.empty()) j["annotations"] = descriptor.annotations;
  if (!descriptor.os.empty() || !descriptor.architecture.empty()) {
    j["platform"] = {{"architecture", descriptor.architecture}, {"os", descriptor.os}};
  }
  return j;
}

// A canonical text: nlohmann's objects are sorted maps and dump() without an
// indent adds no spaces, so equal documents give equal bytes.
std::string canonical(const json& document) {
  return document.dump(-1, ' ', false, json::error_handler_t::strict);
}

}  // namespace

bool is_layer_media_type(std::string_view type) {
  return type == media_type::kOciLayer || type == media_type::kOciLayerGzip ||
         type == media_type::kOciLayerZstd || type == media_type::kDockerLayerGzip ||
         type == "application/vnd.docker.image.rootfs.diff.tar";
}

Manifest parse_manifest(std::string_view text, std::string_view where) {
  const json document = parse_json(text, where);
  const Node root(document, "", where);
  check_schema_version(root);
  Manifest manifest;
  // mediaType is optional in an OCI manifest (its config says what it is).
  manifest.media_type = string_or_empty(root, "mediaType");
  if (manifest.media_type.empty()) manifest.media_type = media_type::kOciManifest;
  if (manifest.media_type != media_type::kOciManifest &&
      manifest.media_type != media_type::kDockerManifest) {
    root["mediaType"].fail("unknown media type \"" + manifest.media_type + "\" for a manifest");
  }
  manifest.config = parse_descriptor(root["config"]);
  for (const Node& layer : root["layers"].items()) {
    manifest.layers.push_back(parse_descriptor(layer));
  }
  if (const auto annotations = root.find("annotations")) {
    manifest.annotations = annotations->string_map();
  }
  return manifest;
}

std::vector<Descriptor> parse_index(std::string_view text, std::string_view where) {
  const json document = parse_json(text, where);
  const Node root(document, "", where);
  check_schema_version(root);
  const std::string type = string_or_empty(root, "mediaType");
  if (!type.empty() && type != media_type::kOciIndex && type != media_type::kDockerManifestList) {
    root["mediaType"].fail("unknown media type \"" + type + "\" for an index");
  }
  std::vector<Descriptor> manifests;
  for (const Node& entry : root["manifests"].items()) {
    manifests.push_back(parse_descriptor(entry));
  }
  return manifests;
}

ImageConfig parse_config(std::string_view text, std::string_view where) {
  const json document = parse_json(text, where);
  const Node root(document, "", where);
  ImageConfig config;
  config.architecture = string_or_empty(root, "architecture");
  config.os = string_or_empty(root, "os");
  config.created = string_or_empty(root, "created");
  if (const auto run = root.find("config")) {
    RunConfig& c = config.config;
    c.user = string_or_empty(*run, "User");
    c.working_dir = string_or_empty(*run, "WorkingDir");
    c.stop_signal = string_or_empty(*run, "StopSignal");
    if (const auto env = run->find("Env")) c.env = env->strings();
    if (const auto entrypoint = run->find("Entrypoint")) c.entrypoint = entrypoint->strings();
    if (const auto cmd = run->find("Cmd")) c.cmd = cmd->strings();
    if (const auto ports = run->find("ExposedPorts")) c.exposed_ports = ports->keys();
    if (const auto labels = run->find("Labels")) c.labels = labels->string_map();
  }
  const Node rootfs = root["rootfs"];
  if (const auto type = rootfs.find("type"); type && type->string() != "layers") {
    type->fail("must be \"layers\"");
  }
  for (const Node& diff_id : rootfs["diff_ids"].items()) {
    config.diff_ids.push_back(diff_id.digest());
  }
  if (const auto history = root.find("history")) {
    for (const Node& entry : history->items()) {
      History h;
      h.created = string_or_empty(entry, "created");
      h.created_by = string_or_empty(entry, "created_by");
      h.comment = string_or_empty(entry, "comment");
      if (const auto empty = entry.find("empty_layer")) h.empty_layer = empty->boolean();
      config.history.push_back(std::move(h));
    }
  }
  return config;
}

std::string to_json(const Manifest& manifest) {
  json document{{"schemaVersion", 2},
                {"mediaType", manifest.media_type},
                {"config", descriptor_json(manifest.config)},
                {"layers", json::array()}};
  for (const Descriptor& layer : manifest.layers) {
    document["layers"].push_back(descriptor_json(layer));
  }
  if (!manifest.annotations.empty()) document["annotations"] = manifest.annotations;
  return canonical(document);
}

std::string to_json(const std::vector<Descriptor>& index_manifests) {
  json document{
      {"schemaVersion", 2}, {"mediaType", media_type::kOciIndex}, {"manifests", json::array()}};
  for (const Descriptor& descriptor : index_manifests) {
    document["manifests"].push_back(descriptor_json(descriptor));
  }
  return canonical(document);
}

std::string to_json(const ImageConfig& config) {
  const RunConfig& c = config.config;
  json run = json::object();
  if (!c.user.empty()) run["User"] = c.user;
  if (!c.env.empty()) run["Env"] = c.env;
  if (!c.entrypoint.empty()) run["Entrypoint"] = c.entrypoint;
  if (!c.cmd.empty()) run["Cmd"] = c.cmd;
  if (!c.working_dir.empty()) run["WorkingDir"] = c.working_dir;
  if (!c.labels.empty()) run["Labels"] = c.labels;
  if (!c.stop_signal.empty()) run["StopSignal"] = c.stop_signal;
  for (const std::string& port : c.exposed_ports) {
    run["ExposedPorts"][port] = json::object();
  }

  json document{{"architecture", config.architecture}, {"os", config.os}, {"config", run}};
  if (!config.created.empty()) document["created"] = config.created;
  json diff_ids = json::array();
  for (const Digest& diff_id : config.diff_ids) {
    diff_ids.push_back(diff_id.str());
  }
  document["rootfs"] = {{"type", "layers"}, {"diff_ids", diff_ids}};
  for (const History& h : config.history) {
    json entry = json::object();
    if (!h.created.empty()) entry["created"] = h.created;
    if (!h.created_by.empty()) entry["created_by"] = h.created_by;
    if (!h.comment.empty()) entry["comment"] = h.comment;
    if (h.empty_layer) entry["empty_layer"] = true;
    document["history"].push_back(entry);
  }
  return canonical(document);
}

std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids) {
  std::vector<Digest> chain;
  chain.reserve(diff_ids.size());
  // #lab 08 chain-id: Name each layer by everything beneath it: its chain ID.
  // #hint The bottom layer's chain ID is its own diff_id.
  // #hint Every other layer's is sha256_of(the chain ID below + " " + its diff_id),
  // #hint both written as "sha256:<hex>" (Digest::str()).
  // #region chain-id
  for (const Digest& diff_id : diff_ids) {
    chain.push_back(chain.empty() ? diff_id : sha256_of(chain.back().str() + " " + diff_id.str()));
  }
  // #endregion chain-id
  // #endlab
  return chain;
}

Descriptor describe(std::string_view media_type, const Digest& digest, std::size_t size) {
  Descriptor descriptor;
  descriptor.media_type = media_type;
  descriptor.digest = digest;
  descriptor.size = static_cast<std::int64_t>(size);
  return descriptor;
}

std::string_view host_architecture() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__i386__)
  return "386";
#elif defined(__arm__)
  return "arm";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "ppc64le";
#elif defined(__s390x__)
  return "s390x";
#else
#error "host_architecture: name this architecture as Go's GOARCH does"
#endif
}

}  // namespace berth::image
