// Interop, with the tools that define the formats: images that skopeo
// exports (docker-archive: and oci-archive:) load into Berth and run, and
// an archive Berth saves is read back by skopeo (inspect, and copy to an
// OCI layout) and unpacked by umoci. skopeo and umoci are test-only
// dependencies; the images are made locally (image_fixtures.h).
#include <fcntl.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/fd.h"
#include "image/archive.h"
#include "image_fixtures.h"

using namespace berth::test;
using namespace berth::test::images;
namespace image = berth::image;
using nlohmann::json;

namespace {

// An image built by umoci, a store in ROOT/images (where berth-ch08 looks
// for it) and a cgroup parent for the containers run from it.
struct Interop {
  TempDir dir;
  fs::path layout = make_busybox_layout(dir);
  fs::path root = dir / "root";
  image::Store store{root / "images"};
  CgroupParent cgroups{"ch08"};

  fs::path skopeo(const std::string& transport, const std::string& name) {
    const fs::path file = dir / (transport + ".tar");
    return skopeo_export(dir, layout, transport, file, name);
  }

  // What a user of the chapter program sees: berth-ch08 run IMAGE.
  CommandResult run_image(const std::string& name) const {
    CommandResult result =
        run({bin("berth-ch08").string(), "--root", root.string(), "--state",
             (dir / "state").string(), "run", "--cgroup-parent", cgroups.path(), name});
    INFO("berth-ch08 run " << name << " -> " << result.exit_code << "\n"
                           << result.out << result.err);
    CHECK(result.exit_code == 0);
    return result;
  }

  // The image loaded is busybox running kCmd, sound in the store, and its
  // layer unpacks to the busybox tree.
  void check_busybox(const image::Image& loaded) {
    CHECK(store.config(store.manifest(loaded)).config.cmd == kCmd);
    CHECK(store.verify().problems.empty());
    const auto layers = store.unpack(loaded);
    REQUIRE(layers.size() == 1);
    CHECK(fs::is_regular_file(layers[0] / "bin" / "busybox"));
    CHECK(fs::is_directory(layers[0] / "etc"));
  }
};

}  // namespace

TEST_CASE("an image exported by skopeo as a docker-archive loads and runs",
          "[images][interop][load]") {
  Interop box;
  const fs::path archive = box.skopeo("docker-archive", "busybox:latest");
  // What skopeo writes: layers as <diff-id>.tar, linked from the old
  // <v1-id>/layer.tar names, and a fully qualified RepoTag.
  const auto listing = run({"tar", "-tvf", archive.string()});
  CHECK_THAT(listing.out, Catch::Contains("/layer.tar -> ../"));

  const auto loaded = image::load(box.store, archive);
  REQUIRE(loaded.size() == 1);
  CHECK(loaded[0].reference.str() == "docker.io/library/busybox:latest");
  box.check_busybox(loaded[0]);
  CHECK_THAT(box.run_image("busybox").out, Catch::Contains(kGreeting));
}

TEST_CASE("an image exported by skopeo as an oci-archive loads and runs",
          "[images][interop][load]") {
  Interop box;
  // oci-archive:FILE:busybox:latest puts the full name in ref.name.
  const auto loaded = image::load(box.store, box.skopeo("oci-archive", "busybox:latest"));
  REQUIRE(loaded.size() == 1);
  CHECK(loaded[0].reference.str() == "docker.io/library/busybox:latest");
  // It is the very image umoci built: the manifest's bytes came through.
  const json index = json::parse(read_file(box.layout / "index.json"));
  CHECK(loaded[0].manifest.digest.str() == index["manifests"][0]["digest"]);
  box.check_busybox(loaded[0]);
  CHECK_THAT(box.run_image("busybox:latest").out, Catch::Contains(kGreeting));
}

TEST_CASE("an oci-archive that names only a tag loads under the name given",
          "[images][interop][load]") {
  Interop box;
  const fs::path archive = box.skopeo("oci-archive", "1.36");
  CHECK_THROWS_WITH(image::load(box.store, archive),
                    Catch::Contains("has no name in the archive (only the tag \"1.36\")"));
  const auto loaded = image::load(box.store, archive, {.name = "busybox"});
  REQUIRE(loaded.size() == 1);
  CHECK(loaded[0].reference.str() == "docker.io/library/busybox:1.36");
}

TEST_CASE("an image saved by berth is read by skopeo and unpacked by umoci",
          "[images][interop][save]") {
  Interop box;
  const image::Image busybox =
      image::load(box.store, box.skopeo("oci-archive", "busybox:latest")).front();
  const fs::path saved = box.dir / "saved.tar";
  {
    const berth::UniqueFd fd{::open(saved.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644)};
    REQUIRE(fd.valid());
    image::save(box.store, {busybox}, fd.get());
  }
  const image::Manifest manifest = box.store.manifest(busybox);

  // Both halves of the archive, read by skopeo.
  const json oci =
      json::parse(tool(box.dir.path(), {"skopeo", "inspect", "oci-archive:" + saved.string()}).out);
  CHECK(oci["Digest"] == busybox.manifest.digest.str());
  CHECK(oci["Layers"] == json::array({manifest.layers[0].digest.str()}));
  // skopeo finds the image by its manifest.json RepoTag.
  const json docker =
      json::parse(tool(box.dir.path(), {"skopeo", "inspect",
                                        "docker-archive:" + saved.string() + ":busybox:latest"})
                      .out);
  // The docker half names layers by diff ID (skopeo reads its layer
  // files as uncompressed tars, decompressing the gzip one on the way).
  const image::ImageConfig image_config = box.store.config(manifest);
  CHECK(docker["Layers"] == json::array({image_config.diff_ids[0].str()}));
  const json config = json::parse(
      tool(box.dir.path(), {"skopeo", "inspect", "--config", "docker-archive:" + saved.string()})
          .out);
  CHECK(config["config"]["Cmd"] == kCmd);

  // Copied by skopeo into OCI layouts and unpacked by umoci, from each half.
  for (const std::string transport : {"oci-archive", "docker-archive"}) {
    INFO("from " << transport);
    const fs::path copy = box.dir / ("copy-" + transport);
    const fs::path bundle = box.dir / ("bundle-" + transport);
    tool(box.dir.path(),
         {"skopeo", "copy", transport + ":" + saved.string(), "oci:" + copy.string() + ":copied"});
    tool(box.dir.path(),
         {"umoci", "unpack", "--image", copy.string() + ":copied", bundle.string()});
    CHECK(fs::is_regular_file(bundle / "rootfs" / "bin" / "busybox"));
    const json runtime = json::parse(read_file(bundle / "config.json"));
    CHECK(runtime["process"]["args"] == kCmd);
  }
}
