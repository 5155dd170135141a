// Image archives: save writes one tar that is both an OCI layout and a
// docker-save archive, load reads either half (and old docker saves, and
// compressed archives), and a bad archive is refused without changing the
// store. The images come from umoci (image_fixtures.h); interop_test.cpp
// checks the same archives against skopeo and umoci themselves.
#include "image/archive.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/fd.h"
#include "image_fixtures.h"

using namespace berth::test;
using namespace berth::test::images;
namespace image = berth::image;
using nlohmann::json;

namespace {

void save_file(const image::Store& store, const std::vector<image::Image>& images,
               const fs::path& file) {
  const berth::UniqueFd fd{::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
  REQUIRE(fd.valid());
  image::save(store, images, fd.get());
}

void untar(const fs::path& file, const fs::path& dir) {
  fs::create_directories(dir);
  REQUIRE(run({"tar", "-C", dir.string(), "-xf", file.string()}).exit_code == 0);
}

// The tree at `dir` as a tar whose names start with "./", as tar writes.
fs::path tar_up(const fs::path& dir, const fs::path& file) {
  REQUIRE(run({"tar", "-C", dir.string(), "-cf", file.string(), "."}).exit_code == 0);
  return file;
}

std::vector<std::string> blob_names(const image::Store& store) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(store.root() / "blobs" / "sha256")) {
    names.push_back(entry.path().filename());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// A store holding busybox:latest, loaded from a tarred umoci layout, and
// that image saved to DIR/saved.tar.
struct Loaded {
  TempDir dir;
  fs::path layout = make_busybox_layout(dir);
  image::Store store{dir / "store"};
  image::Image busybox = load_layout();
  fs::path saved = save();

  image::Image load_layout() {
    const auto images = image::load(store, tar_up(layout, dir / "layout.tar"), {.name = "busybox"});
    REQUIRE(images.size() == 1);
    return images.front();
  }
  fs::path save() {
    save_file(store, {busybox}, dir / "saved.tar");
    return dir / "saved.tar";
  }
  // The saved archive unpacked to a fresh directory, to be changed and
  // tarred up again.
  fs::path unpacked(const std::string& name) {
    untar(saved, dir / name);
    return dir / name;
  }
};

}  // namespace

TEST_CASE("a tarred OCI layout loads under the name given", "[images][archive][load]") {
  TempDir dir;
  const fs::path layout = make_busybox_layout(dir);
  const fs::path archive = tar_up(layout, dir / "layout.tar");
  image::Store store{dir / "store"};

  // umoci tags the image "latest" only: the archive does not say what it is.
  CHECK_THROWS_WITH(image::load(store, archive), Catch::Contains("has no name in the archive") &&
                                                     Catch::Contains("give it a name"));
  CHECK(store.images().empty());

  const auto loaded = image::load(store, archive, {.name = "busybox"});
  REQUIRE(loaded.size() == 1);
  CHECK(loaded[0].reference.str() == "docker.io/library/busybox:latest");
  const json index = json::parse(read_file(layout / "index.json"));
  CHECK(loaded[0].manifest.digest.str() == index["manifests"][0]["digest"]);

  const auto images = store.images();
  REQUIRE(images.size() == 1);
  CHECK(images[0].reference.familiar_name() == "busybox");
  CHECK(store.config(store.manifest(images[0])).config.cmd == kCmd);
  CHECK(store.verify().problems.empty());
  CHECK(fs::is_empty(store.root() / "tmp"));

  // A name with a tag of its own wins over the archive's tag.
  CHECK(image::load(store, archive, {.name = "mine/box:1.0"})[0].reference.str() ==
        "docker.io/mine/box:1.0");
}

TEST_CASE("save writes one archive that is an OCI layout and a docker save",
          "[images][archive][save]") {
  Loaded box;
  const fs::path out = box.unpacked("out");
  const image::Manifest manifest = box.store.manifest(box.busybox);

  // The OCI half: oci-layout and index.json naming the image as Docker 25 does.
  CHECK(json::parse(read_file(out / "oci-layout"))["imageLayoutVersion"] == "1.0.0");
  const json index = json::parse(read_file(out / "index.json"));
  REQUIRE(index["manifests"].size() == 1);
  const json& entry = index["manifests"][0];
  CHECK(entry["digest"] == box.busybox.manifest.digest.str());
  CHECK(entry["annotations"]["io.containerd.image.name"] == "docker.io/library/busybox:latest");
  CHECK(entry["annotations"]["org.opencontainers.image.ref.name"] == "latest");

  // The docker half points into the same blobs.
  const json docker = json::parse(read_file(out / "manifest.json"));
  REQUIRE(docker.size() == 1);
  CHECK(docker[0]["RepoTags"] == json::array({"busybox:latest"}));
  CHECK(docker[0]["Config"] == "blobs/sha256/" + manifest.config.digest.hex());
  REQUIRE(docker[0]["Layers"].size() == manifest.layers.size());
  CHECK(docker[0]["Layers"][0] == "blobs/sha256/" + manifest.layers[0].digest.hex());
  CHECK(json::parse(read_file(out / "repositories")).contains("busybox"));

  // Every blob is there, and is what its name says.
  std::size_t blobs = 0;
  for (const auto& blob : fs::directory_iterator(out / "blobs" / "sha256")) {
    CHECK(image::sha256_of(read_file(blob.path())).hex() == blob.path().filename());
    ++blobs;
  }
  CHECK(blobs == 3);  // manifest, config, one layer
}

TEST_CASE("save gives the same bytes every time in name order owned by root at time 0",
          "[images][archive][save]") {
  Loaded box;
  save_file(box.store, {box.busybox}, box.dir / "again.tar");
  CHECK(read_file(box.saved) == read_file(box.dir / "again.tar"));

  const auto listing = run({"tar", "--numeric-owner", "--full-time", "-tvf", box.saved.string()});
  REQUIRE(listing.exit_code == 0);
  std::vector<std::string> names;
  std::istringstream lines(listing.out);
  for (std::string line; std::getline(lines, line);) {
    CHECK_THAT(line, Catch::Contains(" 0/0 ") && Catch::Contains("1970-01-01 00:00:00"));
    names.push_back(line.substr(line.rfind(' ') + 1));
  }
  CHECK(std::is_sorted(names.begin(), names.end()));
  CHECK(names.back() == "repositories");
}

TEST_CASE("an image saved and loaded into a fresh store keeps its manifest digest and tags",
          "[images][archive][load][save]") {
  Loaded box;
  const auto other = image::Reference::parse("localhost:5000/team/box:2");
  box.store.add(other, box.busybox.manifest);
  save_file(box.store, box.store.images(), box.dir / "two-tags.tar");

  // Two tags of one image share one docker-save entry.
  const fs::path out = box.dir / "two-tags";
  untar(box.dir / "two-tags.tar", out);
  const json docker = json::parse(read_file(out / "manifest.json"));
  REQUIRE(docker.size() == 1);
  CHECK(docker[0]["RepoTags"] == json::array({"busybox:latest", "localhost:5000/team/box:2"}));

  image::Store fresh{box.dir / "fresh"};
  const auto loaded = image::load(fresh, box.dir / "two-tags.tar");
  REQUIRE(loaded.size() == 2);
  CHECK(loaded[0].reference.str() == "docker.io/library/busybox:latest");
  CHECK(loaded[1].reference == other);
  for (const auto& image : fresh.images()) {
    CHECK(image.manifest.digest == box.busybox.manifest.digest);
  }
  CHECK(fresh.verify().problems.empty());
}

TEST_CASE("a gzip-compressed archive loads", "[images][archive][load]") {
  Loaded box;
  const fs::path gzipped = box.dir / "saved.tar.gz";
  REQUIRE(run({"sh", "-c", "gzip -c '" + box.saved.string() + "' > '" + gzipped.string() + "'"})
              .exit_code == 0);
  image::Store fresh{box.dir / "fresh"};
  const auto loaded = image::load(fresh, gzipped);
  REQUIRE(loaded.size() == 1);
  CHECK(loaded[0].manifest.digest == box.busybox.manifest.digest);
}

TEST_CASE("a docker save archive loads from its manifest.json alone", "[images][archive][load]") {
  Loaded box;
  const fs::path out = box.unpacked("docker-only");
  fs::remove(out / "index.json");
  fs::remove(out / "oci-layout");
  image::Store fresh{box.dir / "fresh"};
  const auto loaded = image::load(fresh, tar_up(out, box.dir / "docker-only.tar"));
  REQUIRE(loaded.size() == 1);
  CHECK(loaded[0].reference.str() == "docker.io/library/busybox:latest");

  // Berth writes the manifest over the same config and (gzip) layer.
  const image::Manifest original = box.store.manifest(box.busybox);
  const image::Manifest manifest = fresh.manifest(loaded[0]);
  CHECK(manifest.config.digest == original.config.digest);
  REQUIRE(manifest.layers.size() == 1);
  CHECK(manifest.layers[0].digest == original.layers[0].digest);
  CHECK(manifest.layers[0].media_type == image::media_type::kOciLayerGzip);
  CHECK(fresh.config(manifest).config.cmd == kCmd);
  CHECK(fresh.verify().problems.empty());
}

TEST_CASE("an old-style docker save archive loads: <id>/layer.tar and <config>.json",
          "[images][archive][load]") {
  Loaded box;
  const image::Manifest original = box.store.manifest(box.busybox);
  const fs::path old = box.dir / "old";
  const std::string id(64, 'a');  // a v1 layer ID: any 64 hex digits
  fs::create_directories(old / id);
  // docker save wrote layers uncompressed, so each is its diff_id.
  REQUIRE(run({"sh", "-c",
               "gzip -dc '" + box.store.blob_path(original.layers[0].digest).string() + "' > '" +
                   (old / id / "layer.tar").string() + "'"})
              .exit_code == 0);
  write_file(old / id / "VERSION", "1.0");
  write_file(old / id / "json", R"({"id":")" + id + R"("})");
  const std::string config = original.config.digest.hex() + ".json";
  fs::copy_file(box.store.blob_path(original.config.digest), old / config);
  write_file(
      old / "manifest.json",
      json::array({{{"Config", config}, {"RepoTags", {"old:1"}}, {"Layers", {id + "/layer.tar"}}}})
          .dump());
  write_file(old / "repositories", json{{"old", {{"1", id}}}}.dump());

  image::Store fresh{box.dir / "fresh"};
  const auto loaded = image::load(fresh, tar_up(old, box.dir / "old.tar"));
  REQUIRE(loaded.size() == 1);
  CHECK(loaded[0].reference.str() == "docker.io/library/old:1");
  const image::Manifest manifest = fresh.manifest(loaded[0]);
  REQUIRE(manifest.layers.size() == 1);
  CHECK(manifest.layers[0].media_type == image::media_type::kOciLayer);
  CHECK(manifest.layers[0].digest == fresh.config(manifest).diff_ids[0]);
  CHECK(fresh.verify().problems.empty());
}

TEST_CASE("a multi-platform index loads the image for this machine", "[images][archive][load]") {
  Loaded box;
  const std::string machine = run({"uname", "-m"}).out;
  const std::string architecture = machine.starts_with("aarch64") ? "arm64" : "amd64";
  const fs::path out = box.unpacked("multi");
  // As containerd exports it: the index names other platforms' manifests
  // without holding their blobs.
  json index = json::parse(read_file(out / "index.json"));
  json entry = index["manifests"][0];
  json ours = entry;
  ours.erase("annotations");
  ours["platform"] = {{"os", "linux"}, {"architecture", architecture}};
  json other = ours;
  other["digest"] = "sha256:" + std::string(64, 'e');
  other["platform"]["architecture"] = "s390x";
  const std::string nested = json{
      {"schemaVersion", 2},
      {"mediaType", image::media_type::kOciIndex},
      {"manifests",
       {other, ours}}}.dump();
  const image::Digest digest = image::sha256_of(nested);
  write_file(out / "blobs" / "sha256" / digest.hex(), nested);
  entry["mediaType"] = image::media_type::kOciIndex;
  entry["digest"] = digest.str();
  entry["size"] = nested.size();
  index["manifests"][0] = entry;
  write_file(out / "index.json", index.dump());

  image::Store fresh{box.dir / "fresh"};
  const auto loaded = image::load(fresh, tar_up(out, box.dir / "multi.tar"));
  REQUIRE(loaded.size() == 1);
  CHECK(loaded[0].reference.str() == "docker.io/library/busybox:latest");
  CHECK(loaded[0].manifest.digest == box.busybox.manifest.digest);
}

TEST_CASE("an archive loads from a stream as docker load reads stdin", "[images][archive][load]") {
  Loaded box;
  // A socket rather than a pipe: should load stop reading early, the
  // writer's send fails (MSG_NOSIGNAL) instead of killing the test.
  std::array<int, 2> ends{};
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends.data()) == 0);
  berth::UniqueFd reader{ends[0]};
  const std::string bytes = read_file(box.saved);
  std::thread writer([&bytes, out = berth::UniqueFd{ends[1]}]() mutable {
    const char* data = bytes.data();
    for (std::size_t left = bytes.size(); left > 0;) {
      const ssize_t sent = ::send(out.get(), data, left, MSG_NOSIGNAL);
      if (sent <= 0) break;
      data += sent;
      left -= static_cast<std::size_t>(sent);
    }
    out.reset();  // the end of the archive, as the reader sees it
  });
  image::Store fresh{box.dir / "fresh"};
  std::vector<image::Image> loaded;
  CHECK_NOTHROW(loaded = image::load(fresh, reader.get(), "stdin"));
  reader.reset();
  writer.join();
  REQUIRE(loaded.size() == 1);
  CHECK(loaded[0].manifest.digest == box.busybox.manifest.digest);
}

TEST_CASE("bad archives give clear errors and leave the store unchanged",
          "[images][archive][load][hostile]") {
  Loaded box;
  const std::string index_before = read_file(box.store.root() / "index.json");
  const auto blobs_before = blob_names(box.store);
  const image::Manifest manifest = box.store.manifest(box.busybox);
  const std::string saved = read_file(box.saved);

  const auto refused = [&](const fs::path& archive, const std::string& why) {
    INFO("loading " << archive.filename());
    CHECK_THROWS_WITH(image::load(box.store, archive),
                      Catch::StartsWith("load " + archive.string() + ": ") && Catch::Contains(why));
    CHECK(read_file(box.store.root() / "index.json") == index_before);
    CHECK(blob_names(box.store) == blobs_before);
    CHECK(fs::is_empty(box.store.root() / "tmp"));
  };
  // The saved archive unpacked, changed by `change`, and tarred up again.
  const auto changed = [&](const std::string& name, const auto& change) {
    const fs::path out = box.unpacked(name);
    change(out);
    return tar_up(out, box.dir / (name + ".tar"));
  };
  const auto blob = [](const fs::path& out, const image::Digest& digest) {
    return out / "blobs" / "sha256" / digest.hex();
  };

  write_file(box.dir / "truncated.tar", saved.substr(0, saved.size() / 2));
  refused(box.dir / "truncated.tar", "truncated tar archive");

  REQUIRE(run({"sh", "-c",
               "gzip -c '" + box.saved.string() + "' > '" + (box.dir / "corrupt.tar.gz").string() +
                   "'"})
              .exit_code == 0);
  std::string gzipped = read_file(box.dir / "corrupt.tar.gz");
  for (std::size_t i = gzipped.size() / 3; i < gzipped.size() / 3 + 64; ++i) {
    gzipped[i] = static_cast<char>(gzipped[i] ^ 0x55);
  }
  write_file(box.dir / "corrupt.tar.gz", gzipped);
  // Damaged deflate data either fails to inflate or inflates to bytes that
  // no longer match their digests: refused both ways.
  CHECK_THROWS_WITH(image::load(box.store, box.dir / "corrupt.tar.gz"),
                    Catch::Contains("read archive") || Catch::Contains("digest mismatch"));
  refused(box.dir / "corrupt.tar.gz", "");

  write_file(box.dir / "text.tar", "this is not an archive\n");
  refused(box.dir / "text.tar", "unrecognized archive format");
  write_file(box.dir / "empty.tar", "");
  refused(box.dir / "empty.tar", "unrecognized archive format");
  fs::create_directories(box.dir / "unrelated");
  write_file(box.dir / "unrelated" / "notes.txt", "not an image\n");
  refused(tar_up(box.dir / "unrelated", box.dir / "unrelated.tar"),
          "neither index.json (OCI) nor manifest.json (docker save)");

  // A layer whose bytes are not the ones its digest names (same size).
  refused(changed("tampered",
                  [&](const fs::path& out) {
                    const fs::path layer = blob(out, manifest.layers[0].digest);
                    std::string bytes = read_file(layer);
                    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 1);
                    write_file(layer, bytes);
                  }),
          "blob " + manifest.layers[0].digest.str() + ": digest mismatch (content hashes to");

  refused(changed("missing-blob",
                  [&](const fs::path& out) { fs::remove(blob(out, manifest.config.digest)); }),
          "blobs/sha256/" + manifest.config.digest.hex() + ": not in the archive");

  // A manifest of a kind Berth does not know, named as such in index.json.
  refused(changed("unknown-manifest",
                  [&](const fs::path& out) {
                    json index = json::parse(read_file(out / "index.json"));
                    index["manifests"][0]["mediaType"] = "application/vnd.example.manifest+json";
                    write_file(out / "index.json", index.dump());
                  }),
          "unknown media type application/vnd.example.manifest+json");

  refused(changed("no-images",
                  [](const fs::path& out) {
                    json index = json::parse(read_file(out / "index.json"));
                    index["manifests"] = json::array();
                    write_file(out / "index.json", index.dump());
                  }),
          "it holds no images");

  // A layer of a kind no unpacker knows, in a manifest that is otherwise fine.
  refused(changed("unknown-layer",
                  [&](const fs::path& out) {
                    json document = json::parse(read_file(blob(out, box.busybox.manifest.digest)));
                    document["layers"][0]["mediaType"] = "application/vnd.example.layer";
                    const std::string bytes = document.dump();
                    const image::Digest digest = image::sha256_of(bytes);
                    write_file(blob(out, digest), bytes);
                    json index = json::parse(read_file(out / "index.json"));
                    index["manifests"][0]["digest"] = digest.str();
                    index["manifests"][0]["size"] = bytes.size();
                    write_file(out / "index.json", index.dump());
                  }),
          "unknown media type application/vnd.example.layer");

  // The docker half alone, with manifest.json changed by `change`.
  const auto docker = [&](const std::string& name, const auto& change) {
    return changed(name, [&](const fs::path& out) {
      fs::remove(out / "index.json");
      json entries = json::parse(read_file(out / "manifest.json"));
      change(out, entries[0]);
      write_file(out / "manifest.json", entries.dump());
    });
  };
  refused(docker("missing-file",
                 [](const fs::path&, json& entry) { entry["Layers"][0] = "nowhere/layer.tar"; }),
          "find nowhere/layer.tar: not in the archive");

  refused(docker("bad-diff-id",
                 [&](const fs::path& out, json& entry) {
                   json config = json::parse(read_file(blob(out, manifest.config.digest)));
                   config["rootfs"]["diff_ids"][0] = "sha256:" + std::string(64, '0');
                   write_file(out / "config.json", config.dump());
                   entry["Config"] = "config.json";
                 }),
          "the config's diff_id is sha256:" + std::string(64, '0'));

  refused(docker("huge-config",
                 [](const fs::path& out, json& entry) {
                   write_file(out / "huge.json", std::string(std::size_t{5} << 20, ' '));
                   entry["Config"] = "huge.json";
                 }),
          "read huge.json: too big for a JSON document");

  refused(
      docker("bad-name", [](const fs::path&, json& entry) { entry["RepoTags"][0] = "Not A Name"; }),
      "parse image reference \"Not A Name\"");

  refused(docker("bad-manifest-json", [](const fs::path&, json& entry) { entry["Config"] = 42; }),
          "manifest.json[0].Config: missing or not a string");
}

TEST_CASE("save of an image whose blob is missing fails naming the image",
          "[images][archive][save]") {
  Loaded box;
  const image::Manifest manifest = box.store.manifest(box.busybox);
  fs::remove(box.store.blob_path(manifest.layers[0].digest));
  const berth::UniqueFd fd{
      ::open((box.dir / "broken.tar").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644)};
  CHECK_THROWS_WITH(image::save(box.store, {box.busybox}, fd.get()),
                    Catch::StartsWith("save busybox:latest: ") &&
                        Catch::Contains(manifest.layers[0].digest.hex()));
  // Checked before writing: no half an archive that looks like one.
  CHECK(fs::file_size(box.dir / "broken.tar") == 0);
}
