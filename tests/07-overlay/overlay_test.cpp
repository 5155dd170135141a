// The overlay module: what a stack of layers shows, and where changes go.
// Every mount is made in the test process's private mount namespace, and
// unmounted before its directory is removed.
#include "overlay/overlay.h"

#include <sys/mount.h>

#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "support/support.h"

using namespace berth;
using namespace berth::test;

namespace {

// A stack under a temporary directory: layers L0 (bottom) .. Ln, an upper
// and a work directory, and the merged mount point; unmounted at the end.
class Fixture {
 public:
  explicit Fixture(int layers, const std::string& layer_name = "layer") {
    for (int i = 0; i < layers; ++i) {
      const fs::path layer = dir_ / (layer_name + std::to_string(i));
      fs::create_directories(layer);
      stack.lowers.insert(stack.lowers.begin(), layer);  // topmost first
    }
    stack.upper = dir_ / "upper";
    stack.work = dir_ / "work";
    fs::create_directories(stack.upper);
    fs::create_directories(stack.work);
    fs::create_directories(merged());
  }
  ~Fixture() {
    if (mounted_) ::umount2(merged().c_str(), MNT_DETACH);
  }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;

  // Layer i, counted from the bottom.
  fs::path layer(std::size_t i) const { return stack.lowers[stack.lowers.size() - 1 - i]; }
  fs::path merged() const { return dir_ / "merged"; }
  void mount() {
    overlay::mount(stack, merged());
    mounted_ = true;
  }

  overlay::Stack stack;

 private:
  TempDir dir_;
  bool mounted_ = false;
};

}  // namespace

TEST_CASE("overlay: an upper layer shadows the same path below") {
  Fixture f(3);
  write_file(f.layer(0) / "a", "bottom");
  write_file(f.layer(0) / "b", "only in the bottom");
  write_file(f.layer(1) / "a", "middle");
  write_file(f.layer(2) / "c", "top");
  f.mount();
  CHECK(read_file(f.merged() / "a") == "middle");
  CHECK(read_file(f.merged() / "b") == "only in the bottom");
  CHECK(read_file(f.merged() / "c") == "top");
}

TEST_CASE("overlay: a whiteout hides a file below, an opaque directory its contents") {
  Fixture f(2);
  write_file(f.layer(0) / "gone", "deleted by the layer above");
  write_file(f.layer(0) / "dir" / "old", "hidden by the opaque directory");
  write_file(f.layer(0) / "merged-dir" / "old", "still seen");
  overlay::make_whiteout(f.layer(1), "gone");
  write_file(f.layer(1) / "dir" / "new", "the only file left");
  overlay::make_opaque(f.layer(1) / "dir");
  write_file(f.layer(1) / "merged-dir" / "new", "seen too");
  CHECK(overlay::is_whiteout(f.layer(1) / "gone"));
  CHECK(overlay::is_opaque(f.layer(1) / "dir"));
  CHECK_FALSE(overlay::is_opaque(f.layer(1) / "merged-dir"));
  f.mount();
  CHECK_FALSE(fs::exists(f.merged() / "gone"));
  CHECK(fs::exists(f.merged() / "dir" / "new"));
  CHECK_FALSE(fs::exists(f.merged() / "dir" / "old"));
  CHECK(fs::exists(f.merged() / "merged-dir" / "old"));
  CHECK(fs::exists(f.merged() / "merged-dir" / "new"));
}

TEST_CASE("overlay: changes go to the upper layer, and the layers below stay as they were") {
  Fixture f(1);
  write_file(f.layer(0) / "file", "original");
  write_file(f.layer(0) / "deleted", "to delete");
  write_file(f.layer(0) / "dir" / "inside", "to replace");
  f.mount();
  write_file(f.merged() / "file", "changed");  // copy-up
  fs::remove(f.merged() / "deleted");
  fs::remove_all(f.merged() / "dir");
  fs::create_directory(f.merged() / "dir");  // a new directory where one was deleted
  write_file(f.merged() / "dir" / "fresh", "new");

  CHECK(read_file(f.merged() / "file") == "changed");
  CHECK(read_file(f.stack.upper / "file") == "changed");
  CHECK(read_file(f.layer(0) / "file") == "original");
  CHECK(overlay::is_whiteout(f.stack.upper / "deleted"));
  CHECK(fs::exists(f.layer(0) / "deleted"));
  CHECK(overlay::is_opaque(f.stack.upper / "dir"));
  CHECK_FALSE(fs::exists(f.merged() / "dir" / "inside"));
  CHECK(fs::exists(f.layer(0) / "dir" / "inside"));
}

TEST_CASE("overlay: a stack whose options overflow a page mounts through short links") {
  // 80 layers with 60-byte names: about 5 KB of lowerdir, more than a page.
  Fixture f(80, std::string(55, 'x') + "-layer");
  REQUIRE(overlay::mount_options(f.stack).size() > 4096);
  write_file(f.layer(0) / "bottom", "from layer 0");
  write_file(f.layer(79) / "top", "from layer 79");
  write_file(f.layer(40) / "bottom", "shadowed by layer 40");
  f.mount();
  CHECK(read_file(f.merged() / "bottom") == "shadowed by layer 40");
  CHECK(read_file(f.merged() / "top") == "from layer 79");
}

TEST_CASE("overlay: mount options escape the characters overlayfs splits at") {
  overlay::Stack stack{.lowers = {"/l/a:b", "/l/c,d"}, .upper = "/u", .work = "/w"};
  CHECK(overlay::mount_options(stack) == "lowerdir=/l/a\\:b:/l/c\\,d,upperdir=/u,workdir=/w");
  stack.upper.clear();
  stack.work.clear();
  CHECK(overlay::mount_options(stack) == "lowerdir=/l/a\\:b:/l/c\\,d");
}

TEST_CASE("overlay: a failed mount names the mount point and the reason") {
  Fixture f(1);
  f.stack.lowers.push_back(f.merged() / "no-such-layer");
  try {
    overlay::mount(f.stack, f.merged());
    FAIL("mounted a stack with a missing layer");
  } catch (const Error& error) {
    CHECK_THAT(error.what(), Catch::Contains("mount overlay on " + f.merged().string()));
  }
}
