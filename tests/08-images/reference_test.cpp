// Image references as Docker reads them, digests, and the documents of an
// image: what is accepted, how it is normalized, and what each refusal says.
#include "image/reference.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "image/digest.h"
#include "image/manifest.h"

using berth::image::chain_ids;
using berth::image::Digest;
using berth::image::Reference;
namespace image = berth::image;

namespace {

const std::string kHex(64, 'a');

// The message of the berth::Error that parsing `text` throws.
std::string refusal(const std::string& text) {
  try {
    Reference::parse(text);
  } catch (const berth::Error& error) {
    return error.what();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("short references are normalized as docker does", "[reference]") {
  struct Case {
    std::string text, registry, path, tag, full, familiar;
  };
  const Case cases[] = {
      {"busybox", "docker.io", "library/busybox", "latest", "docker.io/library/busybox:latest",
       "busybox"},
      {"alpine:3.19", "docker.io", "library/alpine", "3.19", "docker.io/library/alpine:3.19",
       "alpine"},
      {"me/app:1.0", "docker.io", "me/app", "1.0", "docker.io/me/app:1.0", "me/app"},
      {"docker.io/library/busybox", "docker.io", "library/busybox", "latest",
       "docker.io/library/busybox:latest", "busybox"},
      {"index.docker.io/me/app", "docker.io", "me/app", "latest", "docker.io/me/app:latest",
       "me/app"},
      {"localhost/app", "localhost", "app", "latest", "localhost/app:latest", "localhost/app"},
      {"localhost:5000/a/b:t", "localhost:5000", "a/b", "t", "localhost:5000/a/b:t",
       "localhost:5000/a/b"},
      {"quay.io/team/sub/app:v1.2-rc_3", "quay.io", "team/sub/app", "v1.2-rc_3",
       "quay.io/team/sub/app:v1.2-rc_3", "quay.io/team/sub/app"},
      {"Registry.Example/app", "Registry.Example", "app", "latest", "Registry.Example/app:latest",
       "Registry.Example/app"},
      {"me/a.b-c__d---e", "docker.io", "me/a.b-c__d---e", "latest",
       "docker.io/me/a.b-c__d---e:latest", "me/a.b-c__d---e"},
      {"[::1]:5000/app:x", "[::1]:5000", "app", "x", "[::1]:5000/app:x", "[::1]:5000/app"},
      {"localhost:5000", "docker.io", "library/localhost", "5000",
       "docker.io/library/localhost:5000", "localhost"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    const Reference reference = Reference::parse(c.text);
    CHECK(reference.registry == c.registry);
    CHECK(reference.path == c.path);
    CHECK(reference.tag == c.tag);
    CHECK_FALSE(reference.digest);
    CHECK(reference.str() == c.full);
    CHECK(reference.familiar_name() == c.familiar);
    CHECK(reference.repository() == c.registry + "/" + c.path);
    // The normal form is a fixed point.
    CHECK(Reference::parse(reference.str()) == reference);
  }
}

TEST_CASE("a digest reference keeps its digest and gets no default tag", "[reference]") {
  const Reference by_digest = Reference::parse("host.io/x@sha256:" + kHex);
  CHECK(by_digest.registry == "host.io");
  CHECK(by_digest.path == "x");
  CHECK(by_digest.tag.empty());
  REQUIRE(by_digest.digest);
  CHECK(by_digest.digest->hex() == kHex);
  CHECK(by_digest.str() == "host.io/x@sha256:" + kHex);

  const Reference both = Reference::parse("busybox:1.36@sha256:" + kHex);
  CHECK(both.tag == "1.36");
  CHECK(both.str() == "docker.io/library/busybox:1.36@sha256:" + kHex);
}

TEST_CASE("invalid references are refused with the part that is wrong", "[reference]") {
  struct Case {
    std::string text, why;
  };
  const Case cases[] = {
      {"", "is empty"},
      {"Busybox", "repository name must be lowercase"},
      {"me/App", "repository name must be lowercase"},
      {"busybox:bad tag", "invalid tag \"bad tag\""},
      {"busybox:-dash", "invalid tag \"-dash\""},
      {"busybox:", "invalid tag \"\""},
      {"busybox:" + std::string(129, 't'), "invalid tag"},
      {":latest", "repository name is empty"},
      {"busybox@sha256:abc", "invalid digest \"sha256:abc\""},
      {"busybox@md5:" + kHex, "invalid digest"},
      {"a//b", "invalid path component \"\""},
      {"a/b/", "invalid path component \"\""},
      {"-a/b", "invalid path component \"-a\""},
      {"a_/b", "invalid path component \"a_\""},
      {"a___b", "invalid path component \"a___b\""},
      {"a/b!c", "invalid path component \"b!c\""},
      {"bad_host.io/app", "invalid registry \"bad_host.io\""},
      {"host.io:port/app", "invalid registry \"host.io:port\""},
      {"-host.io/app", "invalid registry \"-host.io\""},
      {"a/" + std::string(300, 'b'), "longer than 255 characters"},
      {kHex, "is an image ID"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    const std::string message = refusal(c.text);
    CHECK(message.starts_with("parse image reference \""));
    CHECK(message.find(c.why) != std::string::npos);
  }
}

TEST_CASE("digests are parsed strictly and hashed with sha256", "[digest]") {
  CHECK(image::sha256_of("").str() ==
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(image::sha256_of("abc").hex() ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(Digest::parse("sha256:" + kHex).short_id() == "aaaaaaaaaaaa");
  for (const std::string& bad :
       std::vector<std::string>{"", "sha256:", "sha256:" + std::string(63, 'a'),
                                "sha256:" + std::string(64, 'A'), "sha512:" + kHex, kHex}) {
    INFO(bad);
    CHECK_THROWS_WITH(Digest::parse(bad), Catch::StartsWith("parse digest"));
  }
}

TEST_CASE("chain IDs name each layer with every layer beneath it", "[digest]") {
  const Digest a = image::sha256_of("layer a");
  const Digest b = image::sha256_of("layer b");
  const Digest c = image::sha256_of("layer c");
  const auto chain = chain_ids({a, b, c});
  REQUIRE(chain.size() == 3);
  CHECK(chain[0] == a);
  CHECK(chain[1] == image::sha256_of(a.str() + " " + b.str()));
  CHECK(chain[2] == image::sha256_of(chain[1].str() + " " + c.str()));
  // The same layer on another base is another chain.
  CHECK(chain_ids({b, c})[1] != chain[2]);
  CHECK(chain_ids({}).empty());
  // Known answers, computed with Python's hashlib.
  CHECK(chain[1].str() ==
        "sha256:96097a2f877d2a7d46e93242c3e704909aa0d4486b8e4a03c8d91739d51f35c8");
  CHECK(chain[2].str() ==
        "sha256:eb60e3bb7bee074fb571fcbd9d3494f1ab5477da651e899915c6ee6bfb985b4f");
}

TEST_CASE("a manifest parses and each refusal names its JSON path", "[manifest]") {
  const std::string layer = "sha256:" + std::string(64, 'b');
  const std::string good = R"({"schemaVersion":2,
    "mediaType":"application/vnd.docker.distribution.manifest.v2+json",
    "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:)" +
                           kHex + R"(","size":7},
    "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":")" +
                           layer + R"(","size":12}]})";
  const image::Manifest manifest = image::parse_manifest(good, "manifest m");
  CHECK(manifest.media_type == image::media_type::kDockerManifest);
  CHECK(manifest.config.size == 7);
  REQUIRE(manifest.layers.size() == 1);
  CHECK(manifest.layers[0].digest.str() == layer);
  CHECK(image::is_layer_media_type(manifest.layers[0].media_type));
  CHECK_FALSE(image::is_layer_media_type("application/vnd.example.weird"));
  // What we write parses back to the same thing.
  const image::Manifest again = image::parse_manifest(image::to_json(manifest), "again");
  CHECK(image::to_json(again) == image::to_json(manifest));

  struct Case {
    std::string json, message;
  };
  const Case cases[] = {
      {"{", "parse manifest m: "},
      {R"({"schemaVersion":2})", "parse manifest m: config: missing"},
      {R"({"schemaVersion":3,"config":{}})", "schemaVersion: must be 2"},
      {R"({"mediaType":"text/plain","config":{},"layers":[]})",
       "mediaType: unknown media type \"text/plain\""},
      {R"({"config":{"mediaType":"x","digest":"sha256:)" + kHex + R"(","size":-1},"layers":[]})",
       "config.size: must not be negative"},
      {R"({"config":{"mediaType":"x","digest":"sha256:)" + kHex +
           R"(","size":1},"layers":[{"mediaType":"x","size":1}]})",
       "layers[0].digest: missing"},
      {R"({"config":{"mediaType":"x","digest":"nope","size":1},"layers":[]})",
       "config.digest: parse digest"},
      {R"({"config":{"mediaType":"x","digest":"sha256:)" + kHex + R"(","size":1},"layers":{}})",
       "layers: must be an array"},
  };
  for (const Case& c : cases) {
    INFO(c.json);
    CHECK_THROWS_WITH(image::parse_manifest(c.json, "manifest m"), Catch::Contains(c.message));
  }
}

TEST_CASE("an image config gives its run settings and diff_ids", "[manifest]") {
  const std::string json = R"({"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z",
    "config":{"User":"1000:1000","Env":["PATH=/bin","A=b"],"Entrypoint":["/init"],"Cmd":null,
              "WorkingDir":"/srv","ExposedPorts":{"80/tcp":{},"53/udp":{}},"Labels":{"k":"v"},
              "StopSignal":"SIGINT"},
    "rootfs":{"type":"layers","diff_ids":["sha256:)" +
                           kHex + R"("]},
    "history":[{"created_by":"import","empty_layer":false}]})";
  const image::ImageConfig config = image::parse_config(json, "config c");
  CHECK(config.architecture == "amd64");
  CHECK(config.config.user == "1000:1000");
  CHECK(config.config.env == std::vector<std::string>{"PATH=/bin", "A=b"});
  CHECK(config.config.entrypoint == std::vector<std::string>{"/init"});
  CHECK(config.config.cmd.empty());
  CHECK(config.config.working_dir == "/srv");
  CHECK(config.config.exposed_ports == std::vector<std::string>{"53/udp", "80/tcp"});
  CHECK(config.config.labels.at("k") == "v");
  CHECK(config.config.stop_signal == "SIGINT");
  REQUIRE(config.diff_ids.size() == 1);
  CHECK(config.diff_ids[0].hex() == kHex);
  REQUIRE(config.history.size() == 1);
  CHECK(config.history[0].created_by == "import");
  // Canonical: written twice, the same bytes; read back, the same config.
  CHECK(image::to_json(config) == image::to_json(image::parse_config(image::to_json(config), "w")));
  CHECK(image::to_json(config).find(' ') == std::string::npos);

  CHECK_THROWS_WITH(image::parse_config(R"({"architecture":"amd64"})", "config c"),
                    Catch::Contains("parse config c: rootfs: missing"));
  CHECK_THROWS_WITH(image::parse_config(R"({"rootfs":{"diff_ids":[1]}})", "config c"),
                    Catch::Contains("rootfs.diff_ids[0]: must be a string"));
  CHECK_THROWS_WITH(
      image::parse_config(R"({"config":{"Env":"A=b"},"rootfs":{"diff_ids":[]}})", "c"),
      Catch::Contains("config.Env: must be an array"));
}
