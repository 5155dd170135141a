// The image store: blobs checked by digest, tags in index.json, import,
// layers unpacked by chain ID, gc and verify, locking, and what a kill -9
// in the middle of any of it leaves behind.
#include "image/store.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "image/import.h"
#include "image/layer.h"
#include "support/support.h"

using namespace berth::test;
namespace image = berth::image;
using Access = image::Store::Access;
using image::describe;
using image::Digest;
using image::Reference;
using image::Store;

namespace {

// Runs a shell command; the test fails if it does.
void sh(const std::string& script) {
  const CommandResult result = run({"sh", "-c", script});
  INFO(script << "\n" << result.err);
  REQUIRE(result.exit_code == 0);
}

// A tarball of the busybox root filesystem, made by GNU tar.
fs::path busybox_tarball(const TempDir& tmp) {
  fs::path tarball = tmp / "busybox.tar";
  sh("tar -C '" + busybox_rootfs().string() + "' -cf '" + tarball.string() + "' .");
  return tarball;
}

// Everything a failed command must leave as it was: index.json's bytes and
// the names in blobs/ and layers/ (and tmp/ empty).
std::string snapshot(const fs::path& root) {
  std::string state = read_file(root / "index.json") + "\n";
  for (const char* dir : {"blobs/sha256", "layers", "tmp"}) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(root / dir)) {
      names.push_back(entry.path().filename().string());
    }
    std::ranges::sort(names);
    state += std::string(dir) + ":";
    for (const auto& name : names) {
      state += " " + name;
    }
    state += "\n";
  }
  return state;
}

std::string problems_of(const image::VerifyReport& report) {
  std::string text;
  for (const auto& line : report.problems) {
    text += line + "\n";
  }
  return text;
}

std::size_t count_entries(const fs::path& dir) {
  return static_cast<std::size_t>(
      std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

// An image made by hand from gzip'ed layer tarballs (bottom first).
image::Image add_image(Store& store, const std::string& name, const std::vector<fs::path>& layers,
                       std::string_view layer_type = image::media_type::kOciLayerGzip) {
  image::Manifest manifest;
  manifest.media_type = image::media_type::kOciManifest;
  image::ImageConfig config;
  config.architecture = "amd64";
  config.os = "linux";
  for (const fs::path& layer : layers) {
    const std::string bytes = read_file(layer);
    const Digest digest = store.write_blob(bytes);
    const berth::UniqueFd fd{::open(layer.c_str(), O_RDONLY | O_CLOEXEC)};
    config.diff_ids.push_back(image::read_layer(fd.get(), layer.string()).uncompressed.digest);
    manifest.layers.push_back(describe(layer_type, digest, bytes.size()));
  }
  const std::string config_json = image::to_json(config);
  manifest.config =
      describe(image::media_type::kOciConfig, store.write_blob(config_json), config_json.size());
  const std::string manifest_json = image::to_json(manifest);
  const auto descriptor = describe(image::media_type::kOciManifest, store.write_blob(manifest_json),
                                   manifest_json.size());
  const Reference reference = Reference::parse(name);
  store.add(reference, descriptor);
  return image::Image{reference, descriptor};
}

// A gzip'ed layer holding `files` (name -> content) under TMP/NAME.
fs::path make_layer(const TempDir& tmp, const std::string& name,
                    const std::vector<std::pair<std::string, std::string>>& files) {
  const fs::path dir = tmp / (name + ".d");
  fs::create_directories(dir);
  for (const auto& [path, content] : files) {
    fs::create_directories((dir / path).parent_path());
    write_file(dir / path, content);
  }
  fs::path tarball = tmp / (name + ".tar.gz");
  sh("tar -C '" + dir.string() + "' -czf '" + tarball.string() + "' .");
  return tarball;
}

}  // namespace

TEST_CASE("a new store is an OCI image layout that verifies", "[store]") {
  TempDir tmp;
  const fs::path root = tmp / "store";
  Store store(root);
  CHECK(read_file(root / "oci-layout") == R"({"imageLayoutVersion":"1.0.0"})");
  CHECK(read_file(root / "index.json").find(R"("manifests":[])") != std::string::npos);
  CHECK(fs::is_directory(root / "blobs" / "sha256"));
  CHECK(store.images().empty());
  const auto report = store.verify();
  CHECK(report.problems.empty());
  CHECK(report.blobs_checked == 0);
}

TEST_CASE("a directory whose index.json does not parse is not opened as a store", "[store]") {
  TempDir tmp;
  write_file(tmp / "index.json", "{not json");
  CHECK_THROWS_WITH(Store(tmp.path()), Catch::Contains((tmp / "index.json").string()));
  CHECK_FALSE(fs::exists(tmp / "blobs"));
  CHECK_FALSE(fs::exists(tmp / "lock"));
}

TEST_CASE("blobs are named by their digest and checked when written and read", "[store][blob]") {
  TempDir tmp;
  Store store(tmp / "store");
  const Digest digest = store.write_blob("hello");
  CHECK(digest == image::sha256_of("hello"));
  CHECK(store.has_blob(digest));
  CHECK(store.blob_path(digest) == tmp / "store" / "blobs" / "sha256" / digest.hex());
  CHECK(store.read_blob(digest) == "hello");
  CHECK(store.write_blob("hello") == digest);  // once only
  CHECK(count_entries(tmp / "store" / "blobs" / "sha256") == 1);

  // Streamed, with the digest the sender promised: a lie stores nothing.
  write_file(tmp / "data", "streamed bytes");
  const berth::UniqueFd good{::open((tmp / "data").c_str(), O_RDONLY | O_CLOEXEC)};
  const auto written = store.write_blob(good.get(), image::sha256_of("streamed bytes"));
  CHECK(written.size == 14);
  CHECK(store.read_blob(written.digest) == "streamed bytes");
  const berth::UniqueFd bad{::open((tmp / "data").c_str(), O_RDONLY | O_CLOEXEC)};
  const Digest promised = image::sha256_of("something else");
  CHECK_THROWS_WITH(store.write_blob(bad.get(), promised),
                    "write blob " + promised.str() + ": digest mismatch (content hashes to " +
                        written.digest.str() + ")");
  CHECK_FALSE(store.has_blob(promised));
  CHECK(count_entries(tmp / "store" / "blobs" / "sha256") == 2);
  CHECK(count_entries(tmp / "store" / "tmp") == 0);

  // A blob changed on disk no longer matches its name: every read says so.
  fs::permissions(store.blob_path(digest), fs::perms::owner_write, fs::perm_options::add);
  write_file(store.blob_path(digest), "jello");
  const std::string mismatch =
      "digest mismatch (content hashes to " + image::sha256_of("jello").str() + ")";
  CHECK_THROWS_WITH(store.read_blob(digest), "read blob " + digest.str() + ": " + mismatch);
  CHECK_THROWS_WITH(store.open_blob(digest), "open blob " + digest.str() + ": " + mismatch);
  CHECK(problems_of(store.verify()) == "blob " + digest.str() + ": " + mismatch + "\n");
  CHECK_THROWS_WITH(store.read_blob(image::sha256_of("absent")),
                    Catch::Contains("no such file or directory"));
}

TEST_CASE("tags live in index.json annotated for containerd and OCI tools", "[store][index]") {
  TempDir tmp;
  Store store(tmp / "store");
  const Digest manifest = store.write_blob(R"({"schemaVersion":2})");
  const auto descriptor = describe(image::media_type::kOciManifest, manifest, 19);
  store.add(Reference::parse("busybox"), descriptor);
  store.add(Reference::parse("localhost:5000/team/app:1.0"), descriptor);

  const std::string index = read_file(tmp / "store" / "index.json");
  CHECK(index.find(R"("io.containerd.image.name":"docker.io/library/busybox:latest")") !=
        std::string::npos);
  CHECK(index.find(R"("org.opencontainers.image.ref.name":"1.0")") != std::string::npos);

  const auto images = store.images();
  REQUIRE(images.size() == 2);
  CHECK(images[0].reference.str() == "docker.io/library/busybox:latest");
  CHECK(images[1].reference.str() == "localhost:5000/team/app:1.0");
  CHECK(images[0].manifest.digest == manifest);

  // Found by name, by full digest, by ID prefix, and by repository@digest.
  CHECK(store.get("busybox").reference.tag == "latest");
  CHECK(store.get("docker.io/library/busybox:latest").manifest.digest == manifest);
  CHECK(store.get(manifest.str()).manifest.digest == manifest);
  CHECK(store.get(manifest.hex().substr(0, 6)).manifest.digest == manifest);
  CHECK(store.get("busybox@" + manifest.str()).reference.str() ==
        "docker.io/library/busybox:latest");
  CHECK_FALSE(store.find("busybox:other"));
  CHECK_FALSE(store.find("alpine@" + manifest.str()));
  CHECK_THROWS_WITH(store.get("nope"), "no such image: nope");

  // A tag moves to another manifest; the old one stays until gc.
  const Digest other = store.write_blob(R"({"schemaVersion":2,"x":1})");
  store.add(Reference::parse("busybox:latest"),
            describe(image::media_type::kOciManifest, other, 25));
  CHECK(store.images().size() == 2);
  CHECK(store.get("busybox").manifest.digest == other);
  CHECK(store.get(manifest.hex().substr(0, 6)).reference.familiar_name() ==
        "localhost:5000/team/app");

  CHECK(store.remove(Reference::parse("localhost:5000/team/app:1.0")));
  CHECK_FALSE(store.remove(Reference::parse("localhost:5000/team/app:1.0")));
  CHECK(store.images().size() == 1);
  CHECK(store.has_blob(manifest));

  // A tag cannot point at what the store does not hold.
  CHECK_THROWS_WITH(store.add(Reference::parse("ghost"),
                              describe(image::media_type::kOciManifest, image::sha256_of("x"), 1)),
                    Catch::Contains("no such manifest in the store"));
}

TEST_CASE("import turns a rootfs tarball into a one-layer image", "[store][import]") {
  TempDir tmp;
  Store store(tmp / "store");
  const fs::path tarball = busybox_tarball(tmp);
  const image::Image image = image::import_tarball(store, tarball, "busybox:imported");
  CHECK(image.reference.str() == "docker.io/library/busybox:imported");
  CHECK(store.get("busybox:imported").manifest.digest == image.manifest.digest);

  const image::Manifest manifest = store.manifest(image);
  CHECK(manifest.media_type == image::media_type::kOciManifest);
  REQUIRE(manifest.layers.size() == 1);
  CHECK(manifest.layers[0].media_type == image::media_type::kOciLayerGzip);
  const image::ImageConfig config = store.config(manifest);
  CHECK(config.architecture == "amd64");
  CHECK(config.os == "linux");
  CHECK_FALSE(config.created.empty());
  REQUIRE(config.history.size() == 1);
  CHECK(config.history[0].created_by == "berth import busybox.tar");
  // diff_id: the digest of the tarball itself (it was not compressed).
  REQUIRE(config.diff_ids.size() == 1);
  CHECK(config.diff_ids[0] == image::sha256_of(read_file(tarball)));

  // The stored layer is gzip with no time and no name in its header, so
  // the same tarball, gzip'ed or zstd'ed by anyone, stores the same layer.
  const std::string layer = store.read_blob(manifest.layers[0].digest);
  REQUIRE(layer.size() > 10);
  CHECK(layer.substr(0, 3) == "\x1f\x8b\x08");
  CHECK(layer[3] == 0);                               // no FNAME
  CHECK(layer.substr(4, 4) == std::string(4, '\0'));  // MTIME 0
  sh("gzip -k '" + tarball.string() + "' && zstd -q '" + tarball.string() + "'");
  for (const char* suffix : {".gz", ".zst"}) {
    const auto again = image::import_tarball(store, tarball.string() + suffix, "again");
    const image::Manifest other = store.manifest(again);
    CHECK(other.layers[0].digest == manifest.layers[0].digest);
    CHECK(store.config(other).diff_ids == config.diff_ids);
  }
  CHECK(store.verify().problems.empty());
}

TEST_CASE("a bad tarball or name leaves the store as it was", "[store][import]") {
  TempDir tmp;
  Store store(tmp / "store");
  const fs::path tarball = busybox_tarball(tmp);
  image::import_tarball(store, tarball, "busybox");
  const std::string before = snapshot(tmp / "store");

  const std::string whole = read_file(tarball);
  write_file(tmp / "truncated.tar", whole.substr(0, whole.size() / 2 + 100));
  sh("gzip -c '" + tarball.string() + "' > '" + (tmp / "corrupt.tar.gz").string() + "'");
  std::string gz = read_file(tmp / "corrupt.tar.gz");
  // A gzip CRC-32 that does not match: everything inflates, but the
  // tarball is not what was compressed.
  std::string crc = gz;
  crc[crc.size() - 8] = static_cast<char>(~crc[crc.size() - 8]);
  write_file(tmp / "crc.tar.gz", crc);
  for (std::size_t i = gz.size() / 2; i < gz.size() / 2 + 64; ++i) {
    gz[i] = static_cast<char>(~gz[i]);
  }
  write_file(tmp / "corrupt.tar.gz", gz);
  write_file(tmp / "not-a-tar", std::string(4096, 'x'));

  struct Case {
    fs::path tarball;
    std::string name, why;
  };
  const Case cases[] = {
      {tmp / "truncated.tar", "truncated", "truncated"},
      {tmp / "corrupt.tar.gz", "corrupt", ""},
      {tmp / "crc.tar.gz", "crc", "incorrect data check"},
      {tmp / "not-a-tar", "nonsense", ""},
      {tmp / "missing.tar", "missing", "no such file or directory"},
      {tarball, "Busybox", "repository name must be lowercase"},
      {tarball, "busybox:bad tag", "invalid tag"},
  };
  for (const Case& c : cases) {
    INFO(c.tarball << " " << c.name);
    CHECK_THROWS_WITH(image::import_tarball(store, c.tarball, c.name),
                      Catch::StartsWith("import " + c.tarball.string() + ": ") &&
                          Catch::Contains(c.why, Catch::CaseSensitive::No));
    CHECK(snapshot(tmp / "store") == before);
  }
}

TEST_CASE("layers are unpacked once by chain ID and shared between images", "[store][unpack]") {
  TempDir tmp;
  Store store(tmp / "store");
  const fs::path base = make_layer(tmp, "base", {{"etc/os", "base\n"}, {"bin/tool", "v1\n"}});
  const fs::path top = make_layer(tmp, "top", {{"bin/tool", "v2\n"}});
  const fs::path other = make_layer(tmp, "other", {{"srv/data", "x\n"}});
  const auto two = add_image(store, "two:layers", {base, top});
  const auto sibling = add_image(store, "sibling", {base, other});

  const auto dirs = store.unpack(two);
  const auto chain = image::chain_ids(store.config(store.manifest(two)).diff_ids);
  REQUIRE(dirs.size() == 2);
  CHECK(dirs[0] == tmp / "store" / "layers" / chain[1].hex());  // topmost first
  CHECK(dirs[1] == tmp / "store" / "layers" / chain[0].hex());
  CHECK(read_file(dirs[0] / "bin" / "tool") == "v2\n");
  CHECK(read_file(dirs[1] / "bin" / "tool") == "v1\n");
  CHECK(fs::status(dirs[1]).permissions() == static_cast<fs::perms>(0755));

  // The sibling's bottom layer is the same chain: unpacked already.
  const auto sibling_dirs = store.unpack(sibling);
  CHECK(sibling_dirs[1] == dirs[1]);
  CHECK(read_file(sibling_dirs[0] / "srv" / "data") == "x\n");
  CHECK(count_entries(tmp / "store" / "layers") == 3);
  CHECK(store.unpack(two) == dirs);
  CHECK(count_entries(tmp / "store" / "tmp") == 0);
}

TEST_CASE("a layer that is not what its descriptor says is never unpacked", "[store][unpack]") {
  TempDir tmp;
  Store store(tmp / "store");
  const fs::path layer = make_layer(tmp, "layer", {{"file", "content\n"}});

  SECTION("unknown media type") {
    const auto weird = add_image(store, "weird", {layer}, "application/vnd.example.weird");
    CHECK_THROWS_WITH(store.unpack(weird),
                      Catch::Contains("unknown media type \"application/vnd.example.weird\""));
  }
  SECTION("content changed on disk") {
    const auto image = add_image(store, "changed", {layer});
    const Digest digest = store.manifest(image).layers[0].digest;
    fs::permissions(store.blob_path(digest), fs::perms::owner_write, fs::perm_options::add);
    const std::string original = read_file(store.blob_path(digest));
    // In the compressed data (gzip fails first) and in gzip's trailer.
    for (const std::size_t at : {original.size() / 2, original.size() - 1}) {
      std::string bytes = original;
      bytes[at] = static_cast<char>(~bytes[at]);
      write_file(store.blob_path(digest), bytes);
      CHECK_THROWS_WITH(store.unpack(image),
                        Catch::Contains("unpack layer " + digest.str() + ": digest mismatch"));
    }
  }
  SECTION("a diff_id that lies") {
    const auto image = add_image(store, "lying", {layer});
    // The same layer under a config whose diff_id is another tar's.
    image::Manifest manifest = store.manifest(image);
    image::ImageConfig config = store.config(manifest);
    config.diff_ids[0] = image::sha256_of("another tar");
    const std::string config_json = image::to_json(config);
    manifest.config =
        describe(image::media_type::kOciConfig, store.write_blob(config_json), config_json.size());
    const std::string manifest_json = image::to_json(manifest);
    const image::Image liar{Reference::parse("liar"),
                            describe(image::media_type::kOciManifest,
                                     store.write_blob(manifest_json), manifest_json.size())};
    CHECK_THROWS_WITH(store.unpack(liar),
                      Catch::Contains("the config's diff_id is " + config.diff_ids[0].str()));
  }
  CHECK(count_entries(tmp / "store" / "layers") == 0);
  CHECK(count_entries(tmp / "store" / "tmp") == 0);
}

TEST_CASE("gc removes the blobs and layers and temporaries no image references", "[store][gc]") {
  TempDir tmp;
  const fs::path root = tmp / "store";
  const fs::path base = make_layer(tmp, "base", {{"etc/os", "base\n"}});
  const fs::path top = make_layer(tmp, "top", {{"etc/top", "top\n"}});
  {
    Store store(root);
    const auto kept = add_image(store, "kept", {base});
    const auto dropped = add_image(store, "dropped", {base, top});
    store.unpack(kept);
    store.unpack(dropped);
    store.make_temporary("leftover", true);
    store.make_temporary("leftover", false);
    CHECK_THROWS_WITH(store.gc(), Catch::Contains("needs the store to itself"));
    CHECK(store.remove(dropped.reference));
  }
  Store store(root, Access::exclusive);
  const image::GcReport report = store.gc();
  CHECK(report.blobs_removed == 3);  // top's layer, dropped's config and manifest
  CHECK(report.layers_removed == 1);
  CHECK(report.temporaries_removed == 2);
  CHECK(report.bytes_freed > 0);
  CHECK(count_entries(root / "tmp") == 0);
  CHECK(count_entries(root / "layers") == 1);
  CHECK(count_entries(root / "blobs" / "sha256") == 3);
  CHECK(store.verify().problems.empty());
  CHECK(read_file(store.unpack(store.get("kept"))[0] / "etc" / "os") == "base\n");
  const image::GcReport again = store.gc();
  CHECK(again.blobs_removed + again.layers_removed + again.temporaries_removed == 0);
}

TEST_CASE("verify names every missing or wrong blob in a line of its own", "[store][verify]") {
  TempDir tmp;
  const fs::path root = tmp / "store";
  image::Manifest manifest;
  {
    Store store(root);
    const auto image =
        add_image(store, "busybox:1",
                  {make_layer(tmp, "a", {{"a", "a"}}), make_layer(tmp, "b", {{"b", "b"}})});
    manifest = store.manifest(image);
  }
  const auto blob = [&](const Digest& digest) { return root / "blobs" / "sha256" / digest.hex(); };
  fs::remove(blob(manifest.layers[0].digest));
  fs::remove(blob(manifest.layers[1].digest));
  fs::permissions(blob(manifest.config.digest), fs::perms::owner_write, fs::perm_options::add);
  write_file(blob(manifest.config.digest), "{}");

  Store store(root, Access::exclusive);
  const auto report = store.verify();
  CHECK(report.images_checked == 1);
  CHECK(report.blobs_checked == 2);
  const std::string problems = problems_of(report);
  INFO(problems);
  CHECK(report.problems.size() == 4);
  const std::string config = manifest.config.digest.str();
  CHECK_THAT(problems, Catch::Contains("blob " + config + ": digest mismatch (content hashes to " +
                                       image::sha256_of("{}").str() + ")"));
  for (const auto& layer : manifest.layers) {
    CHECK_THAT(problems, Catch::Contains("busybox:1: layer " + layer.digest.str() + " missing"));
  }
  CHECK_THAT(problems, Catch::Contains("busybox:1: config " + config +
                                       ": size is 2 bytes, its descriptor says " +
                                       std::to_string(manifest.config.size)));
  // gc cannot tell what a broken image needs, so it removes nothing.
  const std::string before = snapshot(root);
  CHECK_THROWS_WITH(store.gc(), Catch::Contains("nothing removed"));
  CHECK(snapshot(root) == before);
}

TEST_CASE("the store lock is shared by every command and exclusive for gc", "[store][lock]") {
  TempDir tmp;
  const fs::path lock = tmp / "store" / "lock";
  const auto try_lock = [&](int operation) {
    const berth::UniqueFd fd{::open(lock.c_str(), O_RDONLY | O_CLOEXEC)};
    return ::flock(fd.get(), operation | LOCK_NB) == 0;
  };
  {
    const Store store(tmp / "store");
    CHECK(try_lock(LOCK_SH));
    CHECK_FALSE(try_lock(LOCK_EX));
  }
  {
    const Store store(tmp / "store", Access::exclusive);
    CHECK_FALSE(try_lock(LOCK_SH));
  }
  CHECK(try_lock(LOCK_EX));
}

TEST_CASE("commands tagging at once lose no tag", "[store][lock]") {
  TempDir tmp;
  const fs::path root = tmp / "store";
  image::Descriptor manifest;
  {
    Store store(root);
    manifest = describe(image::media_type::kOciManifest, store.write_blob("{}"), 2);
  }
  std::vector<pid_t> children;
  for (int child = 0; child < 4; ++child) {
    const pid_t pid = ::fork();
    REQUIRE(pid != -1);
    if (pid == 0) {
      try {
        Store store(root);
        for (int i = 0; i < 25; ++i) {
          store.add(Reference::parse("c" + std::to_string(child) + ":" + std::to_string(i)),
                    manifest);
        }
      } catch (...) {
        ::_exit(1);
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(status == 0);
  }
  CHECK(Store(root).images().size() == 100);
}

TEST_CASE("skopeo reads the store as an OCI layout", "[store][interop]") {
  TempDir tmp;
  Store store(tmp / "store");
  const auto image = image::import_tarball(store, busybox_tarball(tmp), "localhost/busybox:v1");
  const CommandResult result =
      run({"skopeo", "inspect", "oci:" + (tmp / "store").string() + ":v1"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains(R"("Digest": ")" + image.manifest.digest.str()));
  CHECK_THAT(result.out, Catch::Contains(R"("Architecture": "amd64")"));
}

// The crash test: a child imports, unpacks, untags and collects garbage in
// a loop, and is killed with SIGKILL at a different moment each round.
// Whatever moment the kill lands on, the store must still verify, keep the
// image it had, and be cleaned by gc.
namespace {

[[noreturn]] void churn(const fs::path& root, const fs::path& tarball, int round) {
  try {
    for (int i = 0;; ++i) {
      {
        Store store(root);
        const auto image = image::import_tarball(
            store, tarball, "churn:" + std::to_string(round) + "-" + std::to_string(i));
        store.unpack(image);
        store.remove(image.reference);
      }
      Store(root, Access::exclusive).gc();
    }
  } catch (...) {
    ::_exit(1);
  }
}

}  // namespace

TEST_CASE("kill -9 at any moment leaves a store that verifies", "[store][crash]") {
  TempDir tmp;
  const fs::path root = tmp / "store";
  const fs::path rootfs = copy_busybox_rootfs(tmp / "rootfs");
  const fs::path kept_tarball = busybox_tarball(tmp);
  // The churned image: busybox and 16 MB of noise, so each step takes a while.
  sh("head -c 16M /dev/urandom > '" + (rootfs / "noise").string() + "' && tar -C '" +
     rootfs.string() + "' -cf '" + (tmp / "churn.tar").string() + "' .");
  {
    Store store(root);
    store.unpack(image::import_tarball(store, kept_tarball, "kept"));
  }

  int interrupted = 0;  // rounds whose kill left work in progress behind
  for (int round = 0; round < 16; ++round) {
    const pid_t pid = ::fork();
    REQUIRE(pid != -1);
    if (pid == 0) churn(root, tmp / "churn.tar", round);
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + 4 * round * round));
    ::kill(pid, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    INFO("round " << round);
    REQUIRE(WIFSIGNALED(status));  // killed mid-work, not failed
    if (count_entries(root / "tmp") > 0) ++interrupted;
    const Store store(root);
    CHECK(problems_of(store.verify()).empty());
    CHECK(store.find("kept"));
  }
  CHECK(interrupted > 0);

  Store store(root, Access::exclusive);
  for (const auto& image : store.images()) {
    if (image.reference.familiar_name() == "churn") store.remove(image.reference);
  }
  store.gc();
  CHECK(count_entries(root / "tmp") == 0);
  CHECK(problems_of(store.verify()).empty());
  // What is left is exactly the kept image, whole.
  CHECK(store.images().size() == 1);
  const auto dirs = store.unpack(store.get("kept"));
  CHECK(fs::exists(dirs[0] / "bin" / "busybox"));
  CHECK(count_entries(root / "layers") == 1);
}
